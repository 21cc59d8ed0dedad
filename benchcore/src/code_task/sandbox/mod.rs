//! The sandbox that runs a task's test command: limits, a scrubbed environment, no network
//! where the machine allows it, and the whole process tree killed at the end.
//!
//! How it is built, without any `unsafe`:
//! - A small `sh` wrapper joins a fresh control group (processes and threads capped through
//!   the pids controller, when this process may create one), sets resource limits with
//!   `ulimit` (data segment for memory, file size, CPU time; the process count too when no
//!   control group could be made and the user is not root), then `exec`s the command.
//! - Isolation: `bwrap` (bubblewrap) when it works here, with a new network, PID, IPC and UTS
//!   namespace, the file system read-only except the sandbox folder, and `--die-with-parent`;
//!   otherwise `unshare` with a new user, network and PID namespace (`--kill-child`);
//!   otherwise none, with a warning. `BENCHCORE_SANDBOX=bwrap|unshare|none` forces a choice.
//! - The wrapper leads its own process group; when the command ends, times out or breaks a
//!   limit, the group is killed with `SIGKILL`, and so is every process left in the control
//!   group. In a PID namespace, the namespace dies with its first process, so nothing the
//!   command started, not even a daemon that left the process group, outlives it.
//! - Output is read through pipes and kept up to a size; more stops the command. A watchdog
//!   measures the sandbox folder and stops the command when it outgrows the disk limit.

mod cgroup;

use cgroup::Cgroup;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;

/// How the test command is kept apart from the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Isolation {
    /// `bwrap`: no network, own PID namespace, file system read-only but the sandbox folder.
    Bubblewrap,
    /// `unshare`: own user, network and PID namespaces (the file system stays writable).
    Namespaces,
    /// None: limits and process-group kill only; the network is reachable.
    None,
}

impl Isolation {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bubblewrap => "bubblewrap",
            Self::Namespaces => "namespaces",
            Self::None => "none",
        }
    }

    /// Whether the command has no network.
    pub fn blocks_network(self) -> bool {
        !matches!(self, Self::None)
    }
}

/// The limits one test command runs under.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Wall-clock time; the process tree is killed when it is up.
    pub time: Duration,
    /// Memory per process (data segment: heap and private mappings), in MiB.
    pub memory_mb: u64,
    /// Processes and threads at once (enforced through a control group, see the module docs).
    pub max_processes: u32,
    /// Bytes kept of each of stdout and stderr; more stops the command.
    pub max_output_bytes: u64,
    /// Largest file the command may write, in MiB.
    pub max_file_mb: u64,
    /// Largest total size of the sandbox folder, in MiB.
    pub max_disk_mb: u64,
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
        }
    }
}

/// A command to run in the sandbox.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SandboxCommand {
    /// Program and arguments (no shell).
    pub argv: Vec<String>,
    /// The sandbox folder: the only place the command may write (with bubblewrap), measured
    /// against the disk limit. `HOME` and `TMPDIR` are made inside it.
    pub root: PathBuf,
    /// Where the command runs: `root` or a folder inside it.
    pub cwd: PathBuf,
    /// The environment, on top of a scrubbed base (see [`base_env`]).
    pub env: BTreeMap<String, String>,
    /// The limits.
    pub limits: Limits,
}

impl SandboxCommand {
    /// A command run in `root` with default limits.
    pub fn new(argv: Vec<String>, root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        Self {
            argv,
            cwd: root.clone(),
            root,
            env: BTreeMap::new(),
            limits: Limits::default(),
        }
    }

    /// Runs in `cwd` instead.
    pub fn cwd(mut self, cwd: impl Into<PathBuf>) -> Self {
        self.cwd = cwd.into();
        self
    }

    /// Sets the limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Adds an environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }
}

/// Which limit stopped a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitHit {
    /// The wall-clock time limit.
    Time,
    /// More output than the output limit.
    Output,
    /// The sandbox folder outgrew the disk limit.
    Disk,
}

/// How a command ended, with its (capped) output.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SandboxOutput {
    /// The exit code, when it exited.
    pub exit_code: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
    /// The limit that stopped it, if any.
    pub limit: Option<LimitHit>,
    /// The process cap refused at least one fork.
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
    /// Exit code 0 within every limit.
    pub fn passed(&self) -> bool {
        self.exit_code == Some(0) && self.limit.is_none()
    }
}

