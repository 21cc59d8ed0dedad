//! The registry's tests: specs, files, stored configs and the schema, per feature set.

use super::test_kind::EchoConfig;
use super::*;
use benchcore::AgentRequest;

#[cfg(feature = "openai-compatible")]
mod with_openai {
    use super::*;
    use crate::OpenAiConfig;

    #[test]
    fn kinds_with_a_default_model_need_none_in_a_spec() {
        assert_eq!(
            AgentConfig::parse_spec("openrouter").unwrap().name(),
            "openrouter/auto"
        );
        assert_eq!(
            AgentConfig::parse_spec("nvidia:").unwrap().name(),
            "meta/llama-3.1-8b-instruct"
        );
        assert!(AgentConfig::parse_spec("openai").is_err());
    }

    #[test]
    fn lmstudio_ids_with_their_prefix_are_specs() {
        let config = AgentConfig::parse_spec("lmstudio/liquid/lfm2.5-1.2b").unwrap();
        assert_eq!(config.kind(), "lmstudio");
        assert_eq!(config.name(), "lmstudio/liquid/lfm2.5-1.2b");
        assert_eq!(
            AgentConfig::parse_spec("lmstudio:liquid/lfm2.5-1.2b")
                .unwrap()
                .name(),
            "lmstudio/liquid/lfm2.5-1.2b"
        );
    }

