use std::fmt;
use std::path::PathBuf;

/// What kind of suite problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SuiteErrorKind {
    /// The file cannot be read.
    Io,
    /// A line or record is not a valid case.
    Malformed,
    /// Two cases share an id.
    DuplicateId,
    /// The suite has no cases.
    Empty,
    /// The file type is not one we read.
    UnknownFormat,
    /// A data folder holds no data files, not the split asked for, or several splits and
    /// none was named.
    UnknownSplit,
}

/// A suite that cannot be read, naming the file and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct SuiteError {
    /// What kind.
    pub kind: SuiteErrorKind,
    /// The file.
    pub path: Option<PathBuf>,
    /// The line (1-based).
    pub line: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl SuiteError {
    /// An error of a kind.
    pub fn new(kind: SuiteErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            path: None,
            line: None,
            message: message.into(),
        }
    }

    /// Names the file and line.
    pub fn at(mut self, path: impl Into<PathBuf>, line: Option<u64>) -> Self {
        self.path = Some(path.into());
        self.line = line;
        self
    }

    /// What kind.
    pub fn kind(&self) -> SuiteErrorKind {
        self.kind
    }
}

impl fmt::Display for SuiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{}", path.display())?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
            }
            f.write_str(": ")?;
        }
        f.write_str(&self.message)
    }
}
