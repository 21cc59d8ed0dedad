//! [`ReplayAgent`]: answers with replies recorded earlier, or with one fixed text.
//!
//! Replay a past run to re-score it with other evaluators (a new judge, a stricter regex)
//! without calling a model again, or to test a pipeline end to end at no cost. Replies cost
//! nothing (`cost_usd: Some(0.0)`) and carry the recorded usage and model when the file has
//! them.
//!
//! The file is JSON Lines; each line is one of:
//!
//! - `{"case_id": "q1", "agent": "gpt-4o", "sample": 0, "reply": "Paris"}`, where `agent` and
//!   `sample` are optional (`id` is accepted for `case_id`; `usage` and `model` are kept);
//! - an attempt record as `benchcore show RUN --attempts --json` prints it (one per line,
//!   for example from `jq -c '.attempts[]'`): its `case_id`, `agent` and `sample`, and as the
//!   reply the last AGENT turn of its `transcript`. Records of `error` or `skipped` attempts
//!   hold no reply and are passed over.
//!
//! The whole output of `benchcore show RUN --attempts --json` is read as well, and so is a
//! JSON array of lines. Malformed lines are refused when the agent is built, naming the file
//! and line.
//!
//! A request is answered by the line of its case recorded for the same agent and sample,
//! else for the same sample, else by any line of the case (one without a sample first, then
//! the lowest sample). When a file holds several agents' replies, `agent` picks one. A case
//! with no line is a `BadRequest` error naming it.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use benchcore::{Agent, AgentRequest, Case};
//! use benchcore_providers::replay::ReplayConfig;
//! use std::sync::Arc;
//! let agent = ReplayConfig::from_text("I don't know").build().unwrap();
//! let reply = agent.respond(&AgentRequest::new(vec![])).await.unwrap();
//! assert_eq!((reply.text.as_str(), reply.cost_usd), ("I don't know", Some(0.0)));
//! # });
//! ```

use crate::registry::{check_name, field_error, inherent_kind_methods, AgentKind, KindInfo};
use benchcore::{
    async_trait, Agent, AgentCapabilities, AgentError, AgentErrorKind, AgentReply, AgentRequest,
    ConfigError, Transcript, Usage,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

/// How to build a [`ReplayAgent`]: a file of recorded replies, or one fixed text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct ReplayConfig {
    /// The agent's name in records (default `replay`); unique within a run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The JSON Lines file of recorded replies. Exactly one of `file` and `text` is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// A fixed reply to every request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Which recorded agent to replay, when the file holds several agents' replies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
}

impl ReplayConfig {
    /// Replays the replies recorded in `file`.
    pub fn from_file(file: impl Into<PathBuf>) -> Self {
        Self {
            file: Some(file.into()),
            ..Self::default()
        }
    }

    /// Answers every request with `text`.
    pub fn from_text(text: impl Into<String>) -> Self {
        Self {
            text: Some(text.into()),
            ..Self::default()
        }
    }

    /// Sets the agent's name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Replays the replies of this recorded agent.
    pub fn with_agent(mut self, agent: impl Into<String>) -> Self {
        self.agent = Some(agent.into());
        self
    }

    /// The agent's name: `name`, else `replay`.
    pub fn agent_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| "replay".to_owned())
    }

    fn field_error(&self, field: &str, message: &str) -> ConfigError {
        field_error(&self.agent_name(), field, message)
    }

    /// Checks every field without reading the file. Errors name the field as
    /// `agents.<name>.<field>`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(name) = &self.name {
            check_name(name).map_err(|why| self.field_error("name", &why))?;
        }
        match (&self.file, &self.text) {
            (Some(_), Some(_)) => Err(self.field_error("text", "set `file` or `text`, not both")),
            (None, None) => Err(self.field_error(
                "file",
                "is required (a JSON Lines file of recorded replies), or set `text`",
            )),
            (Some(file), None) if file.as_os_str().is_empty() => {
                Err(self.field_error("file", "is empty"))
            }
            _ => Ok(()),
        }
    }

    /// Checks every field and reads the file; a malformed line is an error naming the file
    /// and the line.
    pub fn build(self) -> Result<ReplayAgent, ConfigError> {
        self.validate()?;
        let name = self.agent_name();
        let source = match (&self.file, &self.text) {
            (_, Some(text)) => Source::Fixed(text.clone()),
            (Some(file), None) => Source::Recorded(Recordings::load(file, self.agent.as_deref())?),
            (None, None) => unreachable!("validate requires file or text"),
        };
        Ok(ReplayAgent { name, source })
    }
}

