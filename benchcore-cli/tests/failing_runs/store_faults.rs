//! Where results go fails: a SQLite file that cannot grow (a file-size limit, as a full disk)
//! and an artifacts folder that cannot be written. Each stops the run with an error naming
//! the path, and the run resumes once the cause is gone.

use super::{examples, text, Sandbox};

/// The run fails when its database stops growing (`ulimit -f`, with `SIGXFSZ` ignored so the
/// write fails instead of killing the process), names the file, is stored `failed`, and
/// `resume latest` finishes it without the limit.
#[test]
fn a_sqlite_store_that_cannot_grow_stops_the_run_resumable() {
    let sandbox = Sandbox::new();
    let padding = "a question long enough to fill pages ".repeat(20);
    let lines: String = (0..2000)
        .map(|i| format!("{{\"id\": \"q{i}\", \"input\": \"{padding}{i}\", \"target\": \"x\"}}\n"))
        .collect();
    let suite = sandbox.write("big.jsonl", &lines);
    // The store exists before the limit applies: only the run's records hit it. The limit
    // (512-byte blocks) leaves room for the new store's write-ahead log, not for the run.
    assert!(sandbox.run(&["runs"]).status.success());
    let out = std::process::Command::new("/bin/sh")
        .args([
            "-c",
            "ulimit -f 1000; trap '' XFSZ; exec \"$@\"",
            "sh",
            env!("CARGO_BIN_EXE_benchcore"),
            "run",
            &suite,
            "-a",
            "gold",
            "-q",
        ])
        .current_dir(sandbox.path())
        .env("BENCHCORE_STORE", sandbox.store_url())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    let db = sandbox.path().join("runs.db");
    assert!(err.contains(&db.display().to_string()), "{err}");

    // Stored `failed` when the full file still takes that one status write (docs/cli.md);
    // when even that page cannot be added, the run stays `running`. Either way it resumes.
    let listed = text(&sandbox.run(&["runs"]).stdout);
    assert!(
        listed.contains("failed") || listed.contains("running"),
        "{listed}"
    );
    assert!(!listed.contains("finished"), "{listed}");
    let out = sandbox.run(&["resume", "latest", "-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let listed = text(&sandbox.run(&["runs"]).stdout);
    assert!(
        listed.contains("finished") && listed.contains("2000/2000"),
        "{listed}"
    );
}

/// An artifacts folder that cannot be written (here its parent is a file, which stops root
/// too) is an error naming it before any attempt runs; nothing is stored.
#[test]
fn an_unwritable_artifacts_folder_is_refused_before_any_attempt() {
    let sandbox = Sandbox::new();
    let blocker = sandbox.write("not-a-folder", "");
    let out_dir = format!("{blocker}/runs");
    let suite = examples().join("arithmetic.jsonl");
    let out = sandbox.run(&[
        "run",
        suite.to_str().unwrap(),
        "-a",
        "gold",
        "--out",
        &out_dir,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("artifacts folder {out_dir}")),
        "{err}"
    );
    assert_eq!(
        text(&sandbox.run(&["runs", "--json"]).stdout).trim(),
        "",
        "a run was stored"
    );
}
