//! [`Extractor`]: the answer taken out of a free-form reply before any evaluator sees it, as
//! lm-evaluation-harness filters and inspect_ai answer patterns do (`#### 42`, `\boxed{…}`).

use super::choice::{case_choices, choice_letter, read_choice};
use super::numeric::last_number_text;
use crate::{Case, ConfigError};
use regex::Regex;
use std::fmt;

/// How the answer is taken out of a reply; written as a short name (`after:####`).
///
/// | form | takes |
/// |---|---|
/// | `last_number` | the last number, without thousands separators (`1,234` → `1234`) |
/// | `after:MARKER` | the first line after the last `MARKER`, trimmed (`after:####` for GSM8K) |
/// | `boxed` | the content of the last `\boxed{…}` or `\fbox{…}`, nested braces kept |
/// | `regex:PATTERN` | the last match's first group, or the whole match without groups |
/// | `json:PATH` | a dotted path (`answer`, `result.items.0`) in the reply's first JSON value |
/// | `choice` | the letter of the choice the reply gives (see [`read_choice`]) |
///
/// ```
/// use benchcore::{evaluator::Extractor, Case};
/// let case = Case::new("q", "Natalia sold clips …");
/// let gsm8k: Extractor = "after:####".parse().unwrap();
/// let reply = "She sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72";
/// assert_eq!(gsm8k.apply(reply, &case).as_deref(), Some("72"));
/// assert_eq!(gsm8k.to_string(), "after:####");
/// assert!(Extractor::parse("boxed:x").is_err());
/// ```
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
#[non_exhaustive]
pub enum Extractor {
    /// The last number.
    LastNumber,
    /// The first line after the last occurrence of the marker.
    After(String),
    /// The content of the last `\boxed{…}` or `\fbox{…}`.
    Boxed,
    /// The last match of a pattern: its first group, or the whole match.
    Regex(Regex),
    /// A dotted path in the reply's first JSON object or array.
    Json(String),
    /// The letter of the choice the reply gives.
    Choice,
}

const FORMS: &str = "last_number, after:MARKER, boxed, regex:PATTERN, json:PATH, choice";

impl Extractor {
    /// Parses an extractor's name (see the table above).
    ///
    /// # Errors
    /// An unknown name, an empty marker or path, or a pattern that does not compile; the
    /// message lists the valid forms.
    pub fn parse(spec: &str) -> Result<Self, ConfigError> {
        let bad = |why: String| ConfigError::field("extract", format!("{why} (valid: {FORMS})"));
        let (kind, arg) = match spec.split_once(':') {
            Some((k, a)) => (k, Some(a)),
            None => (spec, None),
        };
        let needs = |what: &str| match arg {
            Some(a) if !a.is_empty() => Ok(a.to_owned()),
            _ => Err(bad(format!(
                "{spec:?}: `{kind}` needs a {what} after the colon"
            ))),
        };
        let bare = |value: Self| match arg {
            None => Ok(value),
            Some(_) => Err(bad(format!("{spec:?}: `{kind}` takes no argument"))),
        };
        match kind.trim() {
            "last_number" => bare(Self::LastNumber),
            "boxed" => bare(Self::Boxed),
            "choice" => bare(Self::Choice),
            "after" => Ok(Self::After(needs("marker")?)),
            "json" => Ok(Self::Json(needs("path")?)),
            "regex" => {
                let pattern = needs("pattern")?;
                Regex::new(&pattern)
                    .map(Self::Regex)
                    .map_err(|e| bad(format!("{spec:?}: the pattern does not compile: {e}")))
            }
            other => Err(bad(format!("unknown extractor {other:?}"))),
        }
    }

    /// The extractor's kind: `last_number`, `after`, `boxed`, `regex`, `json` or `choice`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::LastNumber => "last_number",
            Self::After(_) => "after",
            Self::Boxed => "boxed",
            Self::Regex(_) => "regex",
            Self::Json(_) => "json",
            Self::Choice => "choice",
        }
    }

    /// The answer in `reply`, or `None` when there is none to take. `case` gives the choices
    /// for `choice`.
    pub fn apply(&self, reply: &str, case: &Case) -> Option<String> {
        let taken = match self {
            Self::LastNumber => last_number_text(reply),
            Self::After(marker) => after(reply, marker),
            Self::Boxed => boxed(reply),
            Self::Regex(pattern) => last_match(pattern, reply),
            Self::Json(path) => json_path(reply, path),
            Self::Choice => {
                let choices = case_choices(case)?;
                read_choice(reply, &choices)
                    .and_then(choice_letter)
                    .map(String::from)
            }
        };
        taken.filter(|t| !t.is_empty())
    }
}

fn after(reply: &str, marker: &str) -> Option<String> {
    let at = reply.rfind(marker)?;
    let rest = reply[at + marker.len()..].trim_start();
    rest.lines().next().map(|line| line.trim().to_owned())
}

/// The content of the last `\boxed{…}`/`\fbox{…}` whose braces balance.
fn boxed(reply: &str) -> Option<String> {
    let mut starts: Vec<usize> = ["\\boxed{", "\\fbox{"]
        .iter()
        .flat_map(|p| reply.match_indices(p).map(|(at, p)| at + p.len()))
        .collect();
    starts.sort_unstable();
    starts.into_iter().rev().find_map(|open| {
        let mut depth = 1usize;
        for (i, c) in reply[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(reply[open..open + i].trim().to_owned());
                    }
                }
                _ => {}
            }
        }
        None
    })
}

fn last_match(pattern: &Regex, reply: &str) -> Option<String> {
    let captures = pattern.captures_iter(reply).last()?;
    let group = if captures.len() > 1 {
        captures.get(1)
    } else {
        captures.get(0)
    };
    group.map(|m| m.as_str().trim().to_owned())
}