impl AgentKind for ReplayConfig {
    const INFO: KindInfo = KindInfo {
        spec: Some("replay:FILE"),
        ..KindInfo::LOCAL
    };

    fn from_spec(arg: Option<&str>) -> Result<Self, String> {
        arg.map(str::trim)
            .filter(|file| !file.is_empty())
            .map(Self::from_file)
            .ok_or_else(|| "the file is missing: replay:FILE".to_owned())
    }

    inherent_kind_methods!();
}

/// Answers with recorded replies, or with a fixed text. Build it from a [`ReplayConfig`].
pub struct ReplayAgent {
    name: String,
    source: Source,
}

enum Source {
    Fixed(String),
    Recorded(Recordings),
}

impl fmt::Debug for ReplayAgent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ReplayAgent");
        d.field("name", &self.name);
        match &self.source {
            Source::Fixed(text) => d.field("text", text),
            Source::Recorded(r) => d
                .field("file", &r.file)
                .field("agent", &r.agent)
                .field("cases", &r.by_case.len()),
        };
        d.finish()
    }
}

/// One recorded reply.
#[derive(Debug, Clone)]
struct Recorded {
    agent: Option<String>,
    sample: Option<u32>,
    reply: String,
    usage: Option<Usage>,
    model: Option<String>,
}

/// A file's replies by case, in file order.
struct Recordings {
    file: PathBuf,
    /// The recorded agent replayed, when lines name one.
    agent: Option<String>,
    by_case: HashMap<String, Vec<Recorded>>,
    any_usage: bool,
}

/// One line as written: the simple shape or an attempt record.
#[derive(Deserialize)]
struct Line {
    #[serde(alias = "id")]
    case_id: String,
    #[serde(default)]
    agent: Option<String>,
    #[serde(default)]
    sample: Option<u32>,
    #[serde(default)]
    reply: Option<String>,
    #[serde(default)]
    transcript: Option<Transcript>,
    #[serde(default)]
    outcome: Option<String>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    model: Option<String>,
}

impl Recordings {
    fn load(file: &Path, agent: Option<&str>) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(file).map_err(|e| {
            ConfigError::new(format!("cannot read the replay file: {e}")).in_file(file, None)
        })?;
        let mut lines = Vec::new();
        match serde_json::from_str::<serde_json::Value>(&text) {
            // One JSON document: `show --json` output, an array, or a one-line file.
            Ok(serde_json::Value::Object(mut map)) if map.contains_key("attempts") => {
                let Some(serde_json::Value::Array(items)) = map.remove("attempts") else {
                    return Err(ConfigError::field(
                        "attempts",
                        "must be a list of attempt records",
                    )
                    .in_file(file, None));
                };
                for (i, item) in items.into_iter().enumerate() {
                    lines.push(read_line(item, file, None, &format!("attempts.{i}"))?);
                }
            }
            Ok(serde_json::Value::Array(items)) => {
                for (i, item) in items.into_iter().enumerate() {
                    lines.push(read_line(item, file, None, &i.to_string())?);
                }
            }
            Ok(value @ serde_json::Value::Object(_)) => {
                let line = text.lines().position(|l| !l.trim().is_empty()).unwrap_or(0) + 1;
                lines.push(read_line(value, file, Some(line), "")?);
            }
            _ => {
                for (i, raw) in text.lines().enumerate() {
                    if raw.trim().is_empty() {
                        continue;
                    }
                    let value: serde_json::Value = serde_json::from_str(raw).map_err(|e| {
                        ConfigError::new(format!("not a JSON line: {e}")).in_file(file, Some(i + 1))
                    })?;
                    lines.push(read_line(value, file, Some(i + 1), "")?);
                }
            }
        }
        let lines: Vec<(String, Recorded)> = lines.into_iter().flatten().collect();
        let agents: BTreeSet<&str> = lines
            .iter()
            .filter_map(|(_, r)| r.agent.as_deref())
            .collect();
        let chosen = match agent {
            Some(wanted) => {
                if !agents.is_empty() && !agents.contains(wanted) {
                    return Err(ConfigError::field(
                        "agent",
                        format!(
                            "the file holds no replies of agent `{wanted}` (it has {})",
                            list(&agents)
                        ),
                    )
                    .in_file(file, None));
                }
                Some(wanted.to_owned())
            }
            None if agents.len() > 1 => {
                return Err(ConfigError::field(
                    "agent",
                    format!(
                        "the file holds replies of several agents ({}): set `agent` to the one to replay",
                        list(&agents)
                    ),
                )
                .in_file(file, None));
            }
            None => agents.iter().next().map(|a| (*a).to_owned()),
        };
        if lines.is_empty() {
            return Err(ConfigError::new("the replay file holds no replies").in_file(file, None));
        }
        let mut by_case: HashMap<String, Vec<Recorded>> = HashMap::new();
        let mut any_usage = false;
        for (case_id, recorded) in lines {
            if recorded.agent.is_some() && recorded.agent != chosen {
                continue;
            }
            any_usage |= recorded.usage.is_some();
            by_case.entry(case_id).or_default().push(recorded);
        }
        Ok(Self {
            file: file.to_owned(),
            agent: chosen,
            by_case,
            any_usage,
        })
    }

    /// The reply for a case and sample: same agent and sample, else same sample, else any
    /// line of the case (no sample first, then the lowest sample); later lines win ties.
    fn find(&self, case_id: &str, sample: u32) -> Option<&Recorded> {
        let entries = self.by_case.get(case_id)?;
        entries
            .iter()
            .enumerate()
            .max_by_key(|(i, r)| {
                (
                    r.sample == Some(sample),
                    r.agent.is_some() && r.agent == self.agent,
                    r.sample.is_none(),
                    std::cmp::Reverse(r.sample),
                    *i,
                )
            })
            .map(|(_, r)| r)
    }
}

