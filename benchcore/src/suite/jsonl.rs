//! One case a line: `{"id", "input" | "messages", "target", "metadata", …}`.

use super::{SuiteError, SuiteErrorKind};
use crate::{Case, Message};
use serde_json::{Map, Value};

/// Parses one JSONL line into a case. Fields other than the known ones go into metadata.
pub(crate) fn parse_line(line: &str) -> Result<Case, SuiteError> {
    let malformed = |m: String| SuiteError::new(SuiteErrorKind::Malformed, m);
    let value: Value =
        serde_json::from_str(line).map_err(|e| malformed(format!("not valid JSON: {e}")))?;
    let Value::Object(fields) = value else {
        return Err(malformed("expected a JSON object".into()));
    };
    case_from_fields(fields)
}

/// Builds a case from named fields (shared by JSONL and CSV).
pub(crate) fn case_from_fields(mut fields: Map<String, Value>) -> Result<Case, SuiteError> {
    let malformed = |m: String| SuiteError::new(SuiteErrorKind::Malformed, m);
    let id = match fields.remove("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => {
            return Err(malformed(format!(
                "field `id`: expected a non-empty string, got {other}"
            )))
        }
        None => return Err(malformed("missing field `id`".into())),
    };
    let messages = match (fields.remove("input"), fields.remove("messages")) {
        (Some(_), Some(_)) => {
            return Err(malformed(
                "give either `input` or `messages`, not both".into(),
            ))
        }
        (Some(Value::String(s)), None) => vec![Message::user(s)],
        (Some(other), None) => {
            return Err(malformed(format!(
                "field `input`: expected a string, got {other}"
            )))
        }
        (None, Some(list)) => {
            let messages: Vec<Message> = serde_json::from_value(list).map_err(|e| {
                malformed(format!(
                    "field `messages`: expected [{{\"role\": \"system|user|assistant|tool\", \"content\": \"…\"}}]: {e}"
                ))
            })?;
            if messages.is_empty() {
                return Err(malformed("field `messages`: empty".into()));
            }
            messages
        }
        (None, None) => return Err(malformed("missing field `input` (or `messages`)".into())),
    };
    let target = fields.remove("target").filter(|t| !t.is_null());
    let mut metadata = match fields.remove("metadata") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(other) => {
            return Err(malformed(format!(
                "field `metadata`: expected an object, got {other}"
            )))
        }
    };
    metadata.extend(fields);
    let mut case = Case::from_messages(id, messages);
    case.target = target;
    if !metadata.is_empty() {
        case.metadata = Value::Object(metadata);
    }
    Ok(case)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_input_target_and_extra_fields() {
        let case =
            parse_line(r#"{"id": 7, "input": "2+2?", "target": 4, "level": "easy"}"#).unwrap();
        assert_eq!(case.id, "7");
        assert_eq!(case.targets(), vec!["4"]);
        assert_eq!(case.metadata["level"], "easy");
    }

    #[test]
    fn names_the_bad_field() {
        let err = parse_line(r#"{"id": "a", "messages": [{"role": "robot", "content": "x"}]}"#)
            .unwrap_err();
        assert!(err.message.contains("field `messages`"), "{err}");
        let err = parse_line(r#"{"input": "x"}"#).unwrap_err();
        assert!(err.message.contains("missing field `id`"), "{err}");
    }
}