    #[test]
    fn specs_parse() {
        assert_eq!(AgentConfig::parse_spec("gold").unwrap(), AgentConfig::Gold);
        assert_eq!(
            AgentConfig::parse_spec(" null ").unwrap(),
            AgentConfig::Null
        );
        let AgentConfig::LmStudio(c) = AgentConfig::parse_spec("lmstudio:qwen2.5:7b").unwrap()
        else {
            panic!()
        };
        assert_eq!(c.model, "qwen2.5:7b");
        let AgentConfig::OpenRouter(c) =
            AgentConfig::parse_spec("openrouter:meta-llama/llama-3-8b:free").unwrap()
        else {
            panic!()
        };
        assert_eq!(c.model, "meta-llama/llama-3-8b:free");
        assert_eq!(
            AgentConfig::parse_spec("nvidia:meta/llama").unwrap().kind(),
            "nvidia"
        );
        let AgentConfig::OpenAiCompatible(c) =
            AgentConfig::parse_spec("openai_compatible:org/model@v2@http://127.0.0.1:8000/v1")
                .unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (c.model.as_str(), c.base_url.as_str()),
            ("org/model@v2", "http://127.0.0.1:8000/v1")
        );
    }

    #[test]
    fn bad_specs_say_what_is_accepted() {
        for spec in [
            "gpt-4o",
            "openai:",
            "openai_compatible:model",
            "gold:x",
            "anthropc:claude",
            "",
        ] {
            let err = AgentConfig::parse_spec(spec).unwrap_err().to_string();
            assert!(
                err.contains("openai_compatible:MODEL@BASE_URL"),
                "{spec}: {err}"
            );
        }
        let err = AgentConfig::parse_spec("openai_compatible:model")
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs a base URL"), "{err}");
    }

    #[test]
    fn stored_configs_hold_no_secret_and_rebuild() {
        let config = AgentConfig::OpenAi(
            OpenAiConfig::new("gpt-4o")
                .with_api_key("sk-literal-secret")
                .with_header("Authorization", "Bearer sk-header-secret")
                .with_header("X-Title", "bench")
                .with_temperature(0.5),
        );
        let stored = config.to_stored();
        let text = stored.to_string();
        assert!(
            !text.contains("sk-literal-secret") && !text.contains("sk-header-secret"),
            "{text}"
        );
        assert_eq!(stored["kind"], "openai");
        assert_eq!(stored["headers"]["X-Title"], "bench");
        let back: AgentConfig = serde_json::from_value(stored).unwrap();
        assert_eq!(back.name(), "gpt-4o");
        let AgentConfig::OpenAi(back) = back else {
            panic!()
        };
        assert_eq!(back.temperature, Some(0.5));
        assert_eq!(back.api_key, None);
    }

    #[test]
    fn json_files_hold_one_config_or_a_list() {
        let one = AgentConfig::from_json(r#"{"kind": "gold"}"#).unwrap();
        assert_eq!(one, vec![AgentConfig::Gold]);
        let list = AgentConfig::from_json(
            r#"[{"kind": "null"}, {"kind": "openai_compatible", "model": "m", "base_url": "http://127.0.0.1:1/v1"}]"#,
        )
        .unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].name(), "m");
        let wrapped = AgentConfig::from_json(r#"{"agents": [{"kind": "gold"}]}"#).unwrap();
        assert_eq!(wrapped, vec![AgentConfig::Gold]);
    }

    #[test]
    fn json_errors_name_the_line_and_field() {
        let err = AgentConfig::from_json("[\n  {\"kind\": \"gold\"},\n  {\"kind\": \"openai\", \"model\": \"m\", \"bse_url\": \"x\"}\n]")
            .unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(err.message.contains("unknown field `bse_url`"), "{err}");
        let err = AgentConfig::from_json(r#"{"kind": "anthropc"}"#).unwrap_err();
        assert!(err.message.contains("unknown variant `anthropc`"), "{err}");
        // `kind` need not come first.
        let list =
            AgentConfig::from_json(r#"[{"model": "m", "kind": "nvidia"}, {"kind": "gold"}]"#)
                .unwrap();
        assert_eq!(list[0].kind(), "nvidia");
        let err =
            AgentConfig::from_json(r#"{"model": "m", "kind": "nvidia", "modle": 1}"#).unwrap_err();
        assert!(err.message.contains("unknown field `modle`"), "{err}");
        let err = AgentConfig::from_json(r#"{"kind": "gold", "model": "m"}"#).unwrap_err();
        assert!(err.message.contains("unknown field `model`"), "{err}");
        let err = AgentConfig::from_json(r#"{"model": "m"}"#).unwrap_err();
        assert!(err.message.contains("missing field `kind`"), "{err}");
        let err = AgentConfig::from_json(
            r#"{"kind": "openai_compatible", "model": "m", "base_url": "nope"}"#,
        )
        .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("agents.m.base_url"), "{err}");
        let err = AgentConfig::from_json(r#"[{"kind": "gold"}, {"kind": "gold"}]"#).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("agents.1.name"), "{err}");
    }

    #[test]
    fn toml_files_hold_one_config_or_a_list() {
        let one = AgentConfig::from_toml(
            "kind = \"openai\"\nmodel = \"gpt-4o\"\nmax_tokens = 256\ntemperature = 0\n",
        )
        .unwrap();
        let AgentConfig::OpenAi(c) = &one[0] else {
            panic!()
        };
        assert_eq!((c.max_tokens, c.temperature), (Some(256), Some(0.0)));
        let list = AgentConfig::from_toml(
            "[[agents]]\nkind = \"gold\"\n\n[[agents]]\nkind = \"lmstudio\"\nmodel = \"qwen\"\n[agents.headers]\nX-Title = \"t\"\n",
        )
        .unwrap();
        assert_eq!(list.len(), 2);
        let err = AgentConfig::from_toml(
            "[[agents]]\nkind = \"gold\"\n\n[[agents]]\nkind = \"nvidia\"\nmodle = \"m\"\n",
        )
        .unwrap_err();
        assert!(err.message.contains("modle"), "{err}");
        assert!(err.line.is_some(), "{err}");
    }

    #[test]
    fn files_name_themselves_in_errors() {
        let dir =
            std::env::temp_dir().join(format!("benchcore-providers-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("agents.json");
        std::fs::write(&path, "{\n  \"kind\": \"openai\",\n  \"model\": 5\n}").unwrap();
        let err = AgentConfig::from_file(&path).unwrap_err();
        assert_eq!(err.path.as_deref(), Some(path.as_path()));
        assert_eq!(err.line, Some(3), "{err}");
        assert!(
            err.to_string()
                .contains("agents.json:3: model: invalid type: integer `5`"),
            "{err}"
        );
        let missing = AgentConfig::from_file(dir.join("missing.toml")).unwrap_err();
        assert!(
            missing.to_string().contains("missing.toml: cannot read"),
            "{missing}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reference_agents_build() {
        assert_eq!(build_agent(&AgentConfig::Gold).unwrap().name(), "gold");
        assert_eq!(build_agent(&AgentConfig::Null).unwrap().name(), "null");
        let agent = build_agent(
            &AgentConfig::parse_spec("openai_compatible:m@http://127.0.0.1:1/v1").unwrap(),
        )
        .unwrap();
        assert!(agent.capabilities().remote);
    }

    #[test]
    fn the_schema_lists_every_kind() {
        let schema = agent_config_schema().to_string();
        for kind in [
            "openai_compatible",
            "openai",
            "openrouter",
            "nvidia",
            "lmstudio",
            "gold",
            "null",
        ] {
            assert!(
                schema.contains(&format!("\"{kind}\"")),
                "{kind} missing from {schema}"
            );
        }
    }
}

#[cfg(feature = "anthropic")]
mod with_anthropic {
    use super::*;
    use crate::AnthropicConfig;

    #[test]
    fn anthropic_specs_files_and_stored_configs() {
        let AgentConfig::Anthropic(c) =
            AgentConfig::parse_spec("anthropic:claude-sonnet-4-5").unwrap()
        else {
            panic!()
        };
        assert_eq!(c.model, "claude-sonnet-4-5");
        // The kind alone takes the default model.
        let bare = AgentConfig::parse_spec("anthropic:").unwrap();
        assert_eq!(bare.name(), AnthropicConfig::DEFAULT_MODEL);
        let list = AgentConfig::from_toml(
            "[[agents]]\nkind = \"anthropic\"\nmodel = \"claude-x\"\nstream = true\nmax_tokens = 64\n",
        )
        .unwrap();
        assert_eq!(
            (list[0].kind(), list[0].name()),
            ("anthropic", "claude-x".into())
        );
        let err =
            AgentConfig::from_json(r#"{"kind": "anthropic", "model": "m", "temperature": 2}"#)
                .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("agents.m.temperature"), "{err}");
        let config = AgentConfig::Anthropic(
            AnthropicConfig::new("claude-x")
                .with_api_key("sk-ant-literal")
                .with_header("x-api-key", "sk-ant-header")
                .with_stream(true),
        );
        let stored = config.to_stored();
        let text = stored.to_string();
        assert!(!text.contains("sk-ant-"), "{text}");
        assert_eq!(stored["kind"], "anthropic");
        assert_eq!(stored["stream"], true);
        let agent = build_agent(&config).unwrap();
        assert!(agent.capabilities().streaming);
        assert!(agent_config_schema().to_string().contains("\"anthropic\""));
    }
}

#[cfg(not(feature = "anthropic"))]
mod without_anthropic {
    use super::*;

    #[test]
    fn anthropic_names_its_feature() {
        let err = AgentConfig::parse_spec("anthropic:claude").unwrap_err();
        assert!(
            err.message.contains("needs the `anthropic` feature"),
            "{err}"
        );
        let err = AgentConfig::from_json(r#"{"kind": "anthropic", "model": "m"}"#).unwrap_err();
        assert!(
            err.message.contains("needs the `anthropic` feature"),
            "{err}"
        );
    }
}

#[cfg(not(feature = "openai-compatible"))]
mod without_features {
    use super::*;

    #[test]
    fn a_kind_compiled_out_names_its_feature() {
        let err = AgentConfig::from_json(r#"{"kind": "openai", "model": "m"}"#).unwrap_err();
        assert!(
            err.message
                .contains("needs the `openai-compatible` feature"),
            "{err}"
        );
        let err = AgentConfig::parse_spec("openai:m").unwrap_err();
        assert!(
            err.message
                .contains("needs the `openai-compatible` feature"),
            "{err}"
        );
        assert_eq!(AgentConfig::parse_spec("gold").unwrap(), AgentConfig::Gold);
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

#[tokio::test]
async fn the_registry_knows_the_replay_kind() {
    let dir =
        std::env::temp_dir().join(format!("benchcore-registry-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("spec.jsonl");
    std::fs::write(&path, "{\"case_id\": \"q1\", \"reply\": \"hi\"}\n").unwrap();
    let spec = format!("replay:{}", path.display());
    let config = AgentConfig::parse_spec(&spec).unwrap();
    assert_eq!(
        (config.kind(), config.name()),
        ("replay", "replay".to_owned())
    );
    let stored = config.to_stored();
    assert_eq!(stored["file"], path.display().to_string());
    let back: AgentConfig = serde_json::from_value(stored).unwrap();
    assert_eq!(back, config);
    let agent = build_agent(&config).unwrap();
    let case = std::sync::Arc::new(benchcore::Case::new("q1", "question"));
    let request = AgentRequest::new(case.messages.clone()).with_case(case, 0);
    assert_eq!(agent.respond(&request).await.unwrap().text, "hi");
    let err = AgentConfig::parse_spec("replay:").unwrap_err();
    assert!(err.message.contains("replay:FILE"), "{err}");
    let list = AgentConfig::from_json(
        r#"[{"kind": "replay", "name": "canned", "text": "42"}, {"kind": "gold"}]"#,
    )
    .unwrap();
    assert_eq!(list[0].name(), "canned");
    let err = AgentConfig::from_json(r#"{"kind": "replay"}"#).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("agents.replay.file"), "{err}");
    assert!(agent_config_schema().to_string().contains("\"replay\""));
    std::fs::remove_dir_all(&dir).unwrap();
}
