//! The code that runs between fork and exec, and the few system calls the parent makes
//! without a safe wrapper. The only module of the workspace with `unsafe`.
//!
//! After `fork` in a multi-threaded parent, the child may only call async-signal-safe
//! functions until `exec`: no allocation, no locks, no panics. Everything the child needs (file
//! descriptors, C strings, byte buffers) is prepared by the parent in a [`Plan`] and only read
//! here; every call below is a thin wrapper over one system call (`write`, `setrlimit`,
//! `unshare`, `open`, `close`, `pipe2`, `fork`, `waitpid`, `read`, `mount`, `mkdir`,
//! `sethostname`, `setsid`, `statvfs`, `prctl`, `getppid`, `chdir`, `kill`, `sigaction`, `sigprocmask`,
//! `syscall(landlock_*)`, `syscall(close_range)`, `_exit`), each listed as async-signal-safe
//! by POSIX `signal-safety(7)` or being a raw `syscall(2)`. `fork` runs glibc's atfork
//! handlers; this process registers none, and glibc's own keep its allocator consistent.
//!
//! The sequence, for [`Isolation::Namespaces`](crate::Isolation::Namespaces):
//!
//! 1. **A**, the process the parent spawned, joins the control groups (writing `0` to each
//!    leaf's `cgroup.procs`, opened by the parent), sets its resource limits, unshares the
//!    user, mount, PID, network, IPC, UTS and cgroup namespaces (the cgroup namespace is
//!    rooted at the leaf), maps its user and group to themselves, and forks **B**. A closes
//!    every descriptor but a status pipe, waits for B and exits as the command did.
//! 2. **B** is PID 1 of the new PID namespace: it dies with A (`PR_SET_PDEATHSIG`), makes
//!    every mount private, mounts a fresh `/proc`, a private `/tmp` and `/dev/shm` (tmpfs),
//!    binds back the command's folders that lived under `/tmp`, sets the host name and forks
//!    **C**. B then reaps every orphan until C ends, sends C's wait status to A, and exits:
//!    the kernel kills whatever is left in the namespace.
//! 3. **C** adds Landlock rules for the new `/proc` (read) and `/tmp`, `/dev/shm` (write),
//!    changes to the command's folder, sets `no_new_privs`, enters the Landlock domain and
//!    returns to the standard library, which `exec`s the command.
//!
//! A failed step returns an error that encodes the step and `errno`, which the standard
//! library sends to the parent; [`decode`] names the step.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

/// Everything the child needs, prepared by the parent.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Each leaf's `cgroup.procs`, open for writing.
    pub(crate) cgroup_procs: Vec<File>,
    /// `(resource, soft, hard)`.
    pub(crate) rlimits: Vec<(libc::__rlimit_resource_t, u64, u64)>,
    /// The Landlock ruleset to enter.
    pub(crate) landlock: Option<LandlockPlan>,
    /// Namespaces and mounts; `None` for no isolation.
    pub(crate) namespaces: Option<NamespacePlan>,
    /// Drop every capability (no isolation: a command running as root must not read the
    /// engine's `/proc/<pid>/environ`, which a non-dumpable engine refuses to processes
    /// without `CAP_SYS_PTRACE`).
    pub(crate) drop_capabilities: bool,
    /// The parent's process id: the child dies with the thread that spawned it
    /// (`PR_SET_PDEATHSIG`), and at once if the parent is already gone.
    pub(crate) parent: libc::pid_t,
}

/// A Landlock ruleset and its masks.
#[derive(Debug)]
pub(crate) struct LandlockPlan {
    /// The ruleset.
    pub(crate) fd: OwnedFd,
    /// Read access, for the new `/proc`.
    pub(crate) read: u64,
    /// Every right, for the new `/tmp` and `/dev/shm`.
    pub(crate) all: u64,
}

