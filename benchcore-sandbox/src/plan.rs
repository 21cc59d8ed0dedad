//! Turning a command into the [`Plan`] its child follows: control-group files, resource
//! limits, the Landlock ruleset, the namespaces and the mounts.

use crate::cgroup::Cgroup;
use crate::launch::{LandlockPlan, NamespacePlan, Plan, Rebind};
use crate::{rules, Isolation, SandboxCommand, SandboxError};
use std::ffi::CString;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

fn c_path(path: &Path) -> Result<CString, SandboxError> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| SandboxError::Setup {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "a NUL byte in the path"),
    })
}

fn resolve(path: &Path) -> Result<PathBuf, SandboxError> {
    std::fs::canonicalize(path).map_err(|source| SandboxError::Setup {
        path: path.to_path_buf(),
        source,
    })
}

/// The resource limits: CPU seconds (`SIGXCPU`, then `SIGKILL` a second later), file size,
/// open files, no core dumps.
fn rlimits(command: &SandboxCommand) -> Vec<(libc::__rlimit_resource_t, u64, u64)> {
    let limits = &command.limits;
    let cpu = limits.cpu_secs();
    let fsize = limits.max_file_mb.saturating_mul(1 << 20);
    vec![
        (libc::RLIMIT_CPU, cpu, cpu + 1),
        (libc::RLIMIT_FSIZE, fsize, fsize),
        (
            libc::RLIMIT_NOFILE,
            limits.max_open_files,
            limits.max_open_files,
        ),
        (libc::RLIMIT_CORE, 0, 0),
    ]
}

/// A folder under `/tmp`, bound back to its path over the private `/tmp`.
fn rebind(path: &Path, read_only: bool) -> Result<Option<Rebind>, SandboxError> {
    let Ok(rest) = path.strip_prefix("/tmp") else {
        return Ok(None);
    };
    if rest.as_os_str().is_empty() {
        return Ok(None);
    }
    let fd = std::fs::File::open(path).map_err(|source| SandboxError::Setup {
        path: path.to_path_buf(),
        source,
    })?;
    let mut mkdirs = Vec::new();
    let mut at = PathBuf::from("/tmp");
    for part in rest.components() {
        at.push(part);
        mkdirs.push(c_path(&at)?);
    }
    Ok(Some(Rebind {
        source: CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap_or_default(),
        fd,
        target: c_path(path)?,
        mkdirs,
        read_only,
    }))
}

/// Builds the plan of one command. `hidden` adds the sandbox's own hidden paths.
pub(crate) fn build(
    isolation: Isolation,
    abi: i32,
    command: &SandboxCommand,
    cgroup: &Cgroup,
    hidden: &[PathBuf],
) -> Result<Plan, SandboxError> {
    let cgroup_procs = cgroup.open_procs().map_err(SandboxError::Limits)?;
    let rlimits = rlimits(command);
    if isolation == Isolation::None {
        let landlock = if abi > 0 {
            let prepared = rules::open_but_kernel(abi).map_err(|e| SandboxError::Launch {
                step: "build the Landlock ruleset",
                source: std::io::Error::other(e),
            })?;
            Some(LandlockPlan {
                fd: prepared.fd,
                read: prepared.read,
                all: prepared.all,
            })
        } else {
            None
        };
        return Ok(Plan {
            cgroup_procs,
            rlimits,
            landlock,
            namespaces: None,
            drop_capabilities: true,
            parent: crate::launch::pid(),
        });
    }
    let root = resolve(&command.root)?;
    let mut read: Vec<PathBuf> = rules::readable().to_vec();
    let mut extra = Vec::new();
    for path in &command.read_only {
        extra.push(resolve(path)?);
    }
    let mut hidden: Vec<PathBuf> = hidden.iter().chain(&command.hidden).cloned().collect();
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty() && h != "/") {
        hidden.push(PathBuf::from(home));
    }
    rules::check_hidden(&read, &hidden)?;
    read.extend(extra.iter().cloned());
    let prepared = rules::confine(abi, &read, std::slice::from_ref(&root)).map_err(|e| {
        SandboxError::Launch {
            step: "build the Landlock ruleset",
            source: std::io::Error::other(e),
        }
    })?;
    let mut rebinds = Vec::new();
    rebinds.extend(rebind(&root, false)?);
    for path in &extra {
        rebinds.extend(rebind(path, true)?);
    }
    let (uid, gid) = crate::launch::ids();
    let tmp_mb = command.limits.max_disk_mb.max(1);
    Ok(Plan {
        cgroup_procs,
        rlimits,
        landlock: Some(LandlockPlan {
            fd: prepared.fd,
            read: prepared.read,
            all: prepared.all,
        }),
        namespaces: Some(NamespacePlan {
            network: command.network,
            uid_map: format!("{uid} {uid} 1\n").into_bytes(),
            gid_map: format!("{gid} {gid} 1\n").into_bytes(),
            tmpfs_options: CString::new(format!("size={tmp_mb}m,mode=1777")).unwrap_or_default(),
            shm: Path::new("/dev/shm").is_dir(),
            rebinds,
            cwd: c_path(&resolve(&command.cwd)?)?,
        }),
        drop_capabilities: false,
        parent: crate::launch::pid(),
    })
}
