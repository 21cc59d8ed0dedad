//! Finding where this process may make control groups with the memory and pids controllers,
//! on cgroup v2 (unified) or v1 (one hierarchy per controller), once per process.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The two controllers the sandbox needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Controller {
    /// Memory (v2 `memory.max`, v1 `memory.limit_in_bytes`).
    Memory,
    /// Processes and threads (`pids.max`).
    Pids,
}

impl Controller {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Pids => "pids",
        }
    }
}

/// A folder under which groups are made, and which controllers it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Base {
    /// This process's own group in that hierarchy (or the leaf it moved itself out to).
    pub(crate) dir: PathBuf,
    /// cgroup v2.
    pub(crate) v2: bool,
    /// The controllers used through it.
    pub(crate) controllers: Vec<Controller>,
}

/// Where the sandbox makes its groups: one base for v2, or one per v1 hierarchy.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub(crate) bases: Vec<Base>,
}

impl Layout {
    /// `cgroup v2`, `cgroup v1`, or `cgroup v1 (memory) + v2 (pids)`.
    pub(crate) fn describe(&self) -> String {
        let versions: Vec<String> = self
            .bases
            .iter()
            .map(|b| {
                let names: Vec<&str> = b.controllers.iter().map(|c| c.name()).collect();
                format!("v{} ({})", if b.v2 { 2 } else { 1 }, names.join(", "))
            })
            .collect();
        format!("cgroup {}", versions.join(" + "))
    }
}

/// The layout, found once: `Err` names what is missing.
pub(crate) fn layout() -> Result<Layout, String> {
    static LAYOUT: OnceLock<Result<Layout, String>> = OnceLock::new();
    LAYOUT.get_or_init(find).clone()
}

struct Mount {
    root: String,
    point: PathBuf,
    v2: bool,
    options: Vec<String>,
}

fn mounts() -> Vec<Mount> {
    let Ok(text) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for line in text.lines() {
        // id parent major:minor root mountpoint options … - fstype source superoptions
        let fields: Vec<&str> = line.split(' ').collect();
        let Some(dash) = fields.iter().position(|f| *f == "-") else {
            continue;
        };
        let fstype = fields.get(dash + 1).copied().unwrap_or("");
        if fstype != "cgroup" && fstype != "cgroup2" {
            continue;
        }
        let (Some(root), Some(point)) = (fields.get(3), fields.get(4)) else {
            continue;
        };
        out.push(Mount {
            root: unescape(root),
            point: PathBuf::from(unescape(point)),
            v2: fstype == "cgroup2",
            options: fields
                .get(dash + 3)
                .map(|o| o.split(',').map(str::to_owned).collect())
                .unwrap_or_default(),
        });
    }
    out
}

/// mountinfo escapes spaces and a few other bytes as `\ooo`.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 4 <= bytes.len() {
            let digits = std::str::from_utf8(&bytes[i + 1..i + 4]).unwrap_or("");
            if let Ok(n) = u8::from_str_radix(digits, 8) {
                out.push(n);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn join(point: &Path, mount_root: &str, group: &str) -> PathBuf {
    let relative = group.strip_prefix(mount_root).unwrap_or(group);
    point.join(relative.trim_start_matches('/'))
}

fn find() -> Result<Layout, String> {
    let membership = std::fs::read_to_string("/proc/self/cgroup")
        .map_err(|e| format!("cannot read /proc/self/cgroup: {e}"))?;
    let mounts = mounts();
    let mut v1: Vec<(Controller, PathBuf)> = Vec::new();
    let mut v2_dir = None;
    for line in membership.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(group)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if controllers.is_empty() {
            v2_dir = mounts
                .iter()
                .filter(|m| m.v2)
                .map(|m| join(&m.point, &m.root, group))
                .find(|d| d.is_dir());
            continue;
        }
        for controller in [Controller::Memory, Controller::Pids] {
            if !controllers.split(',').any(|c| c == controller.name()) {
                continue;
            }
            let dir = mounts
                .iter()
                .filter(|m| !m.v2 && m.options.iter().any(|o| o == controller.name()))
                .map(|m| join(&m.point, &m.root, group))
                .find(|d| d.is_dir());
            if let Some(dir) = dir {
                v1.push((controller, dir));
            }
        }
    }
    let mut bases: Vec<Base> = Vec::new();
    let mut missing = Vec::new();
    for controller in [Controller::Memory, Controller::Pids] {
        if let Some((_, dir)) = v1.iter().find(|(c, _)| *c == controller) {
            match bases.iter_mut().find(|b| !b.v2 && b.dir == *dir) {
                Some(base) => base.controllers.push(controller),
                None => bases.push(Base {
                    dir: dir.clone(),
                    v2: false,
                    controllers: vec![controller],
                }),
            }
            continue;
        }
        let available = v2_dir.as_ref().is_some_and(|dir| {
            std::fs::read_to_string(dir.join("cgroup.controllers"))
                .is_ok_and(|c| c.split_whitespace().any(|n| n == controller.name()))
        });
        match (&v2_dir, available) {
            (Some(dir), true) => match bases.iter_mut().find(|b| b.v2) {
                Some(base) => base.controllers.push(controller),
                None => bases.push(Base {
                    dir: dir.clone(),
                    v2: true,
                    controllers: vec![controller],
                }),
            },
            _ => missing.push(controller.name()),
        }
    }
    if !missing.is_empty() {
        return Err(format!(
            "no control group with the {} controller is available to this process (cgroup v2: \
             the parent group must delegate it; v1: mount its hierarchy)",
            missing.join(" and ")
        ));
    }
    for base in &mut bases {
        if base.v2 {
            prepare_v2(base)?;
        }
    }
    let layout = Layout { bases };
    remove_stale(&layout);
    check_writable(&layout)?;
    Ok(layout)
}