/// A folder under `/tmp` bound back to its own path over the private `/tmp`.
#[derive(Debug)]
pub(crate) struct Rebind {
    /// A descriptor of the folder opened by the parent. It belongs to the parent's mount
    /// namespace, from which nothing can be bound; the child opens the folder again in its own
    /// namespace (before `/tmp` is covered) over this descriptor's number.
    pub(crate) fd: File,
    /// `/proc/self/fd/N` of `fd`.
    pub(crate) source: CString,
    /// The folder's path.
    pub(crate) target: CString,
    /// The folders to make first in the private `/tmp`, outermost first.
    pub(crate) mkdirs: Vec<CString>,
    /// Bind it read-only. Landlock alone would not keep it so: its rules follow the path
    /// through mount points, and the private `/tmp` it is bound under is writable.
    pub(crate) read_only: bool,
}

/// Namespaces and mounts.
#[derive(Debug)]
pub(crate) struct NamespacePlan {
    /// Keep the network namespace of the parent.
    pub(crate) network: bool,
    /// `uid uid 1\n`.
    pub(crate) uid_map: Vec<u8>,
    /// `gid gid 1\n`.
    pub(crate) gid_map: Vec<u8>,
    /// Options of the private `/tmp` and `/dev/shm` (`size=…,mode=1777`).
    pub(crate) tmpfs_options: CString,
    /// Whether `/dev/shm` exists to mount over.
    pub(crate) shm: bool,
    /// Folders to bind back.
    pub(crate) rebinds: Vec<Rebind>,
    /// Where the command runs.
    pub(crate) cwd: CString,
}

/// The steps, for error messages.
const STEPS: &[&str] = &[
    "join the control group",
    "set a resource limit",
    "unshare the namespaces (user namespaces may be disabled: sysctl user.max_user_namespaces, kernel.unprivileged_userns_clone)",
    "write /proc/self/uid_map",
    "write /proc/self/setgroups",
    "write /proc/self/gid_map",
    "make a pipe",
    "fork",
    "make every mount private",
    "mount a fresh /proc (the container may mask /proc)",
    "mount a private /tmp",
    "mount a private /dev/shm",
    "bind the command's folder into the private /tmp",
    "set the host name",
    "start a new session",
    "add a Landlock rule",
    "set no_new_privs",
    "enter the Landlock domain",
    "change to the command's folder",
];

#[derive(Clone, Copy)]
#[repr(u8)]
enum Step {
    JoinCgroup,
    Rlimit,
    Unshare,
    UidMap,
    Setgroups,
    GidMap,
    Pipe,
    Fork,
    MountPrivate,
    MountProc,
    MountTmp,
    MountShm,
    Rebind,
    Hostname,
    Setsid,
    LandlockRule,
    NoNewPrivs,
    LandlockRestrict,
    Chdir,
}

const ENCODED: i32 = 1_000_000;

/// An error naming the step, with the current `errno`. Allocation-free.
fn fail(step: Step) -> io::Error {
    let errno = io::Error::last_os_error().raw_os_error().unwrap_or(0);
    io::Error::from_raw_os_error(ENCODED + (step as i32) * 1000 + errno.clamp(0, 999))
}

/// The step and cause of an error the child sent, when it is one of ours.
pub(crate) fn decode(error: &io::Error) -> Option<(&'static str, io::Error)> {
    let code = error.raw_os_error()?;
    if code < ENCODED {
        return None;
    }
    let step = STEPS.get(((code - ENCODED) / 1000) as usize)?;
    Some((step, io::Error::from_raw_os_error((code - ENCODED) % 1000)))
}

#[repr(C, packed)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

const LANDLOCK_RULE_PATH_BENEATH: libc::c_long = 1;
const LANDLOCK_CREATE_RULESET_VERSION: libc::c_long = 1;

/// The Landlock ABI version of the running kernel, or 0 without Landlock.
pub(crate) fn landlock_abi() -> i32 {
    // SAFETY: landlock_create_ruleset with a null attribute, size 0 and the VERSION flag only
    // returns a number; no memory is read or written.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<u8>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    i32::try_from(v.max(0)).unwrap_or(0)
}

