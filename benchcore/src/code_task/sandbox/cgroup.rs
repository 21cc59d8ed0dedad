//! A control group per test command, when the machine lets us make one: it caps the number
//! of processes and threads (a fork bomb stops at the cap) and finds every process to kill.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A control group made for one run; removed when dropped.
#[derive(Debug)]
pub(crate) struct Cgroup {
    dir: PathBuf,
}

static NEXT: AtomicU64 = AtomicU64::new(0);

/// Folders under which this process may make a child cgroup with a pids controller:
/// cgroup v2 first, then the v1 pids hierarchy.
fn parents() -> Vec<PathBuf> {
    let Ok(membership) = std::fs::read_to_string("/proc/self/cgroup") else {
        return Vec::new();
    };
    let Ok(mountinfo) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for line in membership.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let v2 = controllers.is_empty();
        if !v2 && !controllers.split(',').any(|c| c == "pids") {
            continue;
        }
        for mount in mountinfo.lines() {
            // id parent major:minor root mountpoint options … - fstype source superoptions
            let fields: Vec<&str> = mount.split(' ').collect();
            let Some(dash) = fields.iter().position(|f| *f == "-") else {
                continue;
            };
            let (Some(root), Some(point)) = (fields.get(3), fields.get(4)) else {
                continue;
            };
            let fstype = fields.get(dash + 1).copied().unwrap_or("");
            let superopts = fields.get(dash + 3).copied().unwrap_or("");
            let matches = if v2 {
                fstype == "cgroup2"
            } else {
                fstype == "cgroup" && superopts.split(',').any(|o| o == "pids")
            };
            if !matches {
                continue;
            }
            let relative = path.strip_prefix(root).unwrap_or(path);
            let dir = Path::new(point).join(relative.trim_start_matches('/'));
            if dir.is_dir() {
                out.push(dir);
            }
        }
    }
    out
}

impl Cgroup {
    /// A new cgroup capped at `max_pids` processes and threads, or `None` when none can be
    /// made here (no permission, no pids controller).
    pub(crate) fn create(max_pids: u32) -> Option<Self> {
        for parent in parents() {
            let name = format!(
                "benchcore-{}-{}-{:08x}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed),
                fastrand::u32(..)
            );
            let dir = parent.join(name);
            if std::fs::create_dir(&dir).is_err() {
                continue;
            }
            let group = Self { dir };
            if std::fs::write(group.dir.join("pids.max"), max_pids.to_string()).is_ok()
                && group.dir.join("cgroup.procs").exists()
            {
                return Some(group);
            }
        }
        None
    }

    /// The file a process writes its pid to in order to join.
    pub(crate) fn procs_file(&self) -> PathBuf {
        self.dir.join("cgroup.procs")
    }

    /// Whether the cap was hit at least once (`pids.events` counts refused forks).
    pub(crate) fn cap_was_hit(&self) -> bool {
        std::fs::read_to_string(self.dir.join("pids.events"))
            .ok()
            .and_then(|s| {
                s.split_whitespace()
                    .skip_while(|w| *w != "max")
                    .nth(1)
                    .and_then(|n| n.parse::<u64>().ok())
            })
            .is_some_and(|n| n > 0)
    }

    fn members(&self) -> Vec<String> {
        std::fs::read_to_string(self.procs_file())
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// Kills every process in the group, repeatedly, until it is empty (or a bound is hit).
    pub(crate) fn kill_all(&self) {
        if std::fs::write(self.dir.join("cgroup.kill"), "1").is_ok() {
            for _ in 0..200 {
                if self.members().is_empty() {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
        for _ in 0..200 {
            let members = self.members();
            if members.is_empty() {
                return;
            }
            super::kill_pids(&members);
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        for _ in 0..100 {
            if std::fs::remove_dir(&self.dir).is_ok() || !self.dir.exists() {
                return;
            }
            self.kill_all();
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}
