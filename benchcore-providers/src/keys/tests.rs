//! `config_fields!`: what a declared config does with its keys.
#![allow(unreachable_pub, dead_code)]

use super::config_fields;

config_fields! {
    /// Every shared key, and own fields of each setter shape.
    pub struct AllKeys {
        name,
        /// A plain own field.
        pub model: String,
        api_key, headers, sampling, limits, system_prompt, stream,
        /// An optional own field.
        pub tool: Option<String> => with_tool,
        /// A secret own field.
        pub token: Option<Secret> => with_token,
        /// A map own field.
        pub arguments: BTreeMap<String, String> => with_argument,
    }
}

#[test]
fn declared_configs_redact_skip_and_refuse() {
    let config = AllKeys::default()
        .with_name("n")
        .with_api_key("sk-secret-1")
        .with_token("tok-secret-2")
        .with_header("Authorization", "Bearer sk-secret-3")
        .with_header("X-Title", "bench")
        .with_tool("ask")
        .with_argument("q", "$input")
        .with_seed(7)
        .with_timeout(std::time::Duration::from_millis(5));
    let debug = format!("{config:?}");
    for secret in ["sk-secret-1", "tok-secret-2", "sk-secret-3"] {
        assert!(!debug.contains(secret), "{debug}");
    }
    assert!(debug.starts_with("AllKeys { name: Some(\"n\")") && debug.contains("bench"));
    let json = serde_json::to_value(&config).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"name": "n", "model": "", "headers": {"Authorization": "Bearer sk-secret-3", "X-Title": "bench"},
            "seed": 7, "timeout_ms": 5, "tool": "ask", "arguments": {"q": "$input"}})
    );
    assert_eq!(config.keys().seed, Some(7));
    let err = serde_json::from_str::<AllKeys>(r#"{"modle": "m"}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field `modle`"), "{err}");
}