/// The sandbox itself broke: the command's result says nothing about the code under test.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// The program is not installed (not on `PATH`).
    #[error("cannot start `{0}`: not found on PATH")]
    NotFound(String),
    /// The sandbox folder could not be prepared.
    #[error("cannot prepare the sandbox folder {path}: {source}")]
    Setup {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The process could not be started.
    #[error("cannot start the sandbox: {0}")]
    Spawn(std::io::Error),
    /// The wrapper could not join the control group or set a limit.
    #[error("the sandbox could not set its limits: {0}")]
    Limits(String),
}

/// Runs test commands. Build one with [`Sandbox::detect`] and share it.
#[derive(Debug, Clone)]
pub struct Sandbox {
    isolation: Isolation,
    cgroups: bool,
    warnings: Vec<String>,
}

fn probe(program: &str, args: &[&str]) -> bool {
    std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

const BWRAP_PROBE: &[&str] = &[
    "--unshare-net",
    "--unshare-pid",
    "--die-with-parent",
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    "true",
];

const UNSHARE_ARGS: &[&str] = &["-r", "-n", "-p", "-f", "--kill-child", "--mount-proc"];

fn bwrap_works() -> bool {
    static WORKS: OnceLock<bool> = OnceLock::new();
    *WORKS.get_or_init(|| probe("bwrap", BWRAP_PROBE))
}

fn unshare_works() -> bool {
    static WORKS: OnceLock<bool> = OnceLock::new();
    *WORKS.get_or_init(|| {
        let mut args = UNSHARE_ARGS.to_vec();
        args.push("true");
        probe("unshare", &args)
    })
}

fn cgroups_work() -> bool {
    static WORKS: OnceLock<bool> = OnceLock::new();
    *WORKS.get_or_init(|| Cgroup::create(64).is_some())
}

impl Sandbox {
    /// The best isolation this machine offers (probed once per process): bubblewrap, else
    /// `unshare` namespaces, else none with a warning. `BENCHCORE_SANDBOX` (`bwrap`,
    /// `unshare` or `none`) forces one; a forced one that does not work falls back with a
    /// warning.
    pub fn detect() -> Self {
        let forced = std::env::var("BENCHCORE_SANDBOX").ok();
        let mut warnings = Vec::new();
        let isolation = match forced.as_deref() {
            Some("none") => Isolation::None,
            Some("unshare") if unshare_works() => Isolation::Namespaces,
            Some("bwrap") | None if bwrap_works() => Isolation::Bubblewrap,
            Some(other @ ("bwrap" | "unshare")) if unshare_works() => {
                warnings.push(format!(
                    "BENCHCORE_SANDBOX={other} does not work here; using unshare namespaces"
                ));
                Isolation::Namespaces
            }
            _ if unshare_works() => {
                if forced.is_none() {
                    warnings.push(
                        "bubblewrap (bwrap) is not installed or cannot create namespaces here: \
                         test commands run in unshare namespaces, with the file system writable"
                            .to_owned(),
                    );
                }
                Isolation::Namespaces
            }
            _ => Isolation::None,
        };
        Self::with_isolation_and(isolation, warnings)
    }

    /// A sandbox with this isolation, whether or not it works here (for tests of each path).
    pub fn with_isolation(isolation: Isolation) -> Self {
        Self::with_isolation_and(isolation, Vec::new())
    }

    fn with_isolation_and(isolation: Isolation, mut warnings: Vec<String>) -> Self {
        if isolation == Isolation::None {
            warnings.push(
                "no sandbox isolation (neither bwrap nor unshare works here): test commands \
                 can reach the network"
                    .to_owned(),
            );
        }
        let cgroups = cgroups_work();
        if !cgroups && current_uid() == Some(0) {
            warnings.push(
                "no control group can be made here: the process limit is not enforced for \
                 root (the time limit still ends a fork bomb)"
                    .to_owned(),
            );
        }
        Self {
            isolation,
            cgroups,
            warnings,
        }
    }

    /// How commands are isolated.
    pub fn isolation(&self) -> Isolation {
        self.isolation
    }

    /// Whether the process limit is enforced through a control group.
    pub fn enforces_process_limit(&self) -> bool {
        self.cgroups || current_uid() != Some(0)
    }

    /// What this sandbox cannot guarantee here, for people to read.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Runs a command to its end or a limit, then kills whatever it left behind.
    ///
    /// # Errors
    /// The sandbox broke: the program is not installed, the folder cannot be prepared, the
    /// process cannot start or its limits cannot be set. A failing command is `Ok`.
    pub async fn run(&self, command: &SandboxCommand) -> Result<SandboxOutput, SandboxError> {
        let setup = |path: &Path| {
            std::fs::create_dir_all(path).map_err(|source| SandboxError::Setup {
                path: path.to_path_buf(),
                source,
            })
        };
        let home = command.root.join(".home");
        let tmp = command.root.join(".tmp");
        setup(&home)?;
        setup(&tmp)?;
        let mut env = base_env(&home, &tmp);
        env.extend(command.env.clone());
        let program = command
            .argv
            .first()
            .ok_or_else(|| SandboxError::NotFound(String::new()))?;
        if !program_exists(program, &command.cwd, env.get("PATH").map(String::as_str)) {
            return Err(SandboxError::NotFound(program.clone()));
        }
        let limits = &command.limits;
        let cgroup = if self.cgroups {
            Cgroup::create(limits.max_processes)
        } else {
            None
        };
        let nproc = match (&cgroup, current_uid()) {
            (None, Some(uid)) if uid != 0 => {
                (count_processes_of(uid) + u64::from(limits.max_processes)).to_string()
            }
            _ => String::new(),
        };
        let mut argv: Vec<String> = vec![
            "-c".into(),
            WRAPPER.into(),
            "benchcore-sandbox".into(),
            cgroup
                .as_ref()
                .map(|c| c.procs_file().display().to_string())
                .unwrap_or_default(),
            nproc,
            (limits.memory_mb * 1024).to_string(),
            (limits.max_file_mb * 1024).to_string(),
            (limits.time.as_secs() * 4 + 10).to_string(),
        ];
        argv.extend(self.isolate(command, &tmp));
        let started = Instant::now();
        let mut child = tokio::process::Command::new("sh")
            .args(&argv)
            .env_clear()
            .envs(&env)
            .current_dir(&command.cwd)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(SandboxError::Spawn)?;
        let pgid = child.id();
        let overflow = Arc::new(tokio::sync::Notify::new());
        let truncated = Arc::new(AtomicBool::new(false));
        let read = |pipe: Option<Box<dyn tokio::io::AsyncRead + Unpin + Send>>| {
            let overflow = Arc::clone(&overflow);
            let truncated = Arc::clone(&truncated);
            let cap = limits.max_output_bytes as usize;
            tokio::spawn(async move {
                let mut kept = Vec::new();
                let Some(mut pipe) = pipe else {
                    return kept;
                };
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match pipe.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            let room = cap.saturating_sub(kept.len());
                            kept.extend_from_slice(&buf[..n.min(room)]);
                            if n > room {
                                truncated.store(true, Ordering::Relaxed);
                                overflow.notify_one();
                                break;
                            }
                        }
                    }
                }
                kept
            })
        };
        let stdout = read(child.stdout.take().map(|p| Box::new(p) as _));
        let stderr = read(child.stderr.take().map(|p| Box::new(p) as _));
        let disk = watch_disk(command.root.clone(), limits.max_disk_mb);

        let mut limit = None;
        let status = tokio::select! {
            status = child.wait() => status.ok(),
            () = tokio::time::sleep(limits.time) => { limit = Some(LimitHit::Time); None }
            () = overflow.notified() => { limit = Some(LimitHit::Output); None }
            () = disk.hit() => { limit = Some(LimitHit::Disk); None }
        };
        // Whatever happened, nothing the command started may outlive it.
        if let Some(pgid) = pgid {
            kill_group(pgid);
        }
        if let Some(group) = &cgroup {
            group.kill_all();
        }
        let status = match status {
            Some(status) => Some(status),
            None => {
                let _ = child.start_kill();
                child.wait().await.ok()
            }
        };
        disk.stop();
        if limit.is_none() && truncated.load(Ordering::Relaxed) {
            limit = Some(LimitHit::Output);
        }
        let collect = |task: tokio::task::JoinHandle<Vec<u8>>| async move {
            // A process outside the group and namespace may still hold the pipe open.
            let abort = task.abort_handle();
            match tokio::time::timeout(Duration::from_secs(2), task).await {
                Ok(Ok(bytes)) => bytes,
                _ => {
                    abort.abort();
                    Vec::new()
                }
            }
        };
        let stdout = collect(stdout).await;
        let stderr = collect(stderr).await;
        let duration = started.elapsed();
        if status.and_then(|s| s.code()) == Some(WRAPPER_FAILED)
            && String::from_utf8_lossy(&stderr).contains("benchcore-sandbox:")
        {
            return Err(SandboxError::Limits(
                String::from_utf8_lossy(&stderr).trim().to_owned(),
            ));
        }
        use std::os::unix::process::ExitStatusExt;
        Ok(SandboxOutput {
            exit_code: if limit.is_some() {
                None
            } else {
                status.and_then(|s| s.code())
            },
            signal: status.and_then(|s| s.signal()),
            limit,
            process_cap_hit: cgroup.as_ref().is_some_and(Cgroup::cap_was_hit),
            stdout,
            stderr,
            truncated: truncated.load(Ordering::Relaxed),
            duration,
            isolation: self.isolation,
        })
    }

    /// The argv after the wrapper: the isolation tool, then the command.
    fn isolate(&self, command: &SandboxCommand, tmp: &Path) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        match self.isolation {
            Isolation::Bubblewrap => {
                let root = command.root.display().to_string();
                out.extend(
                    [
                        "bwrap",
                        "--unshare-net",
                        "--unshare-pid",
                        "--unshare-ipc",
                        "--unshare-uts",
                        "--die-with-parent",
                        "--ro-bind",
                        "/",
                        "/",
                        "--dev",
                        "/dev",
                        "--proc",
                        "/proc",
                        "--bind",
                    ]
                    .map(str::to_owned),
                );
                out.push(tmp.display().to_string());
                out.push("/tmp".into());
                out.extend(["--bind".into(), root.clone(), root]);
                out.extend(["--chdir".into(), command.cwd.display().to_string()]);
                out.push("--".into());
            }
            Isolation::Namespaces => {
                out.push("unshare".into());
                out.extend(UNSHARE_ARGS.iter().map(|s| (*s).to_owned()));
                out.push("--".into());
            }
            Isolation::None => {}
        }
        out.extend(command.argv.iter().cloned());
        out
    }
}

