//! The CLI's short form of an agent (`openai:gpt-4o-mini`), read through the kind table.

use super::AgentConfig;
use benchcore::ConfigError;

impl AgentConfig {
    /// Reads the CLI's short form, `kind:ARG` or the kind alone: `gold`, `null`,
    /// `replay:FILE`, `openai:MODEL`, `anthropic:MODEL`, `openrouter:MODEL`, `nvidia:MODEL`,
    /// `lmstudio:MODEL` (or `lmstudio/MODEL`) or `openai_compatible:MODEL@BASE_URL`. The
    /// model may itself hold colons (`lmstudio:qwen2.5:7b`); a kind with a default model
    /// (`anthropic`, `openrouter`, `nvidia`) needs none.
    ///
    /// # Errors
    /// Not a spec of any kind compiled in; the error says why and lists the forms.
    pub fn parse_spec(spec: &str) -> Result<AgentConfig, ConfigError> {
        let spec = spec.trim();
        let bad = |why: &str| {
            let why = match why {
                "" => String::new(),
                why => format!(" ({why})"),
            };
            ConfigError::new(format!(
                "`{spec}` is not an agent spec{why}: use {}",
                spec_forms()
            ))
        };
        // A kind's own prefix names it: `lmstudio/ID` reads as `lmstudio:ID`.
        let prefixed = Self::kinds().iter().find_map(|row| {
            let prefix = row.info?.spec_prefix?;
            Some((row.name, Some(spec.strip_prefix(prefix)?)))
        });
        let (kind, arg) = prefixed.unwrap_or_else(|| match spec.split_once(':') {
            Some((kind, arg)) => (kind, Some(arg)),
            None => (spec, None),
        });
        if let Some(why) = Self::compiled_out(kind) {
            return Err(bad(&why));
        }
        match Self::from_spec_of(kind, arg) {
            Some(parsed) => parsed.map_err(|why| bad(&why)),
            None => Err(bad("")),
        }
    }
}

/// The short forms of the kinds compiled in: `openai:MODEL, …, gold or null`.
fn spec_forms() -> String {
    let forms: Vec<&str> = AgentConfig::kinds()
        .iter()
        .filter_map(|row| row.info?.spec)
        .collect();
    match forms.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}
