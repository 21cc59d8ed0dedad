//! Values on their way into a SQL store: an attempt with its JSON columns encoded
//! ([`Encoded`]), and text made storable where the database cannot hold U+0000
//! ([`Nul`]: PostgreSQL stores it as U+FFFD; SQLite keeps it).

use benchcore::AttemptRecord;
use std::borrow::Cow;

/// Whether a backend's text columns may hold U+0000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nul {
    /// Text is stored as it is.
    Kept,
    /// U+0000 is stored as U+FFFD (text), and `\u0000` escapes as `\ufffd` (JSON).
    Replaced,
}

impl Nul {
    /// `text` as it is stored.
    pub(crate) fn text<'a>(self, text: &'a str) -> Cow<'a, str> {
        if self == Self::Replaced && text.contains('\0') {
            Cow::Owned(text.replace('\0', "\u{fffd}"))
        } else {
            Cow::Borrowed(text)
        }
    }

    /// Optional text as it is stored.
    pub(crate) fn opt_text<'a>(self, text: Option<&'a str>) -> Option<Cow<'a, str>> {
        text.map(|t| self.text(t))
    }

    /// JSON text as it is stored: with `Replaced`, every `\u0000` escape (which `jsonb`
    /// refuses) is written `\ufffd`. An escaped backslash followed by `u0000` is left alone.
    pub(crate) fn json(self, json: String) -> String {
        if self == Self::Kept || !json.contains("\\u0000") {
            return json;
        }
        let mut out = String::with_capacity(json.len());
        let mut rest = json.as_str();
        while let Some(at) = rest.find('\\') {
            out.push_str(&rest[..at]);
            let escape = &rest[at..];
            if let Some(after) = escape.strip_prefix("\\u0000") {
                out.push_str("\\ufffd");
                rest = after;
            } else {
                // A backslash and the character it escapes (always ASCII in JSON).
                let end = escape.len().min(2);
                out.push_str(&escape[..end]);
                rest = &escape[end..];
            }
        }
        out.push_str(rest);
        out
    }
}

/// An attempt ready to bind: its JSON columns encoded, its text made storable.
#[derive(Debug)]
pub(crate) struct Encoded<'a> {
    /// The attempt.
    pub(crate) record: &'a AttemptRecord,
    /// Its failure's kind, as stored.
    pub(crate) error_kind: Option<Cow<'a, str>>,
    /// Its failure's message, as stored.
    pub(crate) error_message: Option<Cow<'a, str>>,
    /// The model, as stored.
    pub(crate) model: Option<Cow<'a, str>>,
    /// The artifacts folder, as stored.
    pub(crate) artifacts_dir: Option<Cow<'a, str>>,
    /// The transcript as JSON.
    pub(crate) transcript: String,
    /// The evaluations as JSON.
    pub(crate) evaluations: String,
    /// The transcript-test reports as JSON.
    pub(crate) reports: String,
}

/// A `u64` as the signed 64-bit column that stores it: the same 64 bits, so every value
/// round-trips.
pub(crate) fn int(value: u64) -> i64 {
    value as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_escapes_become_replacement_characters() {
        let json =
            serde_json::to_string(&serde_json::json!({"a": "x\0y", "b": "\\u0000"})).unwrap();
        let clean = Nul::Replaced.json(json.clone());
        let value: serde_json::Value = serde_json::from_str(&clean).unwrap();
        assert_eq!(value["a"], "x\u{fffd}y");
        assert_eq!(
            value["b"], "\\u0000",
            "an escaped backslash was taken for an escape"
        );
        assert_eq!(Nul::Kept.json(json.clone()), json);
        assert_eq!(Nul::Replaced.json("{\"a\":1}".into()), "{\"a\":1}");
        assert_eq!(Nul::Replaced.text("a\0b"), "a\u{fffd}b");
        assert_eq!(Nul::Kept.text("a\0b"), "a\0b");
    }
}