fn list(agents: &BTreeSet<&str>) -> String {
    agents
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads one line (or array element, named by `field`); `None` for a record with no reply.
fn read_line(
    value: serde_json::Value,
    file: &Path,
    line: Option<usize>,
    field: &str,
) -> Result<Option<(String, Recorded)>, ConfigError> {
    let error = |message: String| {
        let err = if field.is_empty() {
            ConfigError::new(message)
        } else {
            ConfigError::field(field, message)
        };
        err.in_file(file, line)
    };
    if !value.is_object() {
        return Err(error(format!(
            "expected an object with `case_id` and `reply` (or an attempt record), got {value}"
        )));
    }
    let parsed: Line = serde_json::from_value(value).map_err(|e| error(e.to_string()))?;
    let reply = match (parsed.reply, &parsed.transcript) {
        (Some(reply), _) => reply,
        (None, Some(transcript)) => {
            if matches!(parsed.outcome.as_deref(), Some("error" | "skipped")) {
                return Ok(None);
            }
            match transcript.last_agent_text() {
                Some(text) => text.to_owned(),
                None => return Ok(None),
            }
        }
        (None, None) => {
            return Err(error(format!(
                "case `{}` has neither a `reply` nor a `transcript`",
                parsed.case_id
            )))
        }
    };
    Ok(Some((
        parsed.case_id,
        Recorded {
            agent: parsed.agent,
            sample: parsed.sample,
            reply,
            // Attempt records always have usage; all zero means none was reported.
            usage: parsed.usage.filter(|u| u.total() > 0),
            model: parsed.model,
        },
    )))
}

#[async_trait]
impl Agent for ReplayAgent {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> AgentCapabilities {
        let mut capabilities = AgentCapabilities::default();
        capabilities.usage = matches!(&self.source, Source::Recorded(r) if r.any_usage);
        capabilities
    }

    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        let recordings = match &self.source {
            Source::Fixed(text) => return Ok(AgentReply::text(text.clone()).with_cost(0.0)),
            Source::Recorded(recordings) => recordings,
        };
        let case = request.case.as_ref().ok_or_else(|| {
            AgentError::new(
                AgentErrorKind::BadRequest,
                "the replay agent needs the case in the request to find its reply",
            )
            .with_provider(self.name.clone())
        })?;
        let recorded = recordings.find(&case.id, request.sample).ok_or_else(|| {
            AgentError::new(
                AgentErrorKind::BadRequest,
                format!(
                    "no recorded reply for case `{}` in {}",
                    case.id,
                    recordings.file.display()
                ),
            )
            .with_provider(self.name.clone())
        })?;
        let mut reply = AgentReply::text(recorded.reply.clone()).with_cost(0.0);
        if let Some(usage) = recorded.usage {
            reply = reply.with_usage(usage);
        }
        if let Some(model) = &recorded.model {
            reply = reply.with_model(model.clone());
        }
        Ok(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchcore::Case;
    use std::sync::Arc;

    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str, content: &str) -> Self {
            let dir = std::env::temp_dir().join(format!(
                "benchcore-replay-test-{}-{}-{name}",
                std::process::id(),
                benchcore::now_ms()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(name);
            std::fs::write(&path, content).unwrap();
            Self(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            if let Some(dir) = self.0.parent() {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }

    fn ask(case_id: &str, sample: u32) -> AgentRequest {
        let case = Arc::new(Case::new(case_id, "question"));
        AgentRequest::new(case.messages.clone()).with_case(case, sample)
    }

    async fn text(agent: &ReplayAgent, case_id: &str, sample: u32) -> Result<String, AgentError> {
        agent.respond(&ask(case_id, sample)).await.map(|r| r.text)
    }

    #[tokio::test]
    async fn simple_lines_match_by_case_agent_and_sample() {
        let file = TempFile::new(
            "replies.jsonl",
            r#"{"case_id": "q1", "reply": "any sample"}
{"case_id": "q1", "sample": 1, "reply": "sample one"}
{"case_id": "q2", "sample": 2, "reply": "only two", "usage": {"input_tokens": 3, "output_tokens": 4}, "model": "m"}

{"id": "q3", "sample": 0, "reply": "zero"}
"#,
        );
        let agent = ReplayConfig::from_file(&file.0).build().unwrap();
        assert_eq!(text(&agent, "q1", 0).await.unwrap(), "any sample");
        assert_eq!(text(&agent, "q1", 1).await.unwrap(), "sample one");
        assert_eq!(text(&agent, "q2", 0).await.unwrap(), "only two");
        assert_eq!(text(&agent, "q3", 5).await.unwrap(), "zero");
        let reply = agent.respond(&ask("q2", 2)).await.unwrap();
        assert_eq!(reply.cost_usd, Some(0.0));
        assert_eq!(reply.usage, Some(Usage::new(3, 4)));
        assert_eq!(reply.model.as_deref(), Some("m"));
        assert!(agent.capabilities().usage);
        let err = agent.respond(&ask("q9", 0)).await.unwrap_err();
        assert_eq!(err.kind, AgentErrorKind::BadRequest);
        assert!(err.message.contains("case `q9`"), "{err}");
        assert!(err.message.contains("replies.jsonl"), "{err}");
        let err = agent.respond(&AgentRequest::new(vec![])).await.unwrap_err();
        assert_eq!(err.kind, AgentErrorKind::BadRequest);
    }

    #[tokio::test]
    async fn several_agents_need_a_choice() {
        let file = TempFile::new(
            "two.jsonl",
            "{\"case_id\": \"q1\", \"agent\": \"a\", \"reply\": \"from a\"}\n\
             {\"case_id\": \"q1\", \"agent\": \"b\", \"reply\": \"from b\"}\n\
             {\"case_id\": \"q2\", \"reply\": \"from anyone\"}\n",
        );
        let err = ReplayConfig::from_file(&file.0).build().unwrap_err();
        assert!(err.message.contains("`a`, `b`"), "{err}");
        assert_eq!(err.field.as_deref(), Some("agent"));
        let b = ReplayConfig::from_file(&file.0)
            .with_agent("b")
            .build()
            .unwrap();
        assert_eq!(text(&b, "q1", 0).await.unwrap(), "from b");
        assert_eq!(text(&b, "q2", 0).await.unwrap(), "from anyone");
        let err = ReplayConfig::from_file(&file.0)
            .with_agent("c")
            .build()
            .unwrap_err();
        assert!(err.message.contains("no replies of agent `c`"), "{err}");
    }

    #[tokio::test]
    async fn attempt_records_replay_their_last_agent_turn() {
        let record = |case: &str, sample: u32, outcome: &str, turns: &str| {
            format!(
                r#"{{"run_id": "r1", "case_id": "{case}", "agent": "gpt", "sample": {sample}, "outcome": "{outcome}", "score": 1.0, "transcript": {{"turns": [{turns}], "ending": "natural"}}, "evaluations": [], "reports": [], "failure": null, "usage": {{"input_tokens": 0, "output_tokens": 0}}, "cost_usd": null, "model": "gpt-x", "latency_ms": 5, "ttft_ms": null, "wall_ms": 5, "work_ms": 5, "retries": 0, "cached": false, "started_at_ms": 1, "finished_at_ms": 2, "artifacts_dir": null}}"#
            )
        };
        let few_shot = r#"{"speaker": "participant", "text": "1+1?"}, {"speaker": "agent", "text": "2"}, {"speaker": "participant", "text": "2+2?"}"#;
        let lines = [
            record(
                "q1",
                0,
                "passed",
                r#"{"speaker": "participant", "text": "hi"}, {"speaker": "agent", "text": "first"}, {"speaker": "agent", "text": "last"}"#,
            ),
            record("q2", 0, "error", few_shot),
        ];
        let file = TempFile::new("records.jsonl", &lines.join("\n"));
        let agent = ReplayConfig::from_file(&file.0).build().unwrap();
        let reply = agent.respond(&ask("q1", 0)).await.unwrap();
        assert_eq!(reply.text, "last");
        assert_eq!(reply.usage, None, "zero usage is no usage");
        assert_eq!(reply.model.as_deref(), Some("gpt-x"));
        // The error record has no reply (its only agent turn is a few-shot example).
        assert!(text(&agent, "q2", 0).await.is_err());

        // The whole `show --json` document reads too.
        let show = format!(
            "{{\n  \"run\": {{}},\n  \"summary\": {{}},\n  \"attempts\": [\n{}\n  ]\n}}",
            lines.join(",\n")
        );
        let file = TempFile::new("show.json", &show);
        let agent = ReplayConfig::from_file(&file.0).build().unwrap();
        assert_eq!(text(&agent, "q1", 0).await.unwrap(), "last");
    }

    #[test]
    fn malformed_lines_name_the_file_and_line() {
        for (content, line, needle) in [
            ("{\"case_id\": \"q1\", \"reply\": \"a\"}\n{not json}\n", 2, "not a JSON line"),
            ("\n{\"case_id\": \"q1\"}\n", 2, "neither a `reply` nor a `transcript`"),
            ("{\"reply\": \"a\"}\n{\"case_id\": \"q\", \"reply\": \"b\"}\n", 1, "missing field `case_id`"),
            ("{\"case_id\": \"q\", \"reply\": \"b\"}\n[1, 2]\n", 2, "expected an object"),
            ("{\"case_id\": \"q\", \"reply\": \"b\", \"sample\": -1}\n{\"case_id\": \"q\", \"reply\": \"b\"}\n", 1, "-1"),
        ] {
            let file = TempFile::new("bad.jsonl", content);
            let err = ReplayConfig::from_file(&file.0).build().unwrap_err();
            assert_eq!(err.line, Some(line), "{content:?}: {err}");
            assert_eq!(err.path.as_deref(), Some(file.0.as_path()));
            assert!(err.to_string().contains(needle), "{content:?}: {err}");
        }
        let empty = TempFile::new("empty.jsonl", "\n\n");
        let err = ReplayConfig::from_file(&empty.0).build().unwrap_err();
        assert!(err.message.contains("no replies"), "{err}");
        let err = ReplayConfig::from_file("/surely/not/here.jsonl")
            .build()
            .unwrap_err();
        assert!(
            err.to_string().contains("cannot read the replay file"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn the_registry_knows_the_replay_kind() {
        use crate::{agent_config_schema, build_agent, AgentConfig};
        let file = TempFile::new("spec.jsonl", "{\"case_id\": \"q1\", \"reply\": \"hi\"}\n");
        let spec = format!("replay:{}", file.0.display());
        let config = AgentConfig::parse_spec(&spec).unwrap();
        assert_eq!(
            (config.kind(), config.name()),
            ("replay", "replay".to_owned())
        );
        let stored = config.to_stored();
        assert_eq!(stored["file"], file.0.display().to_string());
        let back: AgentConfig = serde_json::from_value(stored).unwrap();
        assert_eq!(back, config);
        let agent = build_agent(&config).unwrap();
        assert_eq!(agent.respond(&ask("q1", 0)).await.unwrap().text, "hi");
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
    }

    #[test]
    fn configs_are_checked() {
        let err = ReplayConfig::default().validate().unwrap_err();
        assert_eq!(err.field.as_deref(), Some("agents.replay.file"));
        ReplayConfig::from_text("a")
            .with_name("r")
            .validate()
            .unwrap();
        let err = ReplayConfig::from_text("a")
            .with_name(" ")
            .validate()
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("agents. .name"));
        let both = ReplayConfig {
            file: Some("f.jsonl".into()),
            ..ReplayConfig::from_text("a")
        };
        assert_eq!(
            both.validate().unwrap_err().to_string(),
            "agents.replay.text: set `file` or `text`, not both"
        );
        let parsed: ReplayConfig =
            serde_json::from_str(r#"{"file": "runs.jsonl", "agent": "gpt"}"#).unwrap();
        assert_eq!(parsed.agent_name(), "replay");
        assert!(serde_json::from_str::<ReplayConfig>(r#"{"fil": "x"}"#).is_err());
    }
}
