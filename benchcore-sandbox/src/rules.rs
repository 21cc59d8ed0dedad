//! What a command may see and touch: the folders it may read (system and toolchain folders),
//! the folders it may write (its own), as a Landlock ruleset built before the fork.
//!
//! Landlock rules are bound to the inodes of paths opened here, in the parent. The private
//! `/proc`, `/tmp` and `/dev/shm` the command gets are mounted after the fork, so the child adds
//! their rules itself (see `launch.rs`) with the access masks computed here.

use landlock::{
    Access, AccessFs, CompatLevel, Compatible, PathBeneath, PathFd, Ruleset, RulesetAttr,
    RulesetCreatedAttr, Scope, ABI,
};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// System folders every command may read and execute from (those that exist).
const SYSTEM: &[&str] = &[
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/etc",
    "/opt",
    // How many CPUs there are (glibc's get_nprocs, Go, Node).
    "/sys/devices/system/cpu",
];

/// Device files every command may read and write.
const DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
];

/// A ruleset ready for `landlock_restrict_self`, with the masks the child uses for the rules
/// it adds after mounting.
#[derive(Debug)]
pub(crate) struct Prepared {
    /// The ruleset.
    pub(crate) fd: OwnedFd,
    /// Read, list and execute.
    pub(crate) read: u64,
    /// Every file-system right this kernel knows.
    pub(crate) all: u64,
}

/// The folders every command may read: system folders, every folder on `PATH` (the whole
/// virtual environment for a venv's `bin`), and where toolchains live (`RUSTUP_HOME`,
/// `PYENV_ROOT`, `GOROOT`, `JAVA_HOME`, `VIRTUAL_ENV`), each resolved; found once per
/// process.
pub(crate) fn readable() -> &'static [PathBuf] {
    static PATHS: OnceLock<Vec<PathBuf>> = OnceLock::new();
    PATHS.get_or_init(|| {
        let mut out: Vec<PathBuf> = Vec::new();
        let mut add = |path: &Path| {
            if !path.is_absolute() {
                return;
            }
            let Ok(real) = std::fs::canonicalize(path) else {
                return;
            };
            // The root itself, or a folder inside one already granted, adds nothing.
            if real == Path::new("/") || out.iter().any(|o| real.starts_with(o)) {
                return;
            }
            out.retain(|o| !o.starts_with(&real));
            out.push(real);
        };
        for dir in SYSTEM {
            add(Path::new(dir));
        }
        if let Some(path) = std::env::var_os("PATH") {
            for dir in std::env::split_paths(&path) {
                add(&dir);
                // A Python virtual environment's interpreter needs its whole environment
                // (`pyvenv.cfg`, `lib/…/site-packages`), not only its `bin` folder: a
                // notebook started from an activated venv puts that `bin` first on `PATH`.
                if let Some(venv) = dir.parent().filter(|v| v.join("pyvenv.cfg").is_file()) {
                    add(venv);
                }
            }
        }
        for key in [
            "RUSTUP_HOME",
            "PYENV_ROOT",
            "GOROOT",
            "JAVA_HOME",
            "VIRTUAL_ENV",
        ] {
            if let Some(dir) = std::env::var_os(key).filter(|v| !v.is_empty()) {
                add(Path::new(&dir));
            }
        }
        for (_, dir) in crate::env::home_toolchains() {
            add(&dir);
        }
        out
    })
}

/// The device files every command may use.
pub(crate) fn devices() -> Vec<PathBuf> {
    DEVICES
        .iter()
        .map(PathBuf::from)
        .filter(|p| p.exists())
        .collect()
}

/// Fails when a folder the command may read holds a path that must stay hidden (or is it).
pub(crate) fn check_hidden(
    granted: &[PathBuf],
    hidden: &[PathBuf],
) -> Result<(), crate::SandboxError> {
    for h in hidden {
        let real = std::fs::canonicalize(h).unwrap_or_else(|_| h.clone());
        if let Some(g) = granted.iter().find(|g| real.starts_with(g)) {
            return Err(crate::SandboxError::Exposed {
                granted: g.clone(),
                hidden: real,
            });
        }
    }
    Ok(())
}