/// This process's id.
pub(crate) fn pid() -> libc::pid_t {
    // SAFETY: getpid cannot fail and touches no memory.
    unsafe { libc::getpid() }
}

/// The effective user and group ids of this process.
pub(crate) fn ids() -> (u32, u32) {
    // SAFETY: geteuid and getegid cannot fail and touch no memory.
    unsafe { (libc::geteuid(), libc::getegid()) }
}

/// Sends `signal` to `pid` (errors ignored: the process may be gone).
pub(crate) fn kill(pid: i32, signal: i32) {
    if pid > 0 {
        // SAFETY: kill takes plain integers.
        unsafe {
            libc::kill(pid, signal);
        }
    }
}

/// Installs `plan` to run in the child between fork and exec.
pub(crate) fn install(command: &mut std::process::Command, plan: Plan) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure only reads `plan` and makes the async-signal-safe calls listed in
    // the module docs; it allocates nothing and cannot panic.
    unsafe {
        command.pre_exec(move || child(&plan));
    }
}

fn check(result: libc::c_int, step: Step) -> io::Result<()> {
    if result < 0 {
        Err(fail(step))
    } else {
        Ok(())
    }
}

/// Writes `bytes` to `path` in one `write`. Allocation-free.
unsafe fn write_file(path: &std::ffi::CStr, bytes: &[u8], step: Step) -> io::Result<()> {
    let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
    if fd < 0 {
        return Err(fail(step));
    }
    let written = libc::write(fd, bytes.as_ptr().cast(), bytes.len());
    let error = (written != bytes.len() as isize).then(|| fail(step));
    libc::close(fd);
    error.map_or(Ok(()), Err)
}

unsafe fn close_all_but(keep: RawFd) {
    let keep = keep.max(0) as libc::c_uint;
    if keep > 0 {
        libc::syscall(
            libc::SYS_close_range,
            0 as libc::c_uint,
            keep - 1,
            0 as libc::c_uint,
        );
    }
    libc::syscall(
        libc::SYS_close_range,
        keep + 1,
        libc::c_uint::MAX,
        0 as libc::c_uint,
    );
}

/// Ends this process the way `status` (from `waitpid`) says the command ended.
unsafe fn exit_like(status: libc::c_int) -> ! {
    if libc::WIFSIGNALED(status) {
        let signal = libc::WTERMSIG(status);
        libc::signal(signal, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, signal);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::kill(libc::getpid(), signal);
        libc::_exit(128 + signal);
    }
    libc::_exit(libc::WEXITSTATUS(status));
}

fn child(plan: &Plan) -> io::Result<()> {
    // SAFETY: see `install`.
    unsafe {
        // Sandbox::run spawns from a runtime thread, which lives as long as the engine.
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
        if libc::getppid() != plan.parent {
            libc::_exit(137);
        }
        for procs in &plan.cgroup_procs {
            if libc::write(procs.as_raw_fd(), b"0".as_ptr().cast(), 1) != 1 {
                return Err(fail(Step::JoinCgroup));
            }
        }
        for &(resource, soft, hard) in &plan.rlimits {
            let limit = libc::rlimit {
                rlim_cur: soft,
                rlim_max: hard,
            };
            check(libc::setrlimit(resource, &limit), Step::Rlimit)?;
        }
        let Some(ns) = &plan.namespaces else {
            if plan.drop_capabilities {
                drop_capabilities();
            }
            return enter_landlock(plan.landlock.as_ref());
        };
        let mut flags = libc::CLONE_NEWUSER
            | libc::CLONE_NEWNS
            | libc::CLONE_NEWPID
            | libc::CLONE_NEWIPC
            | libc::CLONE_NEWUTS
            | libc::CLONE_NEWCGROUP;
        if !ns.network {
            flags |= libc::CLONE_NEWNET;
        }
        check(libc::unshare(flags), Step::Unshare)?;
        write_file(c"/proc/self/uid_map", &ns.uid_map, Step::UidMap)?;
        // Needed before gid_map for a user without CAP_SETGID in the parent namespace (the
        // file is missing only on kernels older than 3.19).
        let denied = write_file(c"/proc/self/setgroups", b"deny", Step::Setgroups);
        if denied.is_err() && *libc::__errno_location() != libc::ENOENT {
            return denied;
        }
        write_file(c"/proc/self/gid_map", &ns.gid_map, Step::GidMap)?;
        let mut pipe = [0 as libc::c_int; 2];
        check(libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC), Step::Pipe)?;
        let init = libc::fork();
        if init < 0 {
            return Err(fail(Step::Fork));
        }
        if init == 0 {
            libc::close(pipe[0]);
            return run_init(plan, ns, pipe[1]);
        }
        // A: wait for B, then end as the command did.
        libc::close(pipe[1]);
        close_all_but(pipe[0]);
        let mut buf = [0u8; 4];
        let mut got = 0usize;
        while got < buf.len() {
            let n = libc::read(pipe[0], buf.as_mut_ptr().add(got).cast(), buf.len() - got);
            if n > 0 {
                got += n as usize;
            } else if n == 0 || *libc::__errno_location() != libc::EINTR {
                break;
            }
        }
        let mut status: libc::c_int = 0;
        while libc::waitpid(init, &mut status, 0) < 0 && *libc::__errno_location() == libc::EINTR {}
        if got == buf.len() {
            status = libc::c_int::from_ne_bytes(buf);
        }
        exit_like(status)
    }
}

