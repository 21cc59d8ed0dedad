//! How a case maps onto a tool's arguments: each argument's [`ArgumentSource`], and the
//! arguments built from a request.

use benchcore::{AgentRequest, Role};
use serde_json::{json, Value};

/// What a tool argument receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArgumentSource {
    Input,
    Messages,
    System,
    Transcript,
    CaseId,
    Sample,
    Literal(String),
}

impl ArgumentSource {
    pub(crate) fn parse(text: &str) -> Self {
        match text {
            "$input" => Self::Input,
            "$messages" => Self::Messages,
            "$system" => Self::System,
            "$transcript" => Self::Transcript,
            "$case_id" => Self::CaseId,
            "$sample" => Self::Sample,
            // `$$x` is the literal `$x`.
            other => Self::Literal(
                other
                    .strip_prefix('$')
                    .filter(|r| r.starts_with('$'))
                    .unwrap_or(other)
                    .to_owned(),
            ),
        }
    }
}

/// The tool arguments for a request.
pub(crate) fn arguments(
    mapping: &[(String, ArgumentSource)],
    schema: &Value,
    request: &AgentRequest,
) -> Value {
    let mut args = serde_json::Map::new();
    for (name, source) in mapping {
        let value = match source {
            ArgumentSource::Input => json!(request.last_user_text().unwrap_or_default()),
            ArgumentSource::Messages => json!(request
                .messages
                .iter()
                .map(|m| json!({ "role": m.role.as_str(), "content": m.content }))
                .collect::<Vec<_>>()),
            ArgumentSource::System => json!(request
                .messages
                .iter()
                .filter(|m| m.role == Role::System)
                .map(|m| m.content.as_str())
                .collect::<Vec<_>>()
                .join("\n\n")),
            ArgumentSource::Transcript => json!(request
                .messages
                .iter()
                .map(|m| format!("{}: {}", m.role.as_str().to_uppercase(), m.content))
                .collect::<Vec<_>>()
                .join("\n")),
            ArgumentSource::CaseId => json!(request
                .case
                .as_ref()
                .map(|c| c.id.as_str())
                .unwrap_or_default()),
            ArgumentSource::Sample => json!(request.sample),
            ArgumentSource::Literal(text) => json!(text),
        };
        let declared = schema["properties"][name]["type"].as_str();
        args.insert(name.clone(), typed(value, declared));
    }
    Value::Object(args)
}

/// A text value in the type the tool's schema declares for it, when it reads as one:
/// `"5"` for an `integer` or `number` stays a number, `"true"` for a `boolean` a boolean,
/// JSON text for an `object` or `array` that value. Anything else is sent as it is.
fn typed(value: Value, declared: Option<&str>) -> Value {
    let Value::String(text) = &value else {
        return value;
    };
    let parsed: Option<Value> = match declared {
        Some("integer") => text.trim().parse::<i64>().ok().map(Value::from),
        // An integral text stays an integer (`2`, not `2.0`).
        Some("number") => text
            .trim()
            .parse::<i64>()
            .ok()
            .map(Value::from)
            .or_else(|| {
                text.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .map(Value::from)
            }),
        Some("boolean") => text.trim().parse::<bool>().ok().map(Value::from),
        Some("object") => serde_json::from_str::<Value>(text)
            .ok()
            .filter(Value::is_object),
        Some("array") => serde_json::from_str::<Value>(text)
            .ok()
            .filter(Value::is_array),
        _ => None,
    };
    parsed.unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse() {
        assert_eq!(ArgumentSource::parse("$input"), ArgumentSource::Input);
        assert_eq!(ArgumentSource::parse("$messages"), ArgumentSource::Messages);
        assert_eq!(
            ArgumentSource::parse("plain"),
            ArgumentSource::Literal("plain".into())
        );
        assert_eq!(
            ArgumentSource::parse("$$input"),
            ArgumentSource::Literal("$input".into())
        );
    }
}