/// Exit code of the wrapper when it cannot join the control group or set a limit.
const WRAPPER_FAILED: i32 = 125;

/// `sh -c WRAPPER benchcore-sandbox CGROUP_PROCS NPROC DATA_KB FSIZE_KB CPU_SECS ARGV...`
const WRAPPER: &str = r#"cg=$1; nproc=$2; data=$3; fsize=$4; cpu=$5; shift 5
fail() { echo "benchcore-sandbox: $1" >&2; exit 125; }
if [ -n "$cg" ]; then echo $$ > "$cg" || fail "cannot join the control group $cg"; fi
ulimit -d "$data" || fail "cannot limit memory to $data KiB"
ulimit -f "$fsize" || fail "cannot limit file size to $fsize KiB"
ulimit -t "$cpu" || fail "cannot limit CPU time to $cpu s"
if [ -n "$nproc" ]; then ulimit -u "$nproc" || fail "cannot limit processes to $nproc"; fi
exec "$@""#;

/// The environment every command starts from: nothing of the caller's but `PATH`, the
/// locale and where toolchains live (`RUSTUP_HOME`, `PYENV_ROOT` …); `HOME` and `TMPDIR`
/// inside the sandbox; caches of Go and Cargo inside `HOME`; the Go proxy off. API keys and
/// every other variable are left out.
pub fn base_env(home: &Path, tmp: &Path) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    let parent = |key: &str| std::env::var(key).ok().filter(|v| !v.is_empty());
    env.insert(
        "PATH".into(),
        parent("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into()),
    );
    for key in [
        "LANG",
        "LC_ALL",
        "LC_CTYPE",
        "TZ",
        "RUSTUP_HOME",
        "RUSTUP_TOOLCHAIN",
        "PYENV_ROOT",
        "PYENV_VERSION",
        "GOROOT",
        "JAVA_HOME",
    ] {
        if let Some(value) = parent(key) {
            env.insert(key.into(), value);
        }
    }
    // Toolchains found through the caller's home keep working with HOME moved.
    if let Some(user_home) = parent("HOME") {
        for (key, dir) in [("RUSTUP_HOME", ".rustup"), ("PYENV_ROOT", ".pyenv")] {
            let path = Path::new(&user_home).join(dir);
            if !env.contains_key(key) && path.is_dir() {
                env.insert(key.into(), path.display().to_string());
            }
        }
    }
    env.entry("LANG".into()).or_insert_with(|| "C.UTF-8".into());
    let home_s = home.display().to_string();
    env.insert("HOME".into(), home_s.clone());
    env.insert("TMPDIR".into(), tmp.display().to_string());
    env.insert("CARGO_HOME".into(), format!("{home_s}/.cargo"));
    env.insert("CARGO_NET_OFFLINE".into(), "true".into());
    env.insert("GOCACHE".into(), format!("{home_s}/.cache/go-build"));
    env.insert("GOPATH".into(), format!("{home_s}/go"));
    env.insert("GOFLAGS".into(), "-modcacherw".into());
    env.insert("GOPROXY".into(), "off".into());
    env.insert("GOTOOLCHAIN".into(), "local".into());
    env.insert("GOTELEMETRY".into(), "off".into());
    env.insert("PYTHONDONTWRITEBYTECODE".into(), "1".into());
    env.insert("NO_COLOR".into(), "1".into());
    env.insert("CI".into(), "true".into());
    env
}

