//! The sandbox's guarantees, on real processes, through `Sandbox::run`.

use super::support::{limits, processes_with, sandbox, sh, text};
use benchcore::code_task::{Isolation, LimitHit, SandboxCommand, SandboxError};
use std::time::Duration;

const MODES: [Isolation; 2] = [Isolation::Namespaces, Isolation::None];

#[tokio::test]
async fn every_mode_runs_commands_and_reports_exit_codes() {
    for mode in MODES {
        let dir = tempfile::tempdir().unwrap();
        let out = sandbox(mode)
            .run(&sh(
                "echo out; echo err >&2; echo made > f.txt; exit 3",
                dir.path(),
            ))
            .await
            .unwrap();
        assert_eq!(out.exit_code, Some(3), "{mode}");
        assert_eq!(
            (text(&out.stdout), text(&out.stderr)),
            ("out\n".into(), "err\n".into())
        );
        assert_eq!(out.isolation, mode);
        assert!(
            dir.path().join("f.txt").exists(),
            "{mode}: its folder is writable"
        );
        let killed = sandbox(mode)
            .run(&sh("kill -SEGV $$", dir.path()))
            .await
            .unwrap();
        assert_eq!(
            (killed.exit_code, killed.signal),
            (None, Some(11)),
            "{mode}"
        );
    }
}

#[tokio::test]
async fn the_guarantees_say_what_holds_in_each_mode() {
    let isolated = sandbox(Isolation::Namespaces);
    assert!(
        isolated.guarantees().iter().all(|g| g.holds),
        "{:#?}",
        isolated.guarantees()
    );
    let none = sandbox(Isolation::None);
    let holds = |name: &str| {
        none.guarantees()
            .iter()
            .find(|g| g.name == name)
            .unwrap()
            .holds
    };
    assert!(!holds("files") && !holds("network") && !holds("processes"));
    assert!(holds("memory") && holds("process count") && holds("control group"));
    assert!(holds("engine environment"));
    assert!(none.warnings().iter().any(|w| w.contains("no isolation")));
}

#[tokio::test]
async fn a_loop_forever_is_stopped_at_the_time_limit_and_nothing_survives() {
    for mode in MODES {
        let dir = tempfile::tempdir().unwrap();
        let marker = format!("loop-{}", fastrand::u64(..));
        let cmd = sh(&format!("while :; do :; done # {marker}"), dir.path())
            .limits(limits(|l| l.time = Duration::from_secs(1)));
        let out = sandbox(mode).run(&cmd).await.unwrap();
        assert_eq!(
            (out.limit, out.exit_code),
            (Some(LimitHit::Time), None),
            "{mode}"
        );
        assert!(
            processes_with(&marker).is_empty(),
            "{mode}: {:?}",
            processes_with(&marker)
        );
    }
}

#[tokio::test]
async fn shared_memory_counts_against_the_memory_limit() {
    // 1 GiB of shared anonymous memory, every page touched, under 512 MiB: the old
    // per-process data limit let it pass.
    let script = "import mmap\nm = mmap.mmap(-1, 1 << 30, flags=mmap.MAP_SHARED)\nfor i in range(0, 1 << 30, 4096):\n    m[i] = 1\nprint('survived')\n";
    for mode in MODES {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("shm.py"), script).unwrap();
        let cmd = SandboxCommand::new(vec!["python3".into(), "shm.py".into()], dir.path())
            .limits(limits(|l| l.memory_mb = 512));
        let out = sandbox(mode).run(&cmd).await.unwrap();
        assert_eq!(out.limit, Some(LimitHit::Memory), "{mode}: {out:?}");
        assert!(!text(&out.stdout).contains("survived"), "{mode}");
        let small = SandboxCommand::new(
            vec![
                "python3".into(),
                "-c".into(),
                "b = bytearray(64 << 20); print(len(b))".into(),
            ],
            dir.path(),
        )
        .limits(limits(|l| l.memory_mb = 512));
        assert!(
            sandbox(mode).run(&small).await.unwrap().exited_cleanly(),
            "{mode}"
        );
    }
}

#[tokio::test]
async fn a_fork_bomb_is_capped_and_nothing_of_it_survives() {
    for mode in MODES {
        let dir = tempfile::tempdir().unwrap();
        let marker = format!("bomb{}", fastrand::u64(..));
        // The first shell stays (sleeping) while the bomb grows: were it to exit, its PID
        // namespace, the bomb with it, would end before the cap is reached.
        std::fs::write(
            dir.path().join(format!("{marker}.sh")),
            "bomb() { bomb | bomb & }; bomb; sleep 10\n",
        )
        .unwrap();
        let cmd = SandboxCommand::new(vec!["sh".into(), format!("{marker}.sh")], dir.path())
            .limits(limits(|l| {
                l.time = Duration::from_secs(3);
                l.max_processes = 64;
            }));
        let out = sandbox(mode).run(&cmd).await.unwrap();
        assert!(
            out.process_cap_hit,
            "{mode}: the cap refused forks: {out:?}"
        );
        assert!(
            processes_with(&marker).is_empty(),
            "{mode}: {:?}",
            processes_with(&marker)
        );
    }
}

