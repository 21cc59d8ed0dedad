//! Token prices per model, and [`Priced`], which fills in a reply's cost from them.
//!
//! [`Pricing::builtin`] holds **list prices** of common models in US dollars per million
//! tokens, as each provider published them. Prices change, and discounts (batch, cached
//! input, committed use) are not modelled: **check your provider**, and override or extend
//! the table with a file.
//!
//! A price file is JSON or TOML (by extension), a `models` table from model id to the
//! per-million-token prices of input and output:
//!
//! ```toml
//! # prices.toml: US dollars per million tokens
//! [models."gpt-4o"]
//! input = 2.5
//! output = 10.0
//!
//! [models."my-finetune"]
//! input = 0.3
//! output = 1.2
//! ```
//!
//! Its entries are laid over the built-in table; `replace_defaults = true` drops the
//! built-in table instead. [`build_agent`](crate::build_agent) reads the file the
//! `BENCHCORE_PRICING` environment variable names ([`Pricing::from_env`]); the CLI also takes
//! `--pricing FILE`.
//!
//! A model id is matched exactly, then by the longest table entry it starts with where the
//! rest begins with `-`, `_`, `:` or `@` (`gpt-4o-2024-08-06` is priced as `gpt-4o`, but
//! `gpt-4o` and `gpt-4.5` are never priced as `gpt-4`), then the same again with any
//! `vendor/` prefix removed. Matching ignores case.

use benchcore::agent::BatchApi;
use benchcore::config::{ConfigText, Format};
use benchcore::{async_trait, Usage};
use benchcore::{Agent, AgentCapabilities, AgentError, AgentReply, AgentRequest, ConfigError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// The environment variable naming a price file laid over the built-in table.
pub const PRICING_ENV: &str = "BENCHCORE_PRICING";

mod builtin;
use builtin::{BUILTIN, BUILTIN_VOICE};

/// One model's prices, in US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    /// Dollars per million input (prompt) tokens.
    pub input: f64,
    /// Dollars per million output (completion) tokens.
    pub output: f64,
    /// Dollars per million audio input tokens (speech-to-speech models); `input` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_input: Option<f64>,
    /// Dollars per million audio output tokens; `output` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_output: Option<f64>,
    /// Dollars per million cached input tokens; `input` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input: Option<f64>,
}

impl ModelPrice {
    /// A price of `input` and `output` dollars per million tokens.
    pub fn new(input: f64, output: f64) -> Self {
        Self {
            input,
            output,
            audio_input: None,
            audio_output: None,
            cached_input: None,
        }
    }

    /// Sets the prices of audio input and output tokens.
    pub fn with_audio(mut self, input: f64, output: f64) -> Self {
        self.audio_input = Some(input);
        self.audio_output = Some(output);
        self
    }

    /// Sets the price of cached input tokens.
    pub fn with_cached_input(mut self, price: f64) -> Self {
        self.cached_input = Some(price);
        self
    }

    /// What a speech-to-speech exchange costs at this price, in US dollars: text and audio
    /// tokens at their own prices, cached input at the cached price.
    pub fn voice_cost(&self, usage: &benchcore::agent::VoiceUsage) -> f64 {
        let cached = self.cached_input.unwrap_or(self.input);
        let cached_audio = usage
            .cached_audio_input_tokens
            .min(usage.audio_input_tokens);
        let cached_text = usage
            .cached_input_tokens
            .saturating_sub(cached_audio)
            .min(usage.text_input_tokens);
        let dollars = (usage.text_input_tokens - cached_text) as f64 * self.input
            + (usage.audio_input_tokens - cached_audio) as f64
                * self.audio_input.unwrap_or(self.input)
            + (cached_text + cached_audio) as f64 * cached
            + usage.text_output_tokens as f64 * self.output
            + usage.audio_output_tokens as f64 * self.audio_output.unwrap_or(self.output);
        dollars / 1e6
    }

