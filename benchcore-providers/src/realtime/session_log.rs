//! Session logs: every event of a Realtime session, both ways, audio included, one JSON line
//! each (`{"t_ms": …, "dir": "in" | "out", "event": {…}}`), written while the session runs
//! (`record_dir`) and played back instead of a server (`replay_dir`), so a conversation can
//! be run again — re-scored with new transcript tests or voice metrics — offline, without a
//! key, with the same words, audio and timings.

use super::socket_error::SocketError;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The log file of session `n` of a conversation: `{case}.{sample}.{n}.jsonl`, the case id
/// made safe for a file name (anything but letters, digits, `-` and `_` becomes `_`, and a
/// digest of the id keeps two ids that clean alike apart).
pub(crate) fn log_path(dir: &Path, case: &str, sample: u32, n: usize) -> PathBuf {
    let clean: String = case
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let digest = &benchcore::text_digest(case)[..8];
    dir.join(format!("{clean}-{digest}.{sample}.{n}.jsonl"))
}

/// Writes a session's events as they pass.
#[derive(Debug)]
pub(crate) struct Recorder {
    out: BufWriter<std::fs::File>,
    started: Instant,
    path: PathBuf,
}

impl Recorder {
    /// Creates the log file (and its folder).
    pub(crate) fn create(path: PathBuf) -> Result<Self, SocketError> {
        let fail = |e: std::io::Error| {
            SocketError::Dropped(format!(
                "cannot write the session log {}: {e}",
                path.display()
            ))
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(fail)?;
        }
        let file = std::fs::File::create(&path).map_err(fail)?;
        Ok(Self {
            out: BufWriter::new(file),
            started: Instant::now(),
            path,
        })
    }

    /// Appends one event; `incoming` for the server's.
    pub(crate) fn write(&mut self, incoming: bool, event: &Value) -> Result<(), SocketError> {
        let line = json!({
            "t_ms": self.started.elapsed().as_millis() as u64,
            "dir": if incoming { "in" } else { "out" },
            "event": event,
        });
        writeln!(self.out, "{line}")
            .and_then(|()| self.out.flush())
            .map_err(|e| {
                SocketError::Dropped(format!(
                    "cannot write the session log {}: {e}",
                    self.path.display()
                ))
            })
    }
}

/// The client event that carries audio.
const APPEND: &str = "input_audio_buffer.append";

/// Whether two client events say the same, their ids aside.
fn same(a: &Value, b: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(obj) = v.as_object_mut() {
            obj.remove("event_id");
        }
        v
    };
    strip(a) == strip(b)
}

/// An event in a few words for an error: its type, and the text it carries.
fn brief(event: &Value) -> String {
    let kind = event["type"].as_str().unwrap_or("?");
    match event
        .pointer("/item/content/0/text")
        .and_then(Value::as_str)
    {
        Some(text) => format!("`{kind}` ({:?})", text.chars().take(60).collect::<String>()),
        None => format!("`{kind}`"),
    }
}

/// One logged event.
#[derive(Debug)]
struct Logged {
    at: Duration,
    event: Value,
}

/// A session played back from its log: the server's events in order, at their recorded
/// pace unless `fast`; the client's events checked against the recorded ones by type, so a
/// conversation that goes another way than the recorded one fails clearly.
#[derive(Debug)]
pub(crate) struct Replay {
    incoming: VecDeque<Logged>,
    outgoing: VecDeque<Logged>,
    started: Instant,
    fast: bool,
    path: PathBuf,
}