/// B: PID 1 of the new namespace.
unsafe fn run_init(plan: &Plan, ns: &NamespacePlan, status_fd: RawFd) -> io::Result<()> {
    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
    check(libc::setsid(), Step::Setsid)?;
    let none = std::ptr::null::<libc::c_char>();
    check(
        libc::mount(
            none,
            c"/".as_ptr(),
            none,
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        ),
        Step::MountPrivate,
    )?;
    let hardened = libc::MS_NOSUID | libc::MS_NODEV;
    check(
        libc::mount(
            c"proc".as_ptr(),
            c"/proc".as_ptr(),
            c"proc".as_ptr(),
            hardened | libc::MS_NOEXEC,
            std::ptr::null(),
        ),
        Step::MountProc,
    )?;
    // Reopen each folder to bind back while /tmp still shows it, in this mount namespace.
    for rebind in &ns.rebinds {
        let fd = libc::open(
            rebind.target.as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        );
        if fd < 0 || libc::dup3(fd, rebind.fd.as_raw_fd(), libc::O_CLOEXEC) < 0 {
            return Err(fail(Step::Rebind));
        }
        libc::close(fd);
    }
    let tmpfs = c"tmpfs".as_ptr();
    let options = ns.tmpfs_options.as_ptr().cast();
    check(
        libc::mount(tmpfs, c"/tmp".as_ptr(), tmpfs, hardened, options),
        Step::MountTmp,
    )?;
    if ns.shm {
        check(
            libc::mount(tmpfs, c"/dev/shm".as_ptr(), tmpfs, hardened, options),
            Step::MountShm,
        )?;
    }
    for rebind in &ns.rebinds {
        for dir in &rebind.mkdirs {
            if libc::mkdir(dir.as_ptr(), 0o755) < 0 && *libc::__errno_location() != libc::EEXIST {
                return Err(fail(Step::Rebind));
            }
        }
        check(
            libc::mount(
                rebind.source.as_ptr(),
                rebind.target.as_ptr(),
                none,
                libc::MS_BIND | libc::MS_REC,
                std::ptr::null(),
            ),
            Step::Rebind,
        )?;
        if rebind.read_only {
            // A remount in a user namespace must keep the flags the mount is locked with
            // (nosuid, nodev, noexec, atime): read them back, add read-only.
            // (glibc fills f_flag from statfs's own flags on kernels since 2.6.36, with no
            // file to read.)
            let mut stat: libc::statvfs = std::mem::zeroed();
            check(
                libc::statvfs(rebind.target.as_ptr(), &mut stat),
                Step::Rebind,
            )?;
            let kept = stat.f_flag
                & (libc::MS_NOSUID
                    | libc::MS_NODEV
                    | libc::MS_NOEXEC
                    | libc::MS_NOATIME
                    | libc::MS_NODIRATIME
                    | libc::MS_RELATIME);
            check(
                libc::mount(
                    none,
                    rebind.target.as_ptr(),
                    none,
                    libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY | kept,
                    std::ptr::null(),
                ),
                Step::Rebind,
            )?;
        }
    }
    let name = b"benchcore";
    check(
        libc::sethostname(name.as_ptr().cast(), name.len()),
        Step::Hostname,
    )?;
    let command = libc::fork();
    if command < 0 {
        return Err(fail(Step::Fork));
    }
    if command == 0 {
        libc::close(status_fd);
        return confine(plan, ns);
    }
    close_all_but(status_fd);
    loop {
        let mut status: libc::c_int = 0;
        let pid = libc::waitpid(-1, &mut status, 0);
        if pid == command {
            let bytes = status.to_ne_bytes();
            libc::write(status_fd, bytes.as_ptr().cast(), bytes.len());
            libc::_exit(0);
        }
        if pid < 0 && *libc::__errno_location() != libc::EINTR {
            libc::_exit(127);
        }
    }
}