/// cgroup v2 distributes a controller to child groups only through `cgroup.subtree_control`,
/// and only from a group without processes of its own (the "no internal process" rule). When
/// this process sits in such a group, it moves itself to a leaf `benchcore-engine` beside the
/// groups it will make, then enables the controllers.
fn prepare_v2(base: &mut Base) -> Result<(), String> {
    let wanted: Vec<&str> = base.controllers.iter().map(|c| c.name()).collect();
    let enabled = |dir: &Path| {
        std::fs::read_to_string(dir.join("cgroup.subtree_control"))
            .is_ok_and(|s| wanted.iter().all(|w| s.split_whitespace().any(|n| n == *w)))
    };
    if enabled(&base.dir) {
        return Ok(());
    }
    let request: String = wanted
        .iter()
        .map(|w| format!("+{w}"))
        .collect::<Vec<_>>()
        .join(" ");
    let control = base.dir.join("cgroup.subtree_control");
    match std::fs::write(&control, &request) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() != ErrorKind::ResourceBusy && e.raw_os_error() != Some(libc::EBUSY) => {
            return Err(format!(
                "cannot enable {request} in {}: {e}",
                control.display()
            ));
        }
        Err(_) => {}
    }
    let leaf = base.dir.join("benchcore-engine");
    match std::fs::create_dir(&leaf) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
        Err(e) => return Err(format!("cannot make {}: {e}", leaf.display())),
    }
    std::fs::write(leaf.join("cgroup.procs"), "0")
        .map_err(|e| format!("cannot move this process to {}: {e}", leaf.display()))?;
    std::fs::write(&control, &request).map_err(|e| {
        format!(
            "cannot enable {request} in {} (other processes share this group; start benchcore in \
             a group of its own, e.g. `systemd-run --user --scope -p Delegate=yes benchcore …`): {e}",
            control.display()
        )
    })
}

/// Removes the (empty) groups left by benchcore processes that died before removing them;
/// a group still in use cannot be removed and is left alone.
fn remove_stale(layout: &Layout) {
    for base in &layout.bases {
        let Ok(entries) = std::fs::read_dir(&base.dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(pid) = name
                .strip_prefix("benchcore-")
                .and_then(|rest| rest.split('-').next())
                .and_then(|pid| pid.parse::<u32>().ok())
            else {
                continue;
            };
            if Path::new(&format!("/proc/{pid}")).exists() {
                continue;
            }
            let _ = std::fs::remove_dir(entry.path().join("task"));
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}

/// Makes and removes one group with limits, so that a missing permission shows at once.
fn check_writable(layout: &Layout) -> Result<(), String> {
    let group = super::Cgroup::create(layout, 64 << 20, 16)
        .map_err(|e| format!("cannot make a control group: {e}"))?;
    drop(group);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_escapes_are_read() {
        assert_eq!(unescape(r"/sys/fs/my\040cgroup"), "/sys/fs/my cgroup");
        assert_eq!(unescape("/plain"), "/plain");
        assert_eq!(
            join(Path::new("/sys/fs/cgroup/memory"), "/", "/a/b"),
            PathBuf::from("/sys/fs/cgroup/memory/a/b")
        );
        assert_eq!(
            join(Path::new("/sys/fs/cgroup"), "/a", "/a/b"),
            PathBuf::from("/sys/fs/cgroup/b")
        );
    }
}
