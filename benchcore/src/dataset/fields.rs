//! A record's fields by dotted path, and the `{field}` form of `--input`.

use serde_json::{Map, Value};

/// The value at a dotted path (`choices.text`, `items.0`), or `None` when any step is missing.
pub(crate) fn lookup<'a>(record: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut value = record.get(parts.next()?)?;
    for part in parts {
        value = match value {
            Value::Object(map) => map.get(part)?,
            Value::Array(items) => items.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value)
}

/// A value as prompt text: strings bare, numbers and booleans as written, lists one item a
/// line, anything else as compact JSON.
pub(crate) fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join("\n"),
        other => other.to_string(),
    }
}

/// The field a record's value is missing from, or why a `{…}` template is malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FormatError {
    /// `{name}` names no field of the record.
    Missing(String),
    /// An unclosed `{` or a stray `}`.
    Malformed(String),
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing(field) => write!(f, "the record has no field `{field}`"),
            Self::Malformed(why) => f.write_str(why),
        }
    }
}

/// Renders a `{field}` template: each `{path}` is replaced by that field's text; `{{` and
/// `}}` are literal braces, as in Python's `str.format`.
pub(crate) fn format_fields(
    template: &str,
    record: &Map<String, Value>,
) -> Result<String, FormatError> {
    let mut out = String::with_capacity(template.len() + 64);
    let mut chars = template.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|&(_, n)| n) == Some('{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek().map(|&(_, n)| n) == Some('}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let rest = &template[at + 1..];
                let Some(end) = rest.find('}') else {
                    return Err(FormatError::Malformed(format!(
                        "`{{` at character {} is never closed",
                        at + 1
                    )));
                };
                let path = rest[..end].trim();
                let value =
                    lookup(record, path).ok_or_else(|| FormatError::Missing(path.to_owned()))?;
                out.push_str(&text(value));
                for _ in 0..rest[..=end].chars().count() {
                    chars.next();
                }
            }
            '}' => {
                return Err(FormatError::Malformed(format!(
                    "`}}` at character {} closes nothing (write `}}}}` for a brace)",
                    at + 1
                )))
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

/// Checks a `{field}` template's braces without a record.
pub(crate) fn check_format(template: &str) -> Result<(), FormatError> {
    let mut depth_open = None;
    let mut chars = template.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match (c, depth_open) {
            ('{', None) if chars.peek().map(|&(_, n)| n) == Some('{') => {
                chars.next();
            }
            ('}', None) if chars.peek().map(|&(_, n)| n) == Some('}') => {
                chars.next();
            }
            ('{', None) => depth_open = Some(at),
            ('}', Some(_)) => depth_open = None,
            ('}', None) => {
                return Err(FormatError::Malformed(format!(
                    "`}}` at character {} closes nothing (write `}}}}` for a brace)",
                    at + 1
                )))
            }
            _ => {}
        }
    }
    match depth_open {
        Some(at) => Err(FormatError::Malformed(format!(
            "`{{` at character {} is never closed",
            at + 1
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn looks_up_dotted_paths() {
        let r = record(json!({"a": {"b": [10, {"c": "x"}]}}));
        assert_eq!(lookup(&r, "a.b.0"), Some(&json!(10)));
        assert_eq!(lookup(&r, "a.b.1.c"), Some(&json!("x")));
        assert_eq!(lookup(&r, "a.z"), None);
        assert_eq!(lookup(&r, "a.b.9"), None);
    }

    #[test]
    fn formats_fields_and_literal_braces() {
        let r = record(json!({"q": "2+2?", "ctx": {"a": "One"}, "n": 3}));
        assert_eq!(
            format_fields("Q: {q} {ctx.a} n={n} {{x}}", &r).unwrap(),
            "Q: 2+2? One n=3 {x}"
        );
        assert_eq!(
            format_fields("{nope}", &r),
            Err(FormatError::Missing("nope".into()))
        );
        assert!(matches!(
            format_fields("{q", &r),
            Err(FormatError::Malformed(_))
        ));
        assert!(check_format("a } b").is_err());
        assert!(check_format("{a} {{b}}").is_ok());
        assert!(check_format("{a").is_err());
    }

    #[test]
    fn renders_unicode_around_fields() {
        let r = record(json!({"q": "é"}));
        assert_eq!(format_fields("«{q}» ✓", &r).unwrap(), "«é» ✓");
    }
}
