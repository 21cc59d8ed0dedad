//! Errors: one enum per concern, wrapped by [`enum@Error`].

use std::fmt;
use std::path::PathBuf;

use crate::agent::AgentError;
use crate::evaluator::EvalError;
use crate::store::StoreError;
use crate::suite::SuiteError;

/// A bad configuration value, naming where it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct ConfigError {
    /// The file it came from.
    pub path: Option<PathBuf>,
    /// The line in that file.
    pub line: Option<usize>,
    /// The field, dotted (`agents.0.base_url`).
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    /// An error with only a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            path: None,
            line: None,
            field: None,
            message: message.into(),
        }
    }

    /// An error about one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::new(message)
        }
    }

    /// Names the file (and line) the value came from.
    pub fn in_file(mut self, path: impl Into<PathBuf>, line: Option<usize>) -> Self {
        self.path = Some(path.into());
        self.line = line;
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{}", path.display())?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
            }
            f.write_str(": ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Any benchcore error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An agent failed.
    #[error(transparent)]
    Agent(#[from] AgentError),
    /// An evaluator could not judge.
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A configuration value is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A suite could not be read.
    #[error(transparent)]
    Suite(#[from] SuiteError),
    /// The run does not match what it is asked to do (resume of another kind of run …).
    #[error("{0}")]
    Run(String),
}

/// `Result` with [`enum@Error`] as its default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