impl Replay {
    /// Reads the log at `path`.
    pub(crate) fn open(path: PathBuf, fast: bool) -> Result<Self, SocketError> {
        let file = std::fs::File::open(&path).map_err(|e| {
            SocketError::Replay(format!(
                "no recorded session {} to replay: {e}",
                path.display()
            ))
        })?;
        let mut incoming = VecDeque::new();
        let mut outgoing = VecDeque::new();
        for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
            let bad = |why: String| {
                SocketError::Replay(format!("{} line {}: {why}", path.display(), i + 1))
            };
            let line = line.map_err(|e| bad(e.to_string()))?;
            if line.trim().is_empty() {
                continue;
            }
            let mut value: Value =
                serde_json::from_str(&line).map_err(|e| bad(format!("not JSON ({e})")))?;
            let at = Duration::from_millis(value["t_ms"].as_u64().unwrap_or(0));
            let event = value["event"].take();
            if !event.is_object() {
                return Err(bad("no `event` object".into()));
            }
            match value["dir"].as_str() {
                Some("in") => incoming.push_back(Logged { at, event }),
                Some("out") => outgoing.push_back(Logged { at, event }),
                _ => return Err(bad("`dir` is neither `in` nor `out`".into())),
            }
        }
        Ok(Self {
            incoming,
            outgoing,
            started: Instant::now(),
            fast,
            path,
        })
    }

    /// Checks a client event against the next recorded one. Audio chunks are not compared
    /// (a speech engine of another version cuts the same words into other chunks).
    pub(crate) fn sent(&mut self, event: &Value) -> Result<(), SocketError> {
        let kind = event["type"].as_str().unwrap_or("");
        if kind == APPEND {
            return Ok(());
        }
        while self
            .outgoing
            .front()
            .is_some_and(|l| l.event["type"] == APPEND)
        {
            self.outgoing.pop_front();
        }
        match self.outgoing.pop_front() {
            Some(logged) if same(&logged.event, event) => Ok(()),
            Some(logged) => Err(SocketError::Replay(format!(
                "the replay of {} went another way: sent {} where the recording sent {}",
                self.path.display(),
                brief(event),
                brief(&logged.event)
            ))),
            None => Err(SocketError::Replay(format!(
                "the replay of {} went further than the recording (sent `{kind}`)",
                self.path.display()
            ))),
        }
    }

    /// The next server event, at its recorded time.
    pub(crate) async fn next(&mut self) -> Result<Value, SocketError> {
        let Some(logged) = self.incoming.pop_front() else {
            return Err(SocketError::Dropped(format!(
                "the recording {} ends here",
                self.path.display()
            )));
        };
        if !self.fast {
            tokio::time::sleep_until((self.started + logged.at).into()).await;
        }
        Ok(logged.event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_names_are_safe_and_distinct() {
        let dir = Path::new("/logs");
        let a = log_path(dir, "../../etc/passwd", 0, 1);
        assert_eq!(a.parent(), Some(dir));
        let name = a.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with("______etc_passwd-"), "{name}");
        assert!(name.ends_with(".0.1.jsonl"), "{name}");
        assert_ne!(log_path(dir, "a/b", 0, 0), log_path(dir, "a_b", 0, 0));
    }

    #[tokio::test]
    async fn a_recorded_session_plays_back_and_checks_what_is_sent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        let mut recorder = Recorder::create(path.clone()).unwrap();
        recorder
            .write(true, &json!({"type": "session.created"}))
            .unwrap();
        recorder
            .write(false, &json!({"type": "session.update"}))
            .unwrap();
        recorder
            .write(true, &json!({"type": "session.updated"}))
            .unwrap();
        drop(recorder);
        let mut replay = Replay::open(path.clone(), true).unwrap();
        assert_eq!(replay.next().await.unwrap()["type"], "session.created");
        replay.sent(&json!({"type": "session.update"})).unwrap();
        assert_eq!(replay.next().await.unwrap()["type"], "session.updated");
        assert!(matches!(replay.next().await, Err(SocketError::Dropped(_))));
        let err = replay
            .sent(&json!({"type": "response.create"}))
            .unwrap_err();
        assert!(err.to_string().contains("went further"), "{err}");

        let mut other = Replay::open(path, true).unwrap();
        let err = other.sent(&json!({"type": "response.create"})).unwrap_err();
        assert!(err.to_string().contains("went another way"), "{err}");
    }

    #[test]
    fn a_broken_log_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.jsonl");
        std::fs::write(
            &path,
            "{\"t_ms\":0,\"dir\":\"in\",\"event\":{}}\nnot json\n",
        )
        .unwrap();
        let err = Replay::open(path, true).unwrap_err().to_string();
        assert!(err.contains("bad.jsonl line 2"), "{err}");
        let missing = Replay::open(dir.path().join("none.jsonl"), true).unwrap_err();
        assert!(
            missing.to_string().contains("no recorded session"),
            "{missing}"
        );
    }
}