/// The reply's first JSON object or array: a fenced ```` ```json ```` block's first, or else
/// the first that parses from an opening bracket in the text.
fn first_json(reply: &str) -> Option<serde_json::Value> {
    let fenced = reply
        .find("```json")
        .map(|at| &reply[at + "```json".len()..]);
    let parse_from = |text: &str| {
        text.char_indices()
            .filter(|(_, c)| matches!(c, '{' | '['))
            .find_map(|(at, _)| {
                serde_json::Deserializer::from_str(&text[at..])
                    .into_iter::<serde_json::Value>()
                    .next()
                    .and_then(Result::ok)
            })
    };
    fenced.and_then(parse_from).or_else(|| parse_from(reply))
}

fn json_path(reply: &str, path: &str) -> Option<String> {
    let mut value = first_json(reply)?;
    for key in path.split('.').filter(|k| !k.is_empty()) {
        value = match value {
            serde_json::Value::Object(mut map) => map.remove(key)?,
            serde_json::Value::Array(mut items) => {
                let i: usize = key.parse().ok()?;
                (i < items.len()).then(|| items.swap_remove(i))?
            }
            _ => return None,
        };
    }
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.trim().to_owned()),
        other => Some(other.to_string()),
    }
}

impl fmt::Display for Extractor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::After(marker) => write!(f, "after:{marker}"),
            Self::Regex(pattern) => write!(f, "regex:{}", pattern.as_str()),
            Self::Json(path) => write!(f, "json:{path}"),
            other => f.write_str(other.kind()),
        }
    }
}

impl PartialEq for Extractor {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl std::str::FromStr for Extractor {
    type Err = ConfigError;
    fn from_str(spec: &str) -> Result<Self, ConfigError> {
        Self::parse(spec)
    }
}

impl TryFrom<String> for Extractor {
    type Error = ConfigError;
    fn try_from(value: String) -> Result<Self, ConfigError> {
        Self::parse(&value)
    }
}

impl From<Extractor> for String {
    fn from(value: Extractor) -> String {
        value.to_string()
    }
}

impl schemars::JsonSchema for Extractor {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Extractor".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": format!("How the answer is taken out of the reply: {FORMS}"),
            "pattern": "^(last_number|boxed|choice|(after|regex|json):.+)$",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mc_case() -> Case {
        Case::new("q", "Capital of France?")
            .with_metadata(serde_json::json!({"choices": ["Berlin", "Madrid", "Paris"]}))
    }

    #[test]
    fn every_extractor_on_real_replies() {
        let table: &[(&str, &str, Option<&str>)] = &[
            ("last_number", "It costs 1,234 dollars.", Some("1234")),
            ("last_number", "From 3 to -7.5.", Some("-7.5")),
            ("last_number", "+5 then +6", Some("6")),
            ("last_number", "no digits at all", None),
            (
                "after:####",
                "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72",
                Some("72"),
            ),
            ("after:####", "#### 1\nthen #### 2\nmore", Some("2")),
            ("after:####", "no marker", None),
            ("after:####", "ends with ####   ", None),
            ("after:Answer:", "Answer:\n  Paris\nbecause", Some("Paris")),
            ("boxed", r"so $\boxed{\frac{1}{2}}$.", Some(r"\frac{1}{2}")),
            ("boxed", r"\boxed{1} at first, but \fbox{ 2 }", Some("2")),
            ("boxed", r"\boxed{x^{2}", None),
            ("boxed", "no box", None),
            (
                "regex:answer: (\\w+)",
                "answer: no\nanswer: yes",
                Some("yes"),
            ),
            ("regex:\\d+", "1 then 22", Some("22")),
            ("regex:(\\d+)", "none", None),
            (
                "json:answer",
                "Here:\n```json\n{\"answer\": \"B\", \"why\": \"…\"}\n```",
                Some("B"),
            ),
            (
                "json:result.items.1",
                "{\"result\": {\"items\": [1, {\"a\": [2]}]}} trailing",
                Some("{\"a\":[2]}"),
            ),
            (
                "json:answer",
                "The set {1, 2} then {\"answer\": 42}",
                Some("42"),
            ),
            ("json:answer", "{\"answer\": null}", None),
            ("json:missing", "{\"answer\": 1}", None),
            ("json:answer", "no json", None),
            ("choice", "The answer is (C).", Some("C")),
            ("choice", "I cannot tell.", None),
        ];
        for (spec, reply, want) in table {
            let extractor: Extractor = spec.parse().unwrap();
            assert_eq!(
                extractor.apply(reply, &mc_case()).as_deref(),
                *want,
                "{spec} on {reply:?}"
            );
        }
    }

    #[test]
    fn a_choice_needs_choices() {
        let plain = Case::new("q", "?");
        assert_eq!(Extractor::Choice.apply("C", &plain), None);
    }

    #[test]
    fn names_round_trip_and_errors_list_the_forms() {
        for spec in [
            "last_number",
            "after:####",
            "boxed",
            "regex:(\\d+)",
            "json:a.0",
            "choice",
        ] {
            let extractor: Extractor = spec.parse().unwrap();
            assert_eq!(extractor.to_string(), spec);
            let json = serde_json::to_value(&extractor).unwrap();
            assert_eq!(json, serde_json::json!(spec));
            assert_eq!(
                serde_json::from_value::<Extractor>(json).unwrap(),
                extractor
            );
        }
        for bad in ["nope", "after", "after:", "regex:(", "boxed:1", "json:"] {
            let err = Extractor::parse(bad).unwrap_err().to_string();
            assert!(err.contains("after:MARKER"), "{bad}: {err}");
        }
        assert!(serde_json::from_value::<Extractor>(serde_json::json!("nope")).is_err());
    }
}