fn program_exists(program: &str, cwd: &Path, path: Option<&str>) -> bool {
    if program.contains('/') {
        return cwd.join(program).is_file();
    }
    path.unwrap_or("")
        .split(':')
        .filter(|d| !d.is_empty())
        .any(|dir| Path::new(dir).join(program).is_file())
}

fn current_uid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

fn count_processes_of(uid: u32) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .bytes()
                        .all(|b| b.is_ascii_digit())
                })
                .filter(|e| e.metadata().is_ok_and(|m| m.uid() == uid))
                .count() as u64
        })
        .unwrap_or(0)
}

/// `kill -KILL -- -PGID`, through the shell's builtin so no `kill` binary is needed.
fn kill_group(pgid: u32) {
    let _ = std::process::Command::new("sh")
        .args([
            "-c",
            "kill -KILL -- -\"$1\" 2>/dev/null",
            "sh",
            &pgid.to_string(),
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

/// `kill -KILL PID…`.
fn kill_pids(pids: &[String]) {
    let mut args = vec![
        "-c".to_owned(),
        "kill -KILL \"$@\" 2>/dev/null".to_owned(),
        "sh".to_owned(),
    ];
    args.extend(pids.iter().cloned());
    let _ = std::process::Command::new("sh")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

/// Measures a folder's disk use now and then; `hit` resolves once it is over the limit.
struct DiskWatch {
    hit: Arc<tokio::sync::Notify>,
    task: tokio::task::JoinHandle<()>,
}

fn watch_disk(root: PathBuf, max_mb: u64) -> DiskWatch {
    let hit = Arc::new(tokio::sync::Notify::new());
    let notify = Arc::clone(&hit);
    let task = tokio::spawn(async move {
        let max = max_mb.saturating_mul(1 << 20);
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let root = root.clone();
            let used = tokio::task::spawn_blocking(move || disk_use(&root))
                .await
                .unwrap_or(0);
            if used > max {
                notify.notify_one();
                return;
            }
        }
    });
    DiskWatch { hit, task }
}

impl DiskWatch {
    async fn hit(&self) {
        self.hit.notified().await;
    }

    fn stop(&self) {
        self.task.abort();
    }
}

/// Bytes of disk a folder uses (allocated blocks, so sparse files count what they take).
fn disk_use(root: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            total += meta.blocks() * 512;
            if meta.is_dir() {
                stack.push(entry.path());
            }
        }
    }
    total
}

/// Removes a sandbox folder, making read-only folders (a Go module cache) writable first.
pub fn remove_tree(root: &Path) {
    if std::fs::remove_dir_all(root).is_ok() || !root.exists() {
        return;
    }
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755));
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push(entry.path());
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(root);
}
