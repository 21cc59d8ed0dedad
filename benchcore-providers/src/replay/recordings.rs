//! A replay file's replies by case: JSON Lines of replies or attempt records, a JSON array,
//! or `benchcore show RUN --attempts --json` output; and the reply that answers a request.

use benchcore::agent::{StopReason, ToolCall};
use benchcore::{ConfigError, Speaker, Transcript, Usage};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// One recorded reply.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    agent: Option<String>,
    sample: Option<u32>,
    pub(crate) reply: String,
    pub(crate) usage: Option<Usage>,
    pub(crate) model: Option<String>,
    /// The tools the reply called and why it stopped, replayed as recorded.
    pub(crate) tool_calls: Vec<ToolCall>,
    pub(crate) stop_reason: Option<StopReason>,
}

/// A file's replies by case, in file order.
pub(crate) struct Recordings {
    pub(crate) file: PathBuf,
    /// The recorded agent replayed, when lines name one.
    pub(crate) agent: Option<String>,
    pub(crate) by_case: HashMap<String, Vec<Recorded>>,
    pub(crate) any_usage: bool,
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
    #[serde(default)]
    tool_calls: Vec<ToolCall>,
    #[serde(default)]
    stop_reason: Option<StopReason>,
}

impl Recordings {
    pub(crate) fn load(file: &Path, agent: Option<&str>) -> Result<Self, ConfigError> {
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
    pub(crate) fn find(&self, case_id: &str, sample: u32) -> Option<&Recorded> {
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
    let (mut tool_calls, mut stop_reason) = (parsed.tool_calls, parsed.stop_reason);
    let reply = match (parsed.reply, &parsed.transcript) {
        (Some(reply), _) => reply,
        (None, Some(transcript)) => {
            if matches!(parsed.outcome.as_deref(), Some("error" | "skipped")) {
                return Ok(None);
            }
            let Some(turn) = transcript
                .turns
                .iter()
                .rev()
                .find(|t| t.speaker == Speaker::Agent)
            else {
                return Ok(None);
            };
            tool_calls.clone_from(&turn.tool_calls);
            stop_reason = stop_reason.or(turn.stop_reason);
            turn.text.clone()
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
            tool_calls,
            stop_reason,
        },
    )))
}
