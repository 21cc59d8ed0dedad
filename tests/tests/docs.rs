//! The examples in the guides parse with the real loaders, so the docs cannot drift.

use benchcore_providers::judge::JudgeConfig;
use benchcore_providers::pricing::Pricing;
use benchcore_providers::AgentConfig;

/// The fenced blocks of one language in a guide.
fn blocks(guide: &str, language: &str) -> Vec<String> {
    let path = format!("{}/../docs/{guide}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let fence = format!("```{language}\n");
    text.split(&fence)
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn every_toml_example_in_the_provider_guide_loads() {
    let toml = blocks("providers.md", "toml");
    assert_eq!(toml.len(), 3, "agents file, judge file, price file");
    let agents = AgentConfig::from_toml(&toml[0]).unwrap();
    let kinds: Vec<&str> = agents.iter().map(AgentConfig::kind).collect();
    assert_eq!(
        kinds,
        ["openai", "anthropic", "openai", "openai_compatible", "mcp"]
    );
    let judge = JudgeConfig::from_toml(&toml[1]).unwrap();
    assert_eq!(judge.name, "judge");
    Pricing::from_toml(&toml[2]).unwrap();
}

#[test]
fn the_provider_guide_lists_every_kind_with_its_spec_and_key() {
    let path = format!("{}/../docs/providers.md", env!("CARGO_MANIFEST_DIR"));
    let guide = std::fs::read_to_string(&path).unwrap();
    let table = guide.split("## The kinds").nth(1).unwrap();
    let table = table.split("\n\n###").next().unwrap();
    for kind in AgentConfig::kinds() {
        let row = table
            .lines()
            .find(|line| line.starts_with('|') && line.contains(&format!("`{}`", kind.name)))
            .unwrap_or_else(|| panic!("kind `{}` is missing from the table", kind.name));
        let Some(info) = kind.info else { continue };
        if let Some(key) = info.key_env {
            assert!(row.contains(key), "{}: {key} missing from {row}", kind.name);
        }
        if let Some(spec) = info.spec {
            // The kind and its colon (`openai:`); the argument's name may differ.
            let head = spec.split_inclusive(':').next().unwrap();
            let head = format!("`{}", head.split(' ').next().unwrap());
            assert!(
                row.contains(&head),
                "{}: {head} missing from {row}",
                kind.name
            );
        }
    }
}

#[test]
fn the_stdio_mcp_agent_in_the_tools_guide_loads() {
    let toml = blocks("tools.md", "toml");
    assert_eq!(toml.len(), 1, "the stdio MCP agent");
    let agents = AgentConfig::from_toml(&toml[0]).unwrap();
    assert_eq!(agents[0].kind(), "mcp");
    agents[0].validate().unwrap();
}

#[test]
fn the_voice_guide_agent_file_loads_and_every_price_is_known() {
    let toml = blocks("voice.md", "toml");
    let agents = AgentConfig::from_toml(&toml[0]).unwrap();
    assert_eq!(agents[0].kind(), "realtime");
    let pricing = Pricing::builtin();
    for model in [
        "gpt-realtime",
        "gpt-realtime-mini",
        "gpt-4o-realtime-preview",
        "gpt-4o-mini-realtime-preview",
    ] {
        let price = pricing.price(model).unwrap();
        assert!(price.audio_output.unwrap() > price.output, "{model}");
    }
}
