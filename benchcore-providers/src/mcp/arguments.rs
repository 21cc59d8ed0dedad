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
pub(crate) fn arguments(mapping: &[(String, ArgumentSource)], request: &AgentRequest) -> Value {
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
        args.insert(name.clone(), value);
    }
    Value::Object(args)
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
