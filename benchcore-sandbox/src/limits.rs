//! The limits one command runs under.

use std::time::Duration;

/// The limits one command runs under. The kernel enforces memory and processes (a control
/// group), CPU time, file size, open files and core dumps (resource limits); the sandbox
/// itself enforces wall time, output and disk.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Wall-clock time; every process of the command is killed when it is up.
    pub time: Duration,
    /// Memory of all the command's processes together (anonymous, shared and page cache,
    /// `/tmp` and `/dev/shm` included), in MiB; swap is off.
    pub memory_mb: u64,
    /// Processes and threads at once.
    pub max_processes: u32,
    /// Bytes kept of each of stdout and stderr; more stops the command.
    pub max_output_bytes: u64,
    /// Largest file the command may write, in MiB.
    pub max_file_mb: u64,
    /// Largest total size of the command's folder (and of its private `/tmp`), in MiB.
    pub max_disk_mb: u64,
    /// CPU seconds per process; `None` for twice the wall time plus 5 s.
    pub cpu_secs: Option<u64>,
    /// Open files per process.
    pub max_open_files: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            time: Duration::from_secs(60),
            memory_mb: 1024,
            max_processes: 256,
            max_output_bytes: 4 << 20,
            max_file_mb: 256,
            max_disk_mb: 2048,
            cpu_secs: None,
            max_open_files: 4096,
        }
    }
}

impl Limits {
    /// The CPU seconds each process may use.
    pub fn cpu_secs(&self) -> u64 {
        self.cpu_secs
            .unwrap_or_else(|| self.time.as_secs().saturating_mul(2).saturating_add(5))
            .max(1)
    }
}
