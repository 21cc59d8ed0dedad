//! The sandbox through the binary: its modes, `doctor`, hostile answers against the store and
//! the engine's keys, and tasks skipped for dependencies that are not installed.

use super::{text, Scratch};
use benchcore::{AttemptQuery, RunFilter, Workspace};

/// The attempts of the newest run in the scratch folder's store.
async fn attempts(scratch: &Scratch) -> Vec<benchcore::AttemptRecord> {
    let handle =
        benchcore_store::connect(&format!("sqlite://{}", scratch.path("runs.db").display()))
            .await
            .unwrap();
    let store = handle.store();
    let ws = Workspace::default();
    let run = &store.list_runs(&ws, &RunFilter::default()).await.unwrap()[0];
    store
        .attempts(&ws, &run.id, &AttemptQuery::all())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_sandbox_and_no_isolation_both_run_tasks() {
    for (flags, env, isolation) in [
        (vec![], None, "namespaces"),
        (vec!["--sandbox", "none"], None, "none"),
        (vec![], Some("none"), "none"),
    ] {
        let scratch = Scratch::new();
        let catalog = scratch.python_task(false);
        let mut args = flags.clone();
        args.extend([
            "run",
            catalog.to_str().unwrap(),
            "-a",
            "gold",
            "-a",
            "null",
            "-q",
        ]);
        let mut command = scratch.command(&args);
        if let Some(mode) = env {
            command.env("BENCHCORE_SANDBOX", mode);
        }
        let out = command.output().unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{isolation}: {stderr}");
        assert!(
            text(&out.stdout).contains("catalog check: ok"),
            "{isolation}"
        );
        assert_eq!(
            stderr.contains("no isolation (--sandbox none)"),
            isolation == "none",
            "{stderr}"
        );
        for attempt in attempts(&scratch).await {
            assert_eq!(
                attempt.evaluations[0].details["sandbox"]["isolation"],
                isolation
            );
        }
    }
}

#[test]
fn an_unknown_sandbox_mode_is_a_usage_error() {
    let scratch = Scratch::new();
    let catalog = scratch.python_task(false);
    let out = scratch.run(&[
        "--sandbox",
        "chroot",
        "run",
        catalog.to_str().unwrap(),
        "-a",
        "gold",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("unknown sandbox mode \"chroot\""),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn doctor_lists_toolchains_the_sandbox_and_its_guarantees_and_the_store() {
    let scratch = Scratch::new();
    let store = "postgres://bench:hunter2@127.0.0.1:1/db";
    let out = scratch.run(&["--store", store, "doctor"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    for line in [
        "toolchains",
        "python3",
        "sandbox: namespaces (Landlock ABI",
        "  yes files: ",
        "  yes network: ",
        "  yes memory: ",
        "  yes control group: ",
        "store: postgres://bench:***@127.0.0.1:1/db",
    ] {
        assert!(stdout.contains(line), "{line}\n{stdout}");
    }
    assert!(!stdout.contains("hunter2"), "{stdout}");
    if benchcore::code_task::find_program("go").is_none() {
        assert!(
            stdout.contains("missing  go       install golang-go"),
            "{stdout}"
        );
    }
    let none = scratch.run(&["--sandbox", "none", "doctor", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&none.stdout).unwrap();
    assert_eq!(json["sandbox"]["mode"], "none");
    let files = json["sandbox"]["guarantees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "files")
        .unwrap();
    assert_eq!(files["holds"], false);
    assert!(json["toolchains"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["program"] == "go" && t["package"] == "golang-go"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_answers_reach_neither_the_store_nor_the_engines_keys() {
    let key = "sk-engine-key-never-shown";
    for mode in ["namespaces", "none"] {
        let scratch = Scratch::new();
        let catalog = scratch.python_task(false);
        let store = scratch.path("runs.db");
        let mut answers = vec![(
            "read_keys",
            "import glob, os\nfound = []\nfor p in glob.glob('/proc/[0-9]*/environ') + ['/proc/%d/environ' % os.getppid()]:\n    try:\n        found.append(open(p, 'rb').read().decode(errors='replace'))\n    except OSError:\n        pass\nfound.append(str(dict(os.environ)))\nprint('\\n'.join(found))\nif 'sk-engine-key-never-shown' not in ''.join(found):\n    raise SystemExit('no key found')\nVALUE = 42\n".to_owned(),
        )];
        if mode == "namespaces" {
            answers.push((
                "write_store",
                format!(
                    "open({:?}, 'ab').write(b'corrupted')\nVALUE = 42\n",
                    store.display().to_string()
                ),
            ));
        }
        let mut args = vec![
            "--sandbox",
            mode,
            "run",
            catalog.to_str().unwrap(),
            "--out",
            "runs",
            "-q",
        ];
        let mut files = Vec::new();
        for (name, code) in &answers {
            let file = scratch.path(&format!("{name}.json"));
            let reply = format!("```python value.py\n{code}```\n");
            let config = serde_json::json!({"kind": "replay", "name": name, "text": reply});
            std::fs::write(&file, config.to_string()).unwrap();
            files.push(file.display().to_string());
        }
        for file in &files {
            args.extend(["-a", file.as_str()]);
        }
        args.extend(["-a", "gold"]);
        let out = scratch
            .command(&args)
            .env("OPENAI_API_KEY", key)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{mode}: {}", text(&out.stderr));
        let attempts = attempts(&scratch).await;
        assert_eq!(
            attempts.len(),
            answers.len() + 1,
            "{mode}: every attempt recorded"
        );
        for attempt in &attempts {
            let dir = std::path::Path::new(attempt.artifacts_dir.as_deref().unwrap());
            let stdout =
                std::fs::read_to_string(scratch.path(&dir.join("stdout.log").to_string_lossy()))
                    .unwrap();
            assert!(
                !stdout.contains(key),
                "{mode} {}: {stdout}",
                attempt.key.agent
            );
            let expected = if attempt.key.agent == "gold" {
                "passed"
            } else {
                "failed"
            };
            assert_eq!(
                attempt.outcome.as_str(),
                expected,
                "{mode} {}: {:?}",
                attempt.key.agent,
                attempt.evaluations[0].rationale
            );
        }
    }
}

#[test]
fn a_task_whose_dependencies_are_not_installed_is_skipped() {
    let scratch = Scratch::new();
    let catalog = scratch.python_task(false);
    std::fs::write(
        catalog.join("py_env/workspace/requirements.txt"),
        "benchdep==1.0\n",
    )
    .unwrap();
    let out = scratch.run(&[
        "run",
        catalog.to_str().unwrap(),
        "-a",
        "gold",
        "-a",
        "null",
        "-q",
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("skipped py_env: its dependencies (requirements.txt) are not installed: run with --install-deps"),
        "{stderr}"
    );
}
