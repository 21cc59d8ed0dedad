//! What every [`AgentConfig`] answers, whatever its kind: its name, its checks, its stored
//! form and its row of the kind table.

use super::kind::{Kind, KindInfo};
use super::AgentConfig;
use benchcore::ConfigError;

impl AgentConfig {
    /// Every kind this version knows, in table order, with the feature each needs and, when
    /// compiled in, its [`KindInfo`].
    ///
    /// ```
    /// use benchcore_providers::AgentConfig;
    /// let gold = AgentConfig::kinds().iter().find(|k| k.name == "gold").unwrap();
    /// assert_eq!(gold.info.unwrap().spec, Some("gold"));
    /// ```
    pub fn kinds() -> &'static [Kind] {
        Self::TABLE
    }

    /// What the kind table knows about this config's kind.
    pub fn info(&self) -> KindInfo {
        self.as_kind().info()
    }

    /// The agent's name in records: its `name`, else its model, else its kind's default
    /// (`gold`, `mcp`, `replay` …).
    pub fn name(&self) -> String {
        self.as_kind().agent_name()
    }

    /// Checks every field without reading the environment. Errors name the field as
    /// `agents.<name>.<field>`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.as_kind().validate()
    }

    /// The config as JSON for a stored run spec, from which [`build_agent`](crate::build_agent)
    /// rebuilds the agent on resume. Secrets stay out: a literal `api_key` is never
    /// serialized (the key is read again from its environment variable), and headers whose
    /// names mark them as credentials (`Authorization`, `X-Api-Key`, `Cookie`, `…Token…`)
    /// are dropped.
    pub fn to_stored(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(headers) = value.get_mut("headers").and_then(|h| h.as_object_mut()) {
            headers.retain(|name, _| !crate::http::is_sensitive_header(name));
        }
        value
    }

    /// Why a kind the table lists is not compiled in: `kind `x` needs the `f` feature of
    /// benchcore-providers`; `None` for a compiled-in or unknown kind.
    pub(crate) fn compiled_out(kind: &str) -> Option<String> {
        let row = Self::TABLE.iter().find(|row| row.name == kind)?;
        match (row.info, row.feature) {
            (None, Some(feature)) => Some(format!(
                "kind `{kind}` needs the `{feature}` feature of benchcore-providers"
            )),
            _ => None,
        }
    }
}