/// C: the command, about to `exec`.
unsafe fn confine(plan: &Plan, ns: &NamespacePlan) -> io::Result<()> {
    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
    if let Some(landlock) = &plan.landlock {
        let mounted = [
            (c"/proc", landlock.read, true),
            (c"/tmp", landlock.all, true),
            (c"/dev/shm", landlock.all, ns.shm),
        ];
        for (path, access, present) in mounted {
            if !present {
                continue;
            }
            let fd = libc::open(path.as_ptr(), libc::O_PATH | libc::O_CLOEXEC);
            if fd < 0 {
                return Err(fail(Step::LandlockRule));
            }
            let attr = PathBeneathAttr {
                allowed_access: access,
                parent_fd: fd,
            };
            let added = libc::syscall(
                libc::SYS_landlock_add_rule,
                landlock.fd.as_raw_fd(),
                LANDLOCK_RULE_PATH_BENEATH,
                &attr as *const PathBeneathAttr,
                0 as libc::c_uint,
            );
            let error = (added < 0).then(|| fail(Step::LandlockRule));
            libc::close(fd);
            if let Some(error) = error {
                return Err(error);
            }
        }
    }
    check(libc::chdir(ns.cwd.as_ptr()), Step::Chdir)?;
    enter_landlock(plan.landlock.as_ref())
}

/// Empties the ambient and bounding capability sets, so that the command, even as root, has
/// no capability once it `exec`s. A process without `CAP_SETPCAP` has none to drop: the
/// calls then fail, harmlessly.
unsafe fn drop_capabilities() {
    libc::prctl(
        libc::PR_CAP_AMBIENT,
        libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
        0,
        0,
        0,
    );
    for capability in 0..64 as libc::c_ulong {
        libc::prctl(libc::PR_CAPBSET_DROP, capability, 0, 0, 0);
    }
}

/// Marks this process non-dumpable: its `/proc/<pid>/environ`, memory and file descriptors are
/// then refused to processes without `CAP_SYS_PTRACE`, whatever their user. Core dumps of it
/// are off too.
pub(crate) fn make_undumpable() {
    // SAFETY: prctl(PR_SET_DUMPABLE, 0) takes plain integers and changes only this flag.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}

/// Sets `no_new_privs` and enters the Landlock domain, if any.
unsafe fn enter_landlock(landlock: Option<&LandlockPlan>) -> io::Result<()> {
    let Some(landlock) = landlock else {
        return Ok(());
    };
    check(
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0),
        Step::NoNewPrivs,
    )?;
    let entered = libc::syscall(
        libc::SYS_landlock_restrict_self,
        landlock.fd.as_raw_fd(),
        0 as libc::c_uint,
    );
    if entered < 0 {
        return Err(fail(Step::LandlockRestrict));
    }
    Ok(())
}