    /// What `usage` costs at this price, in US dollars.
    pub fn cost(&self, usage: &Usage) -> f64 {
        (usage.input_tokens as f64 * self.input + usage.output_tokens as f64 * self.output) / 1e6
    }
}

/// A price file's contents.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
struct PriceFile {
    /// Drop the built-in table instead of extending it.
    replace_defaults: bool,
    /// Model id to prices.
    models: BTreeMap<String, ModelPrice>,
}

/// A table of token prices by model id.
///
/// ```
/// use benchcore::Usage;
/// use benchcore_providers::pricing::{ModelPrice, Pricing};
/// let pricing = Pricing::builtin().with_price("my-model", ModelPrice::new(1.0, 2.0));
/// let cost = pricing.cost("gpt-4o-mini-2024-07-18", &Usage::new(1_000_000, 0)).unwrap();
/// assert!((cost - 0.15).abs() < 1e-9);
/// assert_eq!(pricing.cost("my-model", &Usage::new(0, 500_000)), Some(1.0));
/// assert_eq!(pricing.cost("mystery-model", &Usage::new(10, 10)), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pricing {
    /// Lowercase model id to prices.
    models: BTreeMap<String, ModelPrice>,
}

impl Pricing {
    /// An empty table: nothing is priced.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The built-in table of list prices (check your provider).
    pub fn builtin() -> Self {
        Self {
            models: BUILTIN
                .iter()
                .map(|(model, input, output)| {
                    ((*model).to_owned(), ModelPrice::new(*input, *output))
                })
                .chain(BUILTIN_VOICE.iter().map(
                    |(model, input, cached, output, audio_in, audio_out)| {
                        let price = ModelPrice::new(*input, *output)
                            .with_cached_input(*cached)
                            .with_audio(*audio_in, *audio_out);
                        ((*model).to_owned(), price)
                    },
                ))
                .collect(),
        }
    }

    /// The built-in table, overlaid with the file `BENCHCORE_PRICING` names when it is set.
    ///
    /// # Errors
    /// The file cannot be read or is not a price file; the error names it.
    pub fn from_env() -> Result<Self, ConfigError> {
        match std::env::var_os(PRICING_ENV) {
            Some(path) if !path.is_empty() => Self::from_file(Path::new(&path)).map_err(|mut e| {
                e.message = format!("{} (named by {PRICING_ENV})", e.message);
                e
            }),
            _ => Ok(Self::builtin()),
        }
    }

