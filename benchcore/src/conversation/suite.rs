//! [`ConversationSuite`]: a folder of scenario files with their prompts, as a
//! [`CaseSource`].

use super::{Prompt, Scenario};
use crate::transcript::PythonTests;
use crate::{Case, CaseSource, Message, SuiteError, SuiteErrorKind, SuiteRef, TranscriptTest};
use futures::stream::BoxStream;
use futures::StreamExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The folder of prompt files beside the scenarios.
pub const PROMPTS_DIR: &str = "prompts";

/// A scenario read from its file, with its prompts and transcript tests ready.
#[derive(Clone)]
#[non_exhaustive]
pub struct LoadedScenario {
    /// Its id: the file's stem (`coffee` for `coffee.toml`); the case id of its attempts.
    pub id: String,
    /// The file it was read from.
    pub path: PathBuf,
    /// What the file says.
    pub scenario: Scenario,
    /// The interviewer's prompt.
    pub interviewer_prompt: Prompt,
    /// The simulated user's prompt.
    pub user_prompt: Prompt,
    /// The built-in transcript tests the scenario chose, with its thresholds.
    pub tests: Vec<Arc<dyn TranscriptTest>>,
    /// Its Python transcript tests, when it names a folder of them.
    pub python: Option<PythonTests>,
}

impl std::fmt::Debug for LoadedScenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedScenario")
            .field("id", &self.id)
            .field("path", &self.path)
            .field("interviewer_prompt", &self.interviewer_prompt.id)
            .field("user_prompt", &self.user_prompt.id)
            .finish_non_exhaustive()
    }
}

impl LoadedScenario {
    /// Reads a scenario file and the prompts it names from `prompts_dir`, and opens its
    /// Python tests (relative to the file's folder).
    ///
    /// # Errors
    /// The file or a prompt cannot be read, or a field is wrong; the error names the file,
    /// the line when known, and the field.
    pub fn load(path: &Path, prompts_dir: &Path) -> Result<Self, SuiteError> {
        let scenario = Scenario::from_file(path)?;
        let id = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("scenario")
            .to_owned();
        let prompt = |field: &str, name: &str| {
            Prompt::load(prompts_dir, name).map_err(|e| {
                let file = e.path.clone();
                let message = format!(
                    "{field}: {}{}",
                    e.message,
                    file.map(|f| format!(" ({})", f.display()))
                        .unwrap_or_default()
                );
                SuiteError::new(e.kind, message).at(path, None)
            })
        };
        let interviewer_prompt = prompt("interviewer.prompt", &scenario.interviewer.prompt)?;
        let user_prompt = prompt("simulated_user.prompt", &scenario.simulated_user.prompt)?;
        let base = path.parent().unwrap_or(Path::new("."));
        let python = scenario.transcript_tests.python_tests(base).map_err(|e| {
            SuiteError::new(
                SuiteErrorKind::Malformed,
                format!("transcript_tests.python: {e}"),
            )
            .at(path, None)
        })?;
        Ok(Self {
            id,
            path: path.to_path_buf(),
            tests: scenario.transcript_tests.builtin_tests(),
            python,
            interviewer_prompt,
            user_prompt,
            scenario,
        })
    }

    /// The scenario's case: its id, the interviewer's prompt as the system message (and the
    /// participant's opening line when it speaks first), and in `metadata` the scenario and
    /// its prompts' names and ids.
    pub fn case(&self) -> Case {
        let mut messages = vec![Message::system(self.interviewer_prompt.text.clone())];
        if let (super::FirstSpeaker::Participant, Some(line)) =
            (self.scenario.first_speaker, &self.scenario.opening_line)
        {
            messages.push(Message::user(line.clone()));
        }
        Case::from_messages(self.id.clone(), messages).with_metadata(self.metadata())
    }

    /// What a run records about the scenario: its file, and its prompts' names and ids
    /// (`interviewer_prompt_name`, `interviewer_prompt_id`, `simulated_user_prompt_name`,
    /// `simulated_user_prompt_id`).
    pub fn metadata(&self) -> serde_json::Value {
        serde_json::json!({
            "scenario_file": self.path.display().to_string(),
            "description": self.scenario.description,
            "interviewer_prompt_name": self.interviewer_prompt.name,
            "interviewer_prompt_id": self.interviewer_prompt.id,
            "simulated_user_prompt_name": self.user_prompt.name,
            "simulated_user_prompt_id": self.user_prompt.id,
            "scenario": self.scenario,
        })
    }
}

/// A suite of conversation scenarios: every `*.toml` and `*.json` file of a folder (in name
/// order), each naming its prompts in the folder's `prompts/`. A single scenario file is a
/// suite of one. Each scenario is one case, whose id is the file's stem.
///
/// Opening reads and checks every scenario, prompt and Python tests folder, so a mistake is
/// reported (with its file, line and field) before any agent is called.
///
/// ```
/// use benchcore::conversation::ConversationSuite;
/// use benchcore::CaseSource;
/// let suite = ConversationSuite::open("../examples/conversations").unwrap();
/// assert_eq!(suite.len(), 2);
/// let first = &suite.scenarios()[0];
/// assert_eq!(first.interviewer_prompt.id.len(), 16);
/// ```
#[derive(Debug, Clone)]
pub struct ConversationSuite {
    name: String,
    path: PathBuf,
    scenarios: Arc<Vec<LoadedScenario>>,
}