#[tokio::test]
async fn the_control_group_cannot_be_left_even_as_root() {
    // Writes its pid into every cgroup.procs it can reach, then starts 600 sleepers under a
    // cap of 256.
    let script = r#"
import glob, os, time
moved = []
for procs in glob.glob("/sys/fs/cgroup/**/cgroup.procs", recursive=True) + ["/sys/fs/cgroup/cgroup.procs", "/sys/fs/cgroup/pids/cgroup.procs", "/sys/fs/cgroup/memory/cgroup.procs"]:
    try:
        with open(procs, "w") as f:
            f.write(str(os.getpid()))
        moved.append(procs)
    except OSError:
        pass
print("moved:", moved, flush=True)
started = 0
try:
    for _ in range(600):
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        started += 1
finally:
    print("started:", started, flush=True)
"#;
    for mode in MODES {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("escape.py"), script).unwrap();
        let cmd = SandboxCommand::new(vec!["python3".into(), "escape.py".into()], dir.path())
            .limits(limits(|l| {
                l.time = Duration::from_secs(20);
                l.max_processes = 256;
            }));
        let out = sandbox(mode).run(&cmd).await.unwrap();
        let stdout = text(&out.stdout);
        assert!(stdout.contains("moved: []"), "{mode}: {stdout}");
        let started: u32 = stdout
            .lines()
            .find_map(|l| l.strip_prefix("started: "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("{mode}: {stdout}"));
        assert!(
            started < 256,
            "{mode}: {started} processes under a cap of 256"
        );
        assert!(
            out.process_cap_hit && out.exit_code != Some(0),
            "{mode}: {out:?}"
        );
    }
}

#[tokio::test]
async fn a_background_process_does_not_outlive_the_command() {
    for mode in MODES {
        let dir = tempfile::tempdir().unwrap();
        let marker = format!("bg{}", fastrand::u64(..));
        std::fs::write(dir.path().join(format!("{marker}.sh")), "sleep 300\n").unwrap();
        // One child stays in the group; another leaves it with setsid.
        let cmd = sh(
            &format!("sh {marker}.sh & setsid sh {marker}.sh & echo started; exit 0"),
            dir.path(),
        )
        .limits(limits(|l| l.time = Duration::from_secs(20)));
        let out = sandbox(mode).run(&cmd).await.unwrap();
        assert_eq!(
            (out.exit_code, out.limit),
            (Some(0), None),
            "{mode}: {out:?}"
        );
        assert!(
            processes_with(&marker).is_empty(),
            "{mode}: {:?}",
            processes_with(&marker)
        );
    }
}

#[tokio::test]
async fn filling_the_disk_is_stopped_by_the_file_and_disk_limits() {
    for mode in MODES {
        let dir = tempfile::tempdir().unwrap();
        let one_file = sh("yes > big.txt", dir.path()).limits(limits(|l| l.max_file_mb = 1));
        let out = sandbox(mode).run(&one_file).await.unwrap();
        assert!(!out.exited_cleanly());
        let size = std::fs::metadata(dir.path().join("big.txt")).unwrap().len();
        assert!(size <= 1 << 20, "{mode}: big.txt grew to {size} bytes");
        let many = sh(
            "i=0; while :; do head -c 524288 /dev/zero > f$i; i=$((i+1)); done",
            dir.path(),
        )
        .limits(limits(|l| {
            l.max_file_mb = 1;
            l.max_disk_mb = 8;
        }));
        assert_eq!(
            sandbox(mode).run(&many).await.unwrap().limit,
            Some(LimitHit::Disk),
            "{mode}"
        );
    }
}

#[tokio::test]
async fn an_output_flood_is_cut_at_the_output_limit() {
    let dir = tempfile::tempdir().unwrap();
    let cmd = sh("yes flood", dir.path()).limits(limits(|l| l.max_output_bytes = 64 * 1024));
    let out = sandbox(Isolation::Namespaces).run(&cmd).await.unwrap();
    assert_eq!(out.limit, Some(LimitHit::Output));
    assert!(out.truncated);
    assert_eq!(out.stdout.len(), 64 * 1024);
}

