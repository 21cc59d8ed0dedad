//! How a command is kept apart from the machine.

use serde::{Deserialize, Serialize};

/// How a command is kept apart from the machine. Limits (control groups, resource limits) and
/// a scrubbed environment hold in both modes; see [`Sandbox::guarantees`](crate::Sandbox::guarantees).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Isolation {
    /// The default: new user, mount, PID, network, IPC, UTS and cgroup namespaces; a private
    /// `/proc`, `/tmp` and `/dev/shm`; Landlock lets the command read only system and toolchain
    /// folders and write only its own folder.
    #[default]
    Namespaces,
    /// No isolation, only when asked for: the command sees the machine's files and network.
    /// Limits still hold, the environment is still scrubbed, and the engine's processes stay
    /// out of reach (a Landlock domain forbids tracing them and reading their memory or
    /// `/proc/<pid>/environ`).
    None,
}

impl Isolation {
    /// The snake_case name (`namespaces`, `none`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Namespaces => "namespaces",
            Self::None => "none",
        }
    }

    /// Whether the command has no network.
    pub fn blocks_network(self) -> bool {
        matches!(self, Self::Namespaces)
    }

    /// The mode `BENCHCORE_SANDBOX` asks for, the default when it is unset or empty.
    ///
    /// # Errors
    /// The variable holds an unknown name.
    pub fn from_env() -> Result<Self, String> {
        match std::env::var("BENCHCORE_SANDBOX") {
            Ok(value) if !value.trim().is_empty() => value
                .parse()
                .map_err(|e: String| format!("BENCHCORE_SANDBOX: {e}")),
            _ => Ok(Self::default()),
        }
    }
}

impl std::fmt::Display for Isolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Isolation {
    type Err = String;

    /// `namespaces` (also `auto`, `default`, and `unshare` or `bwrap` from earlier versions) or
    /// `none`.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "namespaces" | "auto" | "default" | "unshare" | "bwrap" => Ok(Self::Namespaces),
            "none" => Ok(Self::None),
            other => Err(format!(
                "unknown sandbox mode {other:?} (expected `namespaces` or `none`)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_old_names_map_to_namespaces() {
        for mode in [Isolation::Namespaces, Isolation::None] {
            assert_eq!(mode.as_str().parse::<Isolation>().unwrap(), mode);
        }
        assert_eq!("bwrap".parse::<Isolation>().unwrap(), Isolation::Namespaces);
        assert!("chroot"
            .parse::<Isolation>()
            .unwrap_err()
            .contains("chroot"));
    }
}