fn failed(what: &str, path: &Path, e: impl std::fmt::Display) -> String {
    format!("landlock: {what} {}: {e}", path.display())
}

/// The file-system ruleset of [`Isolation::Namespaces`](crate::Isolation::Namespaces): read
/// `read`, read and write `write`, use the device files; nothing else.
pub(crate) fn confine(abi: i32, read: &[PathBuf], write: &[PathBuf]) -> Result<Prepared, String> {
    let abi_v = ABI::from(abi);
    let all = AccessFs::from_all(abi_v);
    let read_access = AccessFs::from_read(abi_v);
    let file = AccessFs::from_file(abi_v);
    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::HardRequirement)
        .handle_access(all)
        .map_err(|e| format!("landlock: {e}"))?;
    if abi >= 6 {
        ruleset = ruleset
            .scope(Scope::Signal | Scope::AbstractUnixSocket)
            .map_err(|e| format!("landlock: {e}"))?;
    }
    let mut created = ruleset.create().map_err(|e| format!("landlock: {e}"))?;
    let rules = read
        .iter()
        .map(|p| (p.clone(), read_access))
        .chain(write.iter().map(|p| (p.clone(), all)))
        .chain(devices().into_iter().map(|p| (p, file)));
    for (path, access) in rules {
        let fd = PathFd::new(&path).map_err(|e| failed("cannot open", &path, e))?;
        let access = if path.is_dir() { access } else { access & file };
        created = created
            .add_rule(PathBeneath::new(fd, access))
            .map_err(|e| failed("cannot add a rule for", &path, e))?;
    }
    let fd: Option<OwnedFd> = created.into();
    Ok(Prepared {
        fd: fd.ok_or("landlock: the ruleset has no file descriptor")?,
        read: read_access.bits(),
        all: all.bits(),
    })
}

/// The domain of [`Isolation::None`](crate::Isolation::None): the file system stays open,
/// read and write, except `/proc` and `/sys`, which are read-only (so no control group can be
/// left or rewritten, even by root), and the root folder itself. Like every Landlock domain,
/// it keeps the command from tracing processes outside it or reading their
/// `/proc/<pid>/environ` and memory, from mounting anything, and (ABI 6) from signalling
/// processes outside it.
pub(crate) fn open_but_kernel(abi: i32) -> Result<Prepared, String> {
    let abi_v = ABI::from(abi);
    let all = AccessFs::from_all(abi_v);
    let read_access = AccessFs::from_read(abi_v);
    let file = AccessFs::from_file(abi_v);
    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::HardRequirement)
        .handle_access(all)
        .map_err(|e| format!("landlock: {e}"))?;
    if abi >= 6 {
        ruleset = ruleset
            .scope(Scope::Signal | Scope::AbstractUnixSocket)
            .map_err(|e| format!("landlock: {e}"))?;
    }
    let mut created = ruleset.create().map_err(|e| format!("landlock: {e}"))?;
    let entries = std::fs::read_dir("/").map_err(|e| failed("cannot list", Path::new("/"), e))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let kernel = path == Path::new("/proc") || path == Path::new("/sys");
        let Ok(fd) = PathFd::new(&path) else {
            continue;
        };
        let mut access = if kernel { read_access } else { all };
        if !path.is_dir() {
            access &= file;
        }
        created = created
            .add_rule(PathBeneath::new(fd, access))
            .map_err(|e| failed("cannot add a rule for", &path, e))?;
    }
    let fd: Option<OwnedFd> = created.into();
    Ok(Prepared {
        fd: fd.ok_or("landlock: the ruleset has no file descriptor")?,
        read: read_access.bits(),
        all: all.bits(),
    })
}
