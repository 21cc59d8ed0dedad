//! A kind registered for tests only, through the same table line every kind has
//! (`#[cfg(test)] "test_echo" => TestEcho(…)` in `table.rs`): proof that a new kind is one
//! new file plus one line, and that every path (files, specs, the schema, stored configs,
//! building, pricing) reads the table.

use super::{build_agent, check_name, field_error, AgentConfig, AgentKind, KindInfo};
use benchcore::{async_trait, Agent, AgentError, AgentReply, AgentRequest, ConfigError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Echoes the last user message, after a prefix.
#[allow(unreachable_pub)]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EchoConfig {
    /// The agent's name (default `echo`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    /// Put before every reply.
    pub(crate) prefix: String,
}

impl AgentKind for EchoConfig {
    const INFO: KindInfo = KindInfo {
        spec: Some("test_echo:PREFIX"),
        key_env: Some("BENCHCORE_TEST_ECHO_KEY"),
        ..KindInfo::LOCAL
    };

    fn from_spec(arg: Option<&str>) -> Result<Self, String> {
        Ok(Self {
            name: None,
            prefix: arg.ok_or("the prefix is missing")?.to_owned(),
        })
    }

    fn agent_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| "echo".to_owned())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if let Some(name) = &self.name {
            check_name(name).map_err(|why| field_error(&self.agent_name(), "name", why))?;
        }
        Ok(())
    }

    fn build(&self) -> Result<Arc<dyn Agent>, ConfigError> {
        self.validate()?;
        Ok(Arc::new(Echo {
            name: self.agent_name(),
            prefix: self.prefix.clone(),
        }))
    }
}

#[derive(Debug)]
struct Echo {
    name: String,
    prefix: String,
}

#[async_trait]
impl Agent for Echo {
    fn name(&self) -> &str {
        &self.name
    }

    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        let heard = request.last_user_text().unwrap_or_default();
        Ok(AgentReply::text(format!("{}{heard}", self.prefix)))
    }
}

#[tokio::test]
async fn a_kind_registered_by_one_line_works_everywhere() {
    // Specs.
    let config = AgentConfig::parse_spec("test_echo:>>").unwrap();
    assert_eq!(
        config,
        AgentConfig::TestEcho(EchoConfig::from_spec(Some(">>")).unwrap())
    );
    assert_eq!(
        (config.kind(), config.name()),
        ("test_echo", "echo".to_owned())
    );
    let err = AgentConfig::parse_spec("test_echo")
        .unwrap_err()
        .to_string();
    assert!(err.contains("(the prefix is missing)"), "{err}");
    assert!(err.contains("test_echo:PREFIX"), "{err}");

    // Files, with their checks and exact errors.
    let list = AgentConfig::from_toml(
        "[[agents]]\nkind = \"test_echo\"\nname = \"parrot\"\nprefix = \"> \"\n\n[[agents]]\nkind = \"gold\"\n",
    )
    .unwrap();
    assert_eq!(list[0].name(), "parrot");
    let err = AgentConfig::from_json("{\n \"kind\": \"test_echo\",\n \"prefx\": 1\n}").unwrap_err();
    assert_eq!(
        (err.line, err.field.as_deref()),
        (Some(3), Some("prefx")),
        "{err}"
    );
    let err = AgentConfig::from_json(r#"{"kind": "test_echo", "name": " "}"#).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("agents. .name"), "{err}");

    // The stored form, the schema and the table's row.
    let stored = config.to_stored();
    assert_eq!(
        stored,
        serde_json::json!({"kind": "test_echo", "prefix": ">>"})
    );
    assert_eq!(
        serde_json::from_value::<AgentConfig>(stored).unwrap(),
        config
    );
    let schema = super::agent_config_schema().to_string();
    assert!(schema.contains("\"test_echo\"") && schema.contains("Put before every reply."));
    let row = AgentConfig::kinds()
        .iter()
        .find(|k| k.name == "test_echo")
        .unwrap();
    assert_eq!(row.info.unwrap().key_env, Some("BENCHCORE_TEST_ECHO_KEY"));
    assert_eq!(config.info(), EchoConfig::INFO);

    // Building, unpriced as a local kind.
    let agent = build_agent(&config).unwrap();
    let reply = agent
        .respond(&AgentRequest::new(vec![benchcore::Message::user("hi")]))
        .await
        .unwrap();
    assert_eq!((reply.text.as_str(), reply.cost_usd), (">>hi", None));
}
