//! What a sandbox guarantees here, for people to read (`benchcore doctor`) and for records.

use crate::Isolation;
use serde::Serialize;

/// One property of the sandbox, and whether it holds on this machine in this mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Guarantee {
    /// A short name: `files`, `network`, `processes`, `memory`, `process count`,
    /// `control group`, `engine environment`, `resource limits`, `time, output and disk`.
    pub name: &'static str,
    /// Whether it holds.
    pub holds: bool,
    /// How, or why not.
    pub detail: String,
}

impl Guarantee {
    fn new(name: &'static str, holds: bool, detail: impl Into<String>) -> Self {
        Self {
            name,
            holds,
            detail: detail.into(),
        }
    }
}

/// The guarantees of `isolation` with this control-group layout and Landlock ABI (0: none).
pub(crate) fn list(isolation: Isolation, cgroups: &str, abi: i32) -> Vec<Guarantee> {
    let isolated = isolation == Isolation::Namespaces;
    let landlock = abi > 0;
    let mut out = Vec::new();
    out.push(if isolated {
        Guarantee::new(
            "files",
            true,
            format!(
                "reads only system and toolchain folders; writes only its own folder, a \
                 private /tmp and /dev/shm; catalog, store, runs, home folder and other attempts \
                 are out of reach (mount namespace, Landlock ABI {abi})"
            ),
        )
    } else {
        Guarantee::new(
            "files",
            false,
            "reads and writes what the user running benchcore may (only /proc and /sys are \
             read-only)",
        )
    });
    out.push(Guarantee::new(
        "network",
        isolated,
        if isolated {
            "a network namespace of its own, with no interface up"
        } else {
            "the machine's network is reachable"
        },
    ));
    out.push(Guarantee::new(
        "processes",
        isolated,
        if isolated {
            "its own PID, IPC, UTS and cgroup namespaces: no other process is visible"
        } else {
            "other processes are visible"
        },
    ));
    out.push(Guarantee::new(
        "memory",
        true,
        format!("all processes together, page cache and tmpfs included, swap off ({cgroups})"),
    ));
    out.push(Guarantee::new(
        "process count",
        true,
        format!("processes and threads at once, pids.max ({cgroups})"),
    ));
    out.push(if isolated || landlock {
        Guarantee::new(
            "control group",
            true,
            if isolated {
                "cannot leave or change its group, even as root: the cgroup namespace is rooted \
                 at its leaf, cgroupfs is out of reach and mounting is refused (Landlock)"
            } else {
                "cannot leave or change its group, even as root: /sys is read-only and mounting \
                 is refused (Landlock)"
            },
        )
    } else {
        Guarantee::new(
            "control group",
            false,
            "without Landlock, a command running as root can move itself out of its group",
        )
    });
    out.push(Guarantee::new(
        "engine environment",
        true,
        if isolated {
            "a scrubbed environment; the engine is outside the PID namespace"
        } else {
            "a scrubbed environment; the engine is non-dumpable and the command has no \
             capability, so /proc/<engine pid>/environ and tracing are refused (the engine's \
             command line stays readable)"
        },
    ));
    out.push(Guarantee::new(
        "resource limits",
        true,
        "CPU time, file size and open files per process; no core dumps (setrlimit)",
    ));
    out.push(Guarantee::new(
        "time, output and disk",
        true,
        "every process killed at the time limit or past the output limit; its folder (and \
         private /tmp) measured against the disk limit",
    ));
    out
}