    /// The built-in table overlaid with a JSON or TOML (by extension) price file.
    ///
    /// # Errors
    /// The file cannot be read, does not parse, or holds a price that is negative or not
    /// finite; the error names the file and, when known, the line.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        Self::from_config_text(&ConfigText::read(path, "price file")?)
    }

    /// The built-in table overlaid with a JSON price file's text.
    ///
    /// # Errors
    /// As [`from_file`](Self::from_file).
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        Self::from_config_text(&ConfigText::new(text, Format::Json))
    }

    /// The built-in table overlaid with a TOML price file's text.
    ///
    /// # Errors
    /// As [`from_file`](Self::from_file).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        Self::from_config_text(&ConfigText::new(text, Format::Toml))
    }

    fn from_config_text(text: &ConfigText) -> Result<Self, ConfigError> {
        let file: PriceFile = text.parse()?;
        Self::from_price_file(file).map_err(|err| text.locate(err))
    }

    fn from_price_file(file: PriceFile) -> Result<Self, ConfigError> {
        let mut pricing = if file.replace_defaults {
            Self::empty()
        } else {
            Self::builtin()
        };
        for (model, price) in file.models {
            for (side, value) in [("input", price.input), ("output", price.output)] {
                if !(value.is_finite() && value >= 0.0) {
                    return Err(ConfigError::field(
                        format!("models.{model}.{side}"),
                        format!("must be a price of at least 0, got {value}"),
                    ));
                }
            }
            pricing = pricing.with_price(model, price);
        }
        Ok(pricing)
    }

    /// Adds or replaces one model's price.
    pub fn with_price(mut self, model: impl AsRef<str>, price: ModelPrice) -> Self {
        self.models
            .insert(model.as_ref().trim().to_ascii_lowercase(), price);
        self
    }

    /// How many models it prices.
    pub fn len(&self) -> usize {
        self.models.len()
    }

    /// Whether it prices nothing.
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    /// The price of `model`: an exact match, else the longest entry it starts with followed
    /// by `-`, `_`, `:` or `@`, else the same without a `vendor/` prefix.
    pub fn price(&self, model: &str) -> Option<&ModelPrice> {
        let model = model.trim().to_ascii_lowercase();
        self.lookup(&model).or_else(|| {
            let (_, bare) = model.rsplit_once('/')?;
            self.lookup(bare)
        })
    }

    /// What `usage` of `model` costs, in US dollars, when the model is priced.
    pub fn cost(&self, model: &str, usage: &Usage) -> Option<f64> {
        self.price(model).map(|p| p.cost(usage))
    }

    fn lookup(&self, model: &str) -> Option<&ModelPrice> {
        if let Some(price) = self.models.get(model) {
            return Some(price);
        }
        self.models
            .iter()
            .filter(|(entry, _)| {
                model.starts_with(entry.as_str())
                    && model[entry.len()..].starts_with(['-', '_', ':', '@'])
            })
            .max_by_key(|(entry, _)| entry.len())
            .map(|(_, price)| price)
    }
}

/// The share of the list price a batch endpoint charges: half, at OpenAI (Batch API) and
/// Anthropic (Message Batches). [`Priced`] prices replies read from a batch at this rate.
pub const BATCH_RATE: f64 = 0.5;

/// An [`Agent`] decorator that fills in a reply's cost from a [`Pricing`] table when the
/// reply reports usage but no cost. The model is the reply's own, else the configured one.
/// A cost the provider reported (OpenRouter does) is kept as it is.
pub struct Priced<A: ?Sized = dyn Agent> {
    inner: Arc<A>,
    pricing: Arc<Pricing>,
    model: Option<String>,
}

impl<A: Agent + ?Sized> Priced<A> {
    /// Prices `inner`'s replies from `pricing`.
    pub fn new(inner: Arc<A>, pricing: Arc<Pricing>) -> Self {
        Self {
            inner,
            pricing,
            model: None,
        }
    }

    /// The model to price by when a reply does not name one.
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }
}

impl<A: Agent + ?Sized> Priced<A> {
    /// Fills in the cost of a reply that reports usage but none, at `rate` times the list
    /// price.
    pub(crate) fn fill_cost(&self, reply: &mut AgentReply, rate: f64) {
        if reply.cost_usd.is_none() && !reply.cached {
            let model = reply.model.as_deref().or(self.model.as_deref());
            let price = model.and_then(|m| self.pricing.price(m));
            // A spoken reply is priced by its text and audio tokens apart.
            let cost = match (&reply.voice, reply.usage) {
                (Some(voice), _) => price.map(|p| p.voice_cost(&voice.usage)),
                (None, Some(usage)) => price.map(|p| p.cost(&usage)),
                (None, None) => None,
            };
            reply.cost_usd = cost.map(|cost| cost * rate);
        }
    }

    /// The inner agent's batch endpoint.
    pub(crate) fn inner_batch(&self) -> Option<&dyn BatchApi> {
        self.inner.batch()
    }
}

