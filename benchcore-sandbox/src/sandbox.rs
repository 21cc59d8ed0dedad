//! The sandbox: built once for a mode (checking that the kernel gives what it needs), then
//! shared to run commands.

use crate::cgroup::{self, Cgroup, Layout};
use crate::io::{collect, read_capped, DiskWatch};
use crate::{guarantee, launch, plan, Guarantee, Isolation, LimitHit, SandboxCommand};
use crate::{SandboxError, SandboxOutput};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Runs commands under a mode's isolation and the kernel's limits. Build one with
/// [`Sandbox::new`] (or [`Sandbox::from_env`]) and share it.
///
/// ```no_run
/// # async fn demo() -> Result<(), benchcore_sandbox::SandboxError> {
/// use benchcore_sandbox::{Isolation, Sandbox, SandboxCommand};
/// let sandbox = Sandbox::new(Isolation::Namespaces)?;
/// for g in sandbox.guarantees() {
///     println!("{} {}: {}", if g.holds { "yes" } else { "no " }, g.name, g.detail);
/// }
/// let out = sandbox.run(&SandboxCommand::new(vec!["python3".into(), "-V".into()], "/tmp/x")).await?;
/// assert_eq!(out.exit_code, Some(0));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Sandbox {
    isolation: Isolation,
    layout: Layout,
    abi: i32,
    guarantees: Vec<Guarantee>,
    warnings: Vec<String>,
    hidden: Vec<PathBuf>,
}

fn unsupported(isolation: Isolation, missing: String) -> SandboxError {
    SandboxError::Unsupported {
        mode: isolation.as_str(),
        missing,
    }
}

impl Sandbox {
    /// A sandbox of this mode, after checking once per process that the kernel gives what it
    /// needs: a control group with the memory and pids controllers (every mode); for
    /// [`Isolation::Namespaces`], Landlock and user namespaces able to mount `/proc`.
    ///
    /// # Errors
    /// [`SandboxError::Unsupported`], naming what is missing and how to get it.
    pub fn new(isolation: Isolation) -> Result<Self, SandboxError> {
        let layout = cgroup::layout().map_err(|e| {
            unsupported(
                isolation,
                format!(
                    "{e}. Run benchcore as root, or in a delegated cgroup v2 group \
                     (`systemd-run --user --scope -p Delegate=yes benchcore …`)"
                ),
            )
        })?;
        let abi = launch::landlock_abi();
        let mut warnings = Vec::new();
        match isolation {
            Isolation::Namespaces if abi == 0 => {
                return Err(unsupported(
                    isolation,
                    "Landlock is not enabled in this kernel (it needs Linux 5.13 or later built \
                     with CONFIG_SECURITY_LANDLOCK and `landlock` in the `lsm=` boot parameter)"
                        .into(),
                ));
            }
            Isolation::Namespaces => probe(&layout, abi).map_err(|e| unsupported(isolation, e))?,
            Isolation::None => {
                // Keeps /proc/<engine pid>/environ from commands without CAP_SYS_PTRACE, which
                // the sandbox drops.
                launch::make_undumpable();
                warnings.push(
                    "no isolation (--sandbox none): test commands can read and write the \
                     machine's files and reach its network; limits still hold"
                        .to_owned(),
                );
                if abi == 0 {
                    warnings.push(
                        "Landlock is not enabled in this kernel: a test command running as root \
                         can leave its control group or read the engine's environment"
                            .to_owned(),
                    );
                }
            }
        }
        Ok(Self {
            isolation,
            guarantees: guarantee::list(isolation, &layout.describe(), abi),
            layout,
            abi,
            warnings,
            hidden: Vec::new(),
        })
    }

    /// The mode `BENCHCORE_SANDBOX` names (`namespaces` by default, or `none`).
    ///
    /// # Errors
    /// The variable names no mode, or the mode cannot run here.
    pub fn from_env() -> Result<Self, SandboxError> {
        let isolation = Isolation::from_env().map_err(|e| unsupported(Isolation::default(), e))?;
        Self::new(isolation)
    }