#[tokio::test]
async fn the_network_is_refused_unless_isolation_is_off() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let script = format!(
        "python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3); print('connected')\""
    );
    for mode in MODES {
        let dir = tempfile::tempdir().unwrap();
        let out = sandbox(mode).run(&sh(&script, dir.path())).await.unwrap();
        assert_eq!(
            out.exited_cleanly(),
            !mode.blocks_network(),
            "{mode}: {out:?}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let with_network = sh(&script, dir.path()).network(true);
    let out = sandbox(Isolation::Namespaces)
        .run(&with_network)
        .await
        .unwrap();
    assert!(
        out.exited_cleanly(),
        "a setup command may keep the network: {out:?}"
    );
}

#[tokio::test]
async fn only_its_own_folder_and_system_folders_are_in_reach() {
    // Outside /tmp, so that Landlock (not only the private /tmp) keeps it out of reach.
    let outside = tempfile::tempdir_in("/var/tmp").unwrap();
    std::fs::write(outside.path().join("secret.txt"), "the reference solution").unwrap();
    let var_tmp = tempfile::tempdir_in("/var/tmp").unwrap();
    let home = std::env::var("HOME").unwrap();
    let script = format!(
        "cat {secret}; ls {outside}; echo x > {var_tmp}/planted; echo x > {home}/.benchcore-planted; \
         echo x > /tmp/own && cat /tmp/own; echo x > /dev/shm/own && cat /dev/shm/own; \
         python3 -c 'print(6 * 7)'; ls /proc | grep -c '^[0-9]'; hostname",
        secret = outside.path().join("secret.txt").display(),
        outside = outside.path().display(),
        var_tmp = var_tmp.path().display(),
    );
    let dir = tempfile::tempdir().unwrap();
    let out = sandbox(Isolation::Namespaces)
        .run(&sh(&script, dir.path()))
        .await
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(!stdout.contains("the reference solution"), "{stdout}");
    assert!(stderr.contains("secret.txt: Permission denied"), "{stderr}");
    assert!(
        !var_tmp.path().join("planted").exists(),
        "wrote outside its folder"
    );
    assert!(
        !std::path::Path::new(&home)
            .join(".benchcore-planted")
            .exists(),
        "wrote in the home folder"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[..3], ["x", "x", "42"], "{stdout}\n{stderr}");
    let processes: u32 = lines[3].parse().unwrap();
    assert!(
        processes <= 5,
        "its own PID namespace: {processes} processes visible"
    );
    assert_eq!(lines[4], "benchcore");
    assert!(
        !std::path::Path::new("/tmp/own").exists(),
        "/tmp is private"
    );
}

#[tokio::test]
async fn a_readable_folder_holding_a_hidden_path_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cmd = sh("true", dir.path()).hide("/usr/share");
    match sandbox(Isolation::Namespaces).run(&cmd).await {
        Err(SandboxError::Exposed { granted, hidden }) => {
            assert_eq!(
                (granted.as_path(), hidden.as_path()),
                ("/usr".as_ref(), "/usr/share".as_ref())
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_engines_environment_is_out_of_reach() {
    // CARGO_MANIFEST_DIR stands for a secret: cargo sets it in this process's environment.
    let secret = env!("CARGO_MANIFEST_DIR");
    assert_eq!(std::env::var("CARGO_MANIFEST_DIR").as_deref(), Ok(secret));
    let engine = std::process::id();
    for mode in MODES {
        let dir = tempfile::tempdir().unwrap();
        let script = format!(
            "env; cat /proc/{engine}/environ; cat /proc/$PPID/environ; for f in /proc/[0-9]*/environ; do cat $f; done; echo done"
        );
        let out = sandbox(mode)
            .run(&sh(&script, dir.path()).env("TASK_SETTING", "1"))
            .await
            .unwrap();
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains("TASK_SETTING=1") && stdout.contains("done"),
            "{mode}: {stdout}"
        );
        assert!(
            !stdout.contains(secret),
            "{mode}: the engine's environment leaked:\n{stdout}"
        );
        if mode == Isolation::Namespaces {
            // No other process is visible at all (without isolation, other users' programs
            // are, as the guarantees say; only the engine's environment is kept out).
            assert!(!stdout.contains("CARGO_PKG_NAME"), "{mode}: {stdout}");
        }
        let home = format!("HOME={}", dir.path().join(".home").display());
        assert!(stdout.lines().any(|l| l == home), "{mode}: {stdout}");
    }
}

#[tokio::test]
async fn a_missing_program_is_a_sandbox_error() {
    let dir = tempfile::tempdir().unwrap();
    let cmd = SandboxCommand::new(vec!["no-such-program-xyz".into()], dir.path());
    match sandbox(Isolation::Namespaces).run(&cmd).await {
        Err(SandboxError::NotFound(p)) => assert_eq!(p, "no-such-program-xyz"),
        other => panic!("{other:?}"),
    }
}