impl<A: ?Sized> fmt::Debug for Priced<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Priced")
            .field("model", &self.model)
            .field("priced_models", &self.pricing.len())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl<A: Agent + ?Sized> Agent for Priced<A> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn capabilities(&self) -> AgentCapabilities {
        self.inner.capabilities()
    }

    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        let mut reply = self.inner.respond(request).await?;
        self.fill_cost(&mut reply, 1.0);
        Ok(reply)
    }

    /// The inner agent's batch endpoint, its replies priced at [`BATCH_RATE`].
    fn batch(&self) -> Option<&dyn BatchApi> {
        self.inner.batch().map(|_| self as &dyn BatchApi)
    }

    async fn conversation_ended(&self, case: &benchcore::Case, sample: u32) {
        self.inner.conversation_ended(case, sample).await;
    }
}

/// Wraps an agent built from a config in [`Priced`], pricing by the config's `model` when
/// a reply names none.
pub(crate) fn priced(
    agent: Arc<dyn Agent>,
    stored_config: &serde_json::Value,
    pricing: Arc<Pricing>,
) -> Arc<dyn Agent> {
    let mut priced = Priced::new(agent, pricing);
    if let Some(model) = stored_config.get("model").and_then(|m| m.as_str()) {
        priced = priced.with_model(model);
    }
    Arc::new(priced)
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchcore::Message;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-12)
    }

    #[test]
    fn the_builtin_table_prices_common_models() {
        let p = Pricing::builtin();
        let million_in = Usage::new(1_000_000, 0);
        let million_out = Usage::new(0, 1_000_000);
        for (model, input, output) in [
            ("gpt-4o", 2.5, 10.0),
            ("gpt-4o-mini", 0.15, 0.6),
            ("gpt-4.1-nano", 0.1, 0.4),
            ("o3", 2.0, 8.0),
            ("o4-mini", 1.1, 4.4),
            ("claude-sonnet-4-20250514", 3.0, 15.0),
            ("claude-3-5-haiku-latest", 0.8, 4.0),
            ("claude-opus-4-1-20250805", 15.0, 75.0),
        ] {
            assert!(close(p.cost(model, &million_in), input), "{model} input");
            assert!(close(p.cost(model, &million_out), output), "{model} output");
        }
        assert!(BUILTIN
            .iter()
            .all(|(m, i, o)| m.chars().all(|c| !c.is_ascii_uppercase()) && *i >= 0.0 && *o >= 0.0));
    }

    #[test]
    fn the_longest_prefix_at_a_boundary_wins() {
        let p = Pricing::builtin();
        let price = |m: &str| p.price(m).copied();
        assert_eq!(price("gpt-4o-2024-08-06"), price("gpt-4o"));
        assert_eq!(price("gpt-4o-mini-2024-07-18"), price("gpt-4o-mini"));
        assert_eq!(price("gpt-4o-2024-05-13"), Some(ModelPrice::new(5.0, 15.0)));
        assert_eq!(price("gpt-4.1-mini-2025-04-14"), price("gpt-4.1-mini"));
        assert_eq!(price("o3-mini-2025-01-31"), price("o3-mini"));
        assert_eq!(price("o3-2025-04-16"), price("o3"));
        assert_eq!(
            price("claude-sonnet-4-5-20250929"),
            price("claude-sonnet-4-5")
        );
        // Never across a boundary: gpt-4o is not gpt-4, o3x is not o3.
        assert_ne!(price("gpt-4o"), price("gpt-4"));
        assert_eq!(price("o3x"), None);
        assert_eq!(price("gpt-4.5-preview"), None);
        assert_eq!(price(""), None);
        assert_eq!(price("a"), None);
    }

    #[test]
    fn case_and_vendor_prefixes_are_ignored() {
        let p = Pricing::builtin();
        assert_eq!(p.price("GPT-4o"), p.price("gpt-4o"));
        assert_eq!(p.price("openai/gpt-4o-mini"), p.price("gpt-4o-mini"));
        assert_eq!(
            p.price("meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo"),
            Some(&ModelPrice::new(0.18, 0.18))
        );
        assert_eq!(
            p.price("groq/llama-3.1-8b-instant"),
            p.price("llama-3.1-8b-instant")
        );
    }

    #[test]
    fn files_overlay_or_replace_the_table() {
        let json = Pricing::from_json(
            r#"{"models": {"gpt-4o": {"input": 1, "output": 2}, "Mine": {"input": 0, "output": 0.5}}}"#,
        )
        .unwrap();
        assert_eq!(
            json.price("gpt-4o-2024-08-06"),
            Some(&ModelPrice::new(1.0, 2.0))
        );
        assert_eq!(json.price("mine"), Some(&ModelPrice::new(0.0, 0.5)));
        assert!(json.price("o3").is_some(), "the built-in table is kept");
        let toml = Pricing::from_toml(
            "replace_defaults = true\n[models.\"my-model\"]\ninput = 3\noutput = 4\n",
        )
        .unwrap();
        assert_eq!(toml.len(), 1);
        assert_eq!(toml.price("o3"), None);
        assert_eq!(
            toml.cost("my-model", &Usage::new(500_000, 250_000)),
            Some(2.5)
        );
    }

    #[test]
    fn bad_files_name_the_file_line_and_field() {
        let err =
            Pricing::from_json(r#"{"models": {"m": {"input": -1, "output": 1}}}"#).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("models.m.input"), "{err}");
        let err = Pricing::from_toml("[models.m]\ninput = 1\nouptut = 2\n").unwrap_err();
        assert!(err.message.contains("ouptut"), "{err}");
        assert_eq!(err.line, Some(3), "{err}");
        let dir = tempfile_dir();
        let path = dir.join("prices.json");
        std::fs::write(&path, "{\n  \"models\": 5\n}").unwrap();
        let err = Pricing::from_file(&path).unwrap_err();
        assert_eq!(err.path.as_deref(), Some(path.as_path()));
        assert_eq!(err.line, Some(2), "{err}");
        let err = Pricing::from_file(dir.join("absent.toml")).unwrap_err();
        assert!(
            err.to_string().contains("absent.toml: cannot read"),
            "{err}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "benchcore-pricing-test-{}-{}",
            std::process::id(),
            benchcore::now_ms()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Replies with a fixed reply.
    struct Fixed(AgentReply);

    #[async_trait]
    impl Agent for Fixed {
        fn name(&self) -> &str {
            "fixed"
        }

        async fn respond(&self, _request: &AgentRequest) -> Result<AgentReply, AgentError> {
            Ok(self.0.clone())
        }
    }

    async fn cost_of(reply: AgentReply, configured: Option<&str>) -> Option<f64> {
        let mut agent = Priced::new(Arc::new(Fixed(reply)), Arc::new(Pricing::builtin()));
        if let Some(model) = configured {
            agent = agent.with_model(model);
        }
        let request = AgentRequest::new(vec![Message::user("q")]);
        agent.respond(&request).await.unwrap().cost_usd
    }

    #[tokio::test]
    async fn priced_fills_in_missing_costs_only() {
        let usage = Usage::new(1_000_000, 1_000_000);
        let reply = AgentReply::text("a").with_usage(usage);
        // The reply's model wins over the configured one.
        let by_reply = cost_of(
            reply.clone().with_model("gpt-4o-mini-2024-07-18"),
            Some("o3"),
        )
        .await;
        assert!(close(by_reply, 0.75), "{by_reply:?}");
        let by_config = cost_of(reply.clone(), Some("gpt-4o")).await;
        assert!(close(by_config, 12.5), "{by_config:?}");
        // A provider's own cost is kept.
        let reported = cost_of(reply.clone().with_model("gpt-4o").with_cost(0.01), None).await;
        assert_eq!(reported, Some(0.01));
        // No usage, or an unknown model: no cost.
        assert_eq!(
            cost_of(AgentReply::text("a").with_model("gpt-4o"), None).await,
            None
        );
        assert_eq!(cost_of(reply.with_model("mystery"), None).await, None);
    }
}