    /// Keeps `path` hidden from every command: running fails with
    /// [`SandboxError::Exposed`] when a folder a command may read holds it.
    pub fn hide(mut self, path: impl Into<PathBuf>) -> Self {
        self.hidden.push(path.into());
        self
    }

    /// How commands are isolated.
    pub fn isolation(&self) -> Isolation {
        self.isolation
    }

    /// What holds and what does not, in this mode on this machine.
    pub fn guarantees(&self) -> &[Guarantee] {
        &self.guarantees
    }

    /// What people should know (no isolation, no Landlock).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The Landlock ABI of the kernel (0 without Landlock).
    pub fn landlock_abi(&self) -> i32 {
        self.abi
    }

    /// The control groups used: `cgroup v1 (memory) + v1 (pids)`, `cgroup v2 (memory, pids)`.
    pub fn cgroups(&self) -> String {
        self.layout.describe()
    }

    /// Runs a command to its end or a limit, then kills whatever it left behind.
    ///
    /// # Errors
    /// The sandbox broke: the program is not installed, the folder cannot be prepared, the
    /// control group cannot be made, a folder it may read exposes a hidden path, or a step
    /// before `exec` failed. A failing command is `Ok`.
    pub async fn run(&self, command: &SandboxCommand) -> Result<SandboxOutput, SandboxError> {
        let home = command.root.join(".home");
        let tmp = command.root.join(".tmp");
        for path in [&home, &tmp] {
            std::fs::create_dir_all(path).map_err(|source| SandboxError::Setup {
                path: path.clone(),
                source,
            })?;
        }
        let mut env = crate::base_env(&home, &tmp);
        env.extend(command.env.clone());
        let program = command
            .argv
            .first()
            .ok_or_else(|| SandboxError::NotFound(String::new()))?;
        let executable =
            crate::program::resolve(program, &command.cwd, env.get("PATH").map(String::as_str))
                .ok_or_else(|| SandboxError::NotFound(program.clone()))?;
        let limits = &command.limits;
        let cgroup = Cgroup::create(
            &self.layout,
            limits.memory_mb.saturating_mul(1 << 20),
            limits.max_processes,
        )
        .map_err(SandboxError::Limits)?;
        let cgroup = Reaped::new(cgroup);
        let plan = plan::build(
            self.isolation,
            self.abi,
            command,
            cgroup.get(),
            &self.hidden,
        )?;
        let started = Instant::now();
        let mut child = spawn(&executable, command, &env, plan)?;
        let overflow = Arc::new(tokio::sync::Notify::new());
        let truncated = Arc::new(AtomicBool::new(false));
        let cap = usize::try_from(limits.max_output_bytes).unwrap_or(usize::MAX);
        let stdout = read_capped(
            child.stdout.take().map(|p| Box::new(p) as _),
            cap,
            Arc::clone(&overflow),
            Arc::clone(&truncated),
        );
        let stderr = read_capped(
            child.stderr.take().map(|p| Box::new(p) as _),
            cap,
            Arc::clone(&overflow),
            Arc::clone(&truncated),
        );
        let disk = DiskWatch::start(command.root.clone(), limits.max_disk_mb);
        let pid = child.id();

        let mut limit = None;
        let status = tokio::select! {
            status = child.wait() => status.ok(),
            () = tokio::time::sleep(limits.time) => { limit = Some(LimitHit::Time); None }
            () = overflow.notified() => { limit = Some(LimitHit::Output); None }
            () = disk.hit() => { limit = Some(LimitHit::Disk); None }
        };
        drop(disk);
        // Whatever happened, nothing the command started may outlive it: killing the first
        // process takes the PID namespace down with it; the control group catches the rest.
        if let (None, Some(pid)) = (status, pid) {
            launch::kill(i32::try_from(pid).unwrap_or(0), libc::SIGKILL);
            if self.isolation == Isolation::None {
                launch::kill(-i32::try_from(pid).unwrap_or(0), libc::SIGKILL);
            }
        }
        let status = match status {
            Some(status) => Some(status),
            None => child.wait().await.ok(),
        };
        let oom = cgroup.get().oom_killed();
        let process_cap_hit = cgroup.get().process_cap_hit();
        cgroup.reap().await;
        if limit.is_none() && truncated.load(Ordering::Relaxed) {
            limit = Some(LimitHit::Output);
        }
        use std::os::unix::process::ExitStatusExt;
        let signal = status.and_then(|s| s.signal());
        if limit.is_none() && oom {
            limit = Some(LimitHit::Memory);
        }
        if limit.is_none() && signal == Some(libc::SIGXCPU) {
            limit = Some(LimitHit::Cpu);
        }
        let grace = Duration::from_secs(2);
        let stdout = collect(stdout, grace).await;
        let stderr = collect(stderr, grace).await;
        Ok(SandboxOutput {
            exit_code: if limit.is_some() {
                None
            } else {
                status.and_then(|s| s.code())
            },
            signal,
            limit,
            process_cap_hit,
            stdout,
            stderr,
            truncated: truncated.load(Ordering::Relaxed),
            duration: started.elapsed(),
            isolation: self.isolation,
        })
    }
}

