//! How a command ended.

use crate::Isolation;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Which limit stopped a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitHit {
    /// The wall-clock time limit.
    Time,
    /// More output than the output limit.
    Output,
    /// The folder (or its private `/tmp`) outgrew the disk limit.
    Disk,
    /// The control group ran out of memory and the kernel killed a process.
    Memory,
    /// A process used up its CPU time.
    Cpu,
}

impl LimitHit {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Time => "time",
            Self::Output => "output",
            Self::Disk => "disk",
            Self::Memory => "memory",
            Self::Cpu => "cpu",
        }
    }
}

/// How a command ended, with its (capped) output.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SandboxOutput {
    /// The exit code, when it exited on its own.
    pub exit_code: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
    /// The limit that stopped it, if any.
    pub limit: Option<LimitHit>,
    /// The process limit refused at least one fork.
    pub process_cap_hit: bool,
    /// Standard output, up to the output limit.
    pub stdout: Vec<u8>,
    /// Standard error, up to the output limit.
    pub stderr: Vec<u8>,
    /// Output was cut at the limit.
    pub truncated: bool,
    /// From start to the end of the last process.
    pub duration: Duration,
    /// How it was isolated.
    pub isolation: Isolation,
}

impl SandboxOutput {
    /// Exit code 0 within every limit. Says nothing of whether tests ran: a test verdict needs
    /// evidence from the runner too.
    pub fn exited_cleanly(&self) -> bool {
        self.exit_code == Some(0) && self.limit.is_none()
    }
}