impl ConversationSuite {
    /// Opens a folder of scenarios (or one scenario file).
    ///
    /// # Errors
    /// The folder cannot be read or holds no scenario, two scenarios share a stem, or a
    /// scenario, prompt or Python tests folder is wrong.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SuiteError> {
        let path = path.as_ref();
        let (folder, files) = if path.is_dir() {
            (path.to_path_buf(), scenario_files(path)?)
        } else if is_scenario_file(path) && path.is_file() {
            let folder = path.parent().unwrap_or(Path::new(".")).to_path_buf();
            (folder, vec![path.to_path_buf()])
        } else if is_scenario_file(path) {
            return Err(SuiteError::new(SuiteErrorKind::Io, "no such scenario file").at(path, None));
        } else {
            return Err(SuiteError::new(
                SuiteErrorKind::UnknownFormat,
                "not a conversation suite: expected a folder of scenario files or a .toml or \
                 .json scenario",
            )
            .at(path, None));
        };
        let prompts = folder.join(PROMPTS_DIR);
        let mut scenarios: Vec<LoadedScenario> = Vec::with_capacity(files.len());
        for file in &files {
            let loaded = LoadedScenario::load(file, &prompts)?;
            if let Some(other) = scenarios.iter().find(|s| s.id == loaded.id) {
                return Err(SuiteError::new(
                    SuiteErrorKind::DuplicateId,
                    format!(
                        "scenario id `{}` is also {}: scenario ids are file stems and must be unique",
                        loaded.id,
                        other.path.display()
                    ),
                )
                .at(file, None));
            }
            scenarios.push(loaded);
        }
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("conversations")
            .to_owned();
        Ok(Self {
            name,
            path: path.to_path_buf(),
            scenarios: Arc::new(scenarios),
        })
    }

    /// The scenarios, in file-name order.
    pub fn scenarios(&self) -> &[LoadedScenario] {
        &self.scenarios
    }

    /// The scenario of a case id.
    pub fn scenario(&self, id: &str) -> Option<&LoadedScenario> {
        self.scenarios.iter().find(|s| s.id == id)
    }

    /// The folder or file it was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What a run of this suite records in its spec's `tags`, under `conversation`:
    /// `scenarios` (each scenario's file and its prompts' names and ids) and `prompts` (each
    /// prompt's name and text, by id), so a run keeps exactly which prompts it used.
    pub fn spec_tags(&self) -> serde_json::Value {
        let mut scenarios = serde_json::Map::new();
        let mut prompts = serde_json::Map::new();
        for s in self.scenarios.iter() {
            scenarios.insert(
                s.id.clone(),
                serde_json::json!({
                    "scenario_file": s.path.display().to_string(),
                    "interviewer_prompt_name": s.interviewer_prompt.name,
                    "interviewer_prompt_id": s.interviewer_prompt.id,
                    "simulated_user_prompt_name": s.user_prompt.name,
                    "simulated_user_prompt_id": s.user_prompt.id,
                }),
            );
            for p in [&s.interviewer_prompt, &s.user_prompt] {
                prompts.insert(
                    p.id.clone(),
                    serde_json::json!({"name": p.name, "text": p.text}),
                );
            }
        }
        serde_json::json!({"conversation": {"scenarios": scenarios, "prompts": prompts}})
    }
}

impl CaseSource for ConversationSuite {
    fn describe(&self) -> SuiteRef {
        let mut digest = crate::ContentDigest::new();
        for s in self.scenarios.iter() {
            digest.part(s.id.as_bytes());
            digest.part(s.interviewer_prompt.id.as_bytes());
            digest.part(s.user_prompt.id.as_bytes());
            // The scenario file's settings (opening, turn limit, endings …) count too.
            if digest.file(&s.path).is_err() {
                digest.part(b"unreadable");
            }
        }
        SuiteRef::new(self.name.clone(), self.len())
            .with_path(self.path.display().to_string())
            .with_digest(digest.finish())
    }

    fn len(&self) -> u64 {
        self.scenarios.len() as u64
    }

    fn cases(&self) -> BoxStream<'static, Result<Case, SuiteError>> {
        let scenarios = Arc::clone(&self.scenarios);
        futures::stream::iter((0..scenarios.len()).map(move |i| Ok(scenarios[i].case()))).boxed()
    }
}

/// Whether a path names a scenario file by its extension.
pub fn is_scenario_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("toml") || e.eq_ignore_ascii_case("json"))
}

/// The scenario files of a folder, in name order.
fn scenario_files(dir: &Path) -> Result<Vec<PathBuf>, SuiteError> {
    let io = |e: std::io::Error| {
        SuiteError::new(SuiteErrorKind::Io, format!("cannot read the folder: {e}")).at(dir, None)
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_file() && is_scenario_file(&path) {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(SuiteError::new(
            SuiteErrorKind::Empty,
            "holds no scenario (a .toml or .json file)",
        )
        .at(dir, None));
    }
    Ok(files)
}