/// A control group killed and removed off the async threads when the command is done (or
/// when dropped, if the run is cancelled).
struct Reaped(Option<Cgroup>);

impl Reaped {
    fn new(cgroup: Cgroup) -> Self {
        Self(Some(cgroup))
    }

    fn get(&self) -> &Cgroup {
        self.0
            .as_ref()
            .expect("the control group lives until reaped")
    }

    async fn reap(mut self) {
        if let Some(cgroup) = self.0.take() {
            let _ = tokio::task::spawn_blocking(move || drop(cgroup)).await;
        }
    }
}

fn spawn(
    executable: &Path,
    command: &SandboxCommand,
    env: &BTreeMap<String, String>,
    plan: launch::Plan,
) -> Result<tokio::process::Child, SandboxError> {
    let mut std_command = std::process::Command::new(executable);
    std_command
        .args(&command.argv[1..])
        .env_clear()
        .envs(env)
        .current_dir(&command.cwd)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    std::os::unix::process::CommandExt::process_group(&mut std_command, 0);
    launch::install(&mut std_command, plan);
    let mut command = tokio::process::Command::from(std_command);
    command.kill_on_drop(true);
    command.spawn().map_err(|e| match launch::decode(&e) {
        Some((step, source)) => SandboxError::Launch { step, source },
        None => SandboxError::Spawn(e),
    })
}

/// Runs `sh -c 'exit 0'` once through every step of the mode, so that a missing kernel
/// feature shows when the sandbox is built rather than at the first attempt.
fn probe(layout: &Layout, abi: i32) -> Result<(), String> {
    static RESULT: OnceLock<Result<(), String>> = OnceLock::new();
    RESULT.get_or_init(|| run_probe(layout, abi)).clone()
}

fn run_probe(layout: &Layout, abi: i32) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!(
        "benchcore-probe-{}-{:08x}",
        std::process::id(),
        fastrand::u32(..)
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
    let command = SandboxCommand::new(vec!["sh".into(), "-c".into(), "exit 0".into()], &dir);
    let result = (|| {
        let cgroup = Cgroup::create(layout, 64 << 20, 16)?;
        let plan = plan::build(Isolation::Namespaces, abi, &command, &cgroup, &[])
            .map_err(|e| e.to_string())?;
        let mut std_command = std::process::Command::new("sh");
        std_command
            .args(["-c", "exit 0"])
            .current_dir(&dir)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        launch::install(&mut std_command, plan);
        let status = std_command.status().map_err(|e| match launch::decode(&e) {
            Some((step, source)) => format!("cannot {step}: {source}"),
            None => format!("cannot start a probe: {e}"),
        })?;
        drop(cgroup);
        if status.success() {
            Ok(())
        } else {
            Err(format!(
                "a probe command in the sandbox ended with {status}"
            ))
        }
    })();
    crate::remove_tree(&dir);
    result
}
