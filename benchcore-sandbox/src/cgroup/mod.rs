//! A control group per command: memory (swap off) and processes capped by the kernel, every
//! process found and killed at the end, on cgroup v2 or v1.
//!
//! Each command gets an outer group holding the limits and an inner leaf holding the
//! processes: the command's cgroup namespace is rooted at the leaf, so from inside, its own
//! group is the root and the limits above it are out of sight and out of reach. (On v2 the
//! outer group has no processes of its own, as the "no internal process" rule wants.)

mod discover;

pub(crate) use discover::{layout, Layout};

use discover::Controller;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

static NEXT: AtomicU64 = AtomicU64::new(0);

/// One hierarchy's pair of groups.
#[derive(Debug)]
struct Pair {
    outer: PathBuf,
    inner: PathBuf,
    v2: bool,
    controllers: Vec<Controller>,
}

/// The groups of one command; killed and removed when dropped.
#[derive(Debug)]
pub(crate) struct Cgroup {
    pairs: Vec<Pair>,
}

fn write(path: &Path, value: &str) -> Result<(), String> {
    std::fs::write(path, value)
        .map_err(|e| format!("cannot write {value:?} to {}: {e}", path.display()))
}

impl Cgroup {
    /// Makes the groups with these limits.
    pub(crate) fn create(
        layout: &Layout,
        memory_bytes: u64,
        max_pids: u32,
    ) -> Result<Self, String> {
        let name = format!(
            "benchcore-{}-{}-{:08x}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            fastrand::u32(..)
        );
        let mut group = Self { pairs: Vec::new() };
        for base in &layout.bases {
            let outer = base.dir.join(&name);
            std::fs::create_dir(&outer)
                .map_err(|e| format!("cannot make the control group {}: {e}", outer.display()))?;
            let inner = outer.join("task");
            group.pairs.push(Pair {
                outer: outer.clone(),
                inner: inner.clone(),
                v2: base.v2,
                controllers: base.controllers.clone(),
            });
            for controller in &base.controllers {
                match (controller, base.v2) {
                    (Controller::Memory, true) => {
                        write(&outer.join("memory.max"), &memory_bytes.to_string())?;
                        let swap = outer.join("memory.swap.max");
                        if swap.exists() {
                            write(&swap, "0")?;
                        }
                    }
                    (Controller::Memory, false) => {
                        write(
                            &outer.join("memory.limit_in_bytes"),
                            &memory_bytes.to_string(),
                        )?;
                        let memsw = outer.join("memory.memsw.limit_in_bytes");
                        if memsw.exists() {
                            write(&memsw, &memory_bytes.to_string())?;
                        }
                    }
                    (Controller::Pids, _) => write(&outer.join("pids.max"), &max_pids.to_string())?,
                }
            }
            std::fs::create_dir(&inner)
                .map_err(|e| format!("cannot make the control group {}: {e}", inner.display()))?;
        }
        Ok(group)
    }

    /// The `cgroup.procs` file of each leaf, open for writing: a process joins by writing `0`.
    pub(crate) fn open_procs(&self) -> Result<Vec<File>, String> {
        self.pairs
            .iter()
            .map(|p| {
                let path = p.inner.join("cgroup.procs");
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(|e| format!("cannot open {}: {e}", path.display()))
            })
            .collect()
    }

    /// Whether the kernel killed a process for want of memory. The count sits in the group
    /// of the process killed (v1) or climbs to the group whose limit was hit (v2): both are
    /// read.
    pub(crate) fn oom_killed(&self) -> bool {
        self.any_counted(Controller::Memory, "oom_kill")
    }

    /// Whether the process cap refused a fork (counted in the forking group on v1, in the
    /// limiting one on v2).
    pub(crate) fn process_cap_hit(&self) -> bool {
        self.any_counted(Controller::Pids, "max")
    }

    fn any_counted(&self, controller: Controller, name: &str) -> bool {
        self.pairs
            .iter()
            .filter(|p| p.controllers.contains(&controller))
            .any(|p| {
                let file = match (controller, p.v2) {
                    (Controller::Memory, true) => "memory.events",
                    (Controller::Memory, false) => "memory.oom_control",
                    (Controller::Pids, _) => "pids.events",
                };
                [&p.outer, &p.inner]
                    .iter()
                    .any(|dir| counter(&dir.join(file), name) > 0)
            })
    }

    fn members(&self) -> Vec<i32> {
        let mut out = Vec::new();
        for pair in &self.pairs {
            if let Ok(text) = std::fs::read_to_string(pair.inner.join("cgroup.procs")) {
                out.extend(
                    text.split_whitespace()
                        .filter_map(|p| p.parse::<i32>().ok()),
                );
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Kills every process in the groups, until they are empty (or a bound is hit).
    pub(crate) fn kill_all(&self) {
        for pair in self.pairs.iter().filter(|p| p.v2) {
            let _ = std::fs::write(pair.outer.join("cgroup.kill"), "1");
        }
        for round in 0..400 {
            let members = self.members();
            if members.is_empty() {
                return;
            }
            for pid in members {
                crate::launch::kill(pid, libc::SIGKILL);
            }
            std::thread::sleep(Duration::from_micros(if round < 20 { 200 } else { 5000 }));
        }
    }
}

/// `name N` from a flat keyed file (`memory.events`, `pids.events`, `memory.oom_control`).
fn counter(path: &Path, name: &str) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| {
            text.lines().find_map(|line| {
                let mut words = line.split_whitespace();
                (words.next() == Some(name))
                    .then(|| words.next().and_then(|n| n.parse().ok()))
                    .flatten()
            })
        })
        .unwrap_or(0)
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        self.kill_all();
        for pair in &self.pairs {
            for dir in [&pair.inner, &pair.outer] {
                for round in 0..200 {
                    match std::fs::remove_dir(dir) {
                        Ok(()) => break,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
                        Err(_) => {
                            self.kill_all();
                            std::thread::sleep(Duration::from_micros(if round < 20 {
                                500
                            } else {
                                10_000
                            }));
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_read_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("memory.events");
        std::fs::write(&file, "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n").unwrap();
        assert_eq!(counter(&file, "oom_kill"), 1);
        assert_eq!(counter(&file, "max"), 12);
        assert_eq!(counter(&file, "absent"), 0);
    }
}
