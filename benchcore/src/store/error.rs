use std::fmt;

/// What kind of store failure, for callers that branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The run (or other record) does not exist in this workspace.
    NotFound,
    /// The record exists already.
    Conflict,
    /// The store's URL or settings are wrong.
    Config,
    /// The stored data cannot be read (a bad migration, foreign data).
    Corrupt,
    /// The database or file failed.
    Backend,
    /// The store cannot be reached for now: the connection was refused, reset or closed, the
    /// server is shutting down or starting up, or no connection came free in time. Nothing was
    /// written; the same call may succeed later, so callers may retry it after a pause.
    Unavailable,
    /// A secret cannot be sealed or opened: no encryption key is set, or the stored value was
    /// sealed with a key that is not loaded (the message names the key id it needs).
    Encryption,
}

impl fmt::Display for StoreErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotFound => "not found",
            Self::Conflict => "conflict",
            Self::Config => "config",
            Self::Corrupt => "corrupt",
            Self::Backend => "backend",
            Self::Unavailable => "unavailable",
            Self::Encryption => "encryption",
        })
    }
}

/// A store failure.
#[derive(Debug, thiserror::Error)]
#[error("store {kind}: {message}")]
#[non_exhaustive]
pub struct StoreError {
    /// What kind.
    pub kind: StoreErrorKind,
    /// What happened.
    pub message: String,
    /// The underlying error.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl StoreError {
    /// An error of a kind.
    pub fn new(kind: StoreErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// A backend error wrapping its cause.
    pub fn backend(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            source: Some(Box::new(source)),
            ..Self::new(StoreErrorKind::Backend, message)
        }
    }

    /// A run that is not in the workspace.
    pub fn run_not_found(workspace: &super::Workspace, run_id: &str) -> Self {
        Self::new(
            StoreErrorKind::NotFound,
            format!(
                "no run {run_id:?} in workspace {workspace:?}",
                workspace = workspace.as_str()
            ),
        )
    }

    /// What kind.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }
}
