//! Cases built from Python dicts shaped like question-set lines.

use crate::errors;
use benchcore::{Case, Message};
use pyo3::prelude::*;
use serde_json::{Map, Value};

/// A case from a dict shaped like a JSONL line; errors name `what` and the field.
pub(crate) fn case_from_value(py: Python<'_>, value: Value, what: &str) -> PyResult<Case> {
    let Value::Object(mut fields) = value else {
        return Err(errors::argument(py, what, "expected a dict"));
    };
    let id = match fields.remove("id") {
        Some(Value::String(id)) if !id.is_empty() => id,
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => {
            return Err(errors::argument(
                py,
                &format!("{what}.id"),
                format!("expected a non-empty string or a number, got {other}"),
            ))
        }
        None => return Err(errors::argument(py, &format!("{what}.id"), "missing")),
    };
    let messages = match (fields.remove("input"), fields.remove("messages")) {
        (Some(Value::String(input)), None) => vec![Message::user(input)],
        (Some(other), None) => {
            return Err(errors::argument(
                py,
                &format!("{what}.input"),
                format!("expected a string, got {other}"),
            ))
        }
        (None, Some(messages)) => {
            let messages: Vec<Message> = serde_json::from_value(messages).map_err(|e| {
                errors::argument(
                    py,
                    &format!("{what}.messages"),
                    format!("{e} (expected [{{\"role\": \"user\", \"content\": \"…\"}}])"),
                )
            })?;
            if messages.is_empty() {
                return Err(errors::argument(
                    py,
                    &format!("{what}.messages"),
                    "is empty",
                ));
            }
            messages
        }
        (Some(_), Some(_)) => {
            return Err(errors::argument(
                py,
                what,
                "has both `input` and `messages`: give one",
            ))
        }
        (None, None) => {
            return Err(errors::argument(
                py,
                &format!("{what}.input"),
                "missing (give `input` or `messages`)",
            ))
        }
    };
    let target = fields.remove("target").filter(|t| !t.is_null());
    let mut metadata = match fields.remove("metadata") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map,
        Some(other) => {
            return Err(errors::argument(
                py,
                &format!("{what}.metadata"),
                format!("expected a dict, got {other}"),
            ))
        }
    };
    metadata.extend(fields);
    let mut case = Case::from_messages(id, messages);
    if let Some(target) = target {
        case = case.with_target(target);
    }
    if !metadata.is_empty() {
        case = case.with_metadata(Value::Object(metadata));
    }
    Ok(case)
}
