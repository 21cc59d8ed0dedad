//! Task dependencies: installed once per task in a setup phase that may reach a package index
//! (here a local one on 127.0.0.1), kept in a cache the tests read but cannot change, with
//! the tests still cut off from the network; skipped when not installed.

use super::support::{
    agent, files_answer, gold, label, null, rationale, run_with, sandbox, stdout_log,
};
use benchcore::code_task::{tasks_to_skip, CodeTaskEvaluator, DepsCache, Isolation, TaskCatalog};
use benchcore::Outcome;
use std::path::{Path, PathBuf};

const WHEEL: &str = "benchdep-1.0-py3-none-any.whl";

/// Builds the wheel of a one-function package `benchdep` with python3.
fn build_wheel(out: &Path) {
    let script = r#"
import base64, hashlib, sys, zipfile
files = {
    "benchdep/__init__.py": b"def times(a, b):\n    return a * b\n",
    "benchdep-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: benchdep\nVersion: 1.0\n",
    "benchdep-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: benchcore-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = ""
for name, data in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record += f"{name},sha256={digest},{len(data)}\n"
record += "benchdep-1.0.dist-info/RECORD,,\n"
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for name, data in files.items():
        z.writestr(name, data)
    z.writestr("benchdep-1.0.dist-info/RECORD", record)
"#;
    let status = std::process::Command::new("python3")
        .args(["-c", script, out.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// A package index on 127.0.0.1 serving the wheel (pip's `--find-links` reads its links).
async fn serve_index(wheel: Vec<u8>) -> (u16, tokio::task::JoinHandle<()>) {
    use axum::routing::get;
    let page = format!("<html><body><a href=\"{WHEEL}\">{WHEEL}</a></body></html>");
    let app = axum::Router::new()
        .route("/", get(move || async move { axum::response::Html(page) }))
        .route(&format!("/{WHEEL}"), get(move || async move { wheel }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (port, task)
}

/// A task whose answer needs `benchdep` from the index; its test also tries the index itself
/// and prints whether the network was reachable.
fn task(root: &Path, port: u16) -> PathBuf {
    let catalog = root.join("tasks");
    let task = catalog.join("py_deps");
    for sub in ["workspace", "tests", "solution"] {
        std::fs::create_dir_all(task.join(sub)).unwrap();
    }
    std::fs::write(
        task.join("metadata.json"),
        r#"{"id": "py_deps", "language": "python", "test_command": ["python3", "tests/test_use.py"], "editable": ["use.py"]}"#,
    )
    .unwrap();
    std::fs::write(
        task.join("instructions.md"),
        "Make `triple` triple with benchdep.times.\n",
    )
    .unwrap();
    std::fs::write(
        task.join("workspace/requirements.txt"),
        format!("--no-index\n--find-links http://127.0.0.1:{port}/\nbenchdep==1.0\n"),
    )
    .unwrap();
    std::fs::write(
        task.join("workspace/use.py"),
        "import benchdep\n\n\ndef triple(x):\n    return 0\n",
    )
    .unwrap();
    std::fs::write(
        task.join("solution/use.py"),
        "import benchdep\n\n\ndef triple(x):\n    return benchdep.times(x, 3)\n",
    )
    .unwrap();
    std::fs::write(
        task.join("tests/test_use.py"),
        format!(
            "import socket, sys\nsys.path.insert(0, 'workspace')\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n    print('network: reachable')\nexcept OSError:\n    print('network: refused')\nfrom use import triple\nassert triple(2) == 6\nprint('1 passed, 0 failed')\n"
        ),
    )
    .unwrap();
    catalog
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dependencies_are_installed_once_then_read_only_and_offline() {
    let dir = tempfile::tempdir().unwrap();
    let wheel = dir.path().join(WHEEL);
    build_wheel(&wheel);
    let (port, server) = serve_index(std::fs::read(&wheel).unwrap()).await;
    let catalog = task(dir.path(), port);
    let cache = dir.path().join("cache");

    // Without installing, the task is skipped with the flag to pass.
    let opened = TaskCatalog::open(&catalog).unwrap();
    let skipped = tasks_to_skip(&opened, &DepsCache::new(&cache), false);
    assert_eq!(skipped.len(), 1);
    assert!(
        skipped[0].reason.contains("requirements.txt")
            && skipped[0].reason.contains("--install-deps"),
        "{skipped:?}"
    );

    let tamper = files_answer(
        "use.py",
        "import benchdep, os\nopen(os.path.join(os.path.dirname(benchdep.__file__), 'planted.py'), 'w').write('x = 1')\n\n\ndef triple(x):\n    return benchdep.times(x, 3)\n",
    );
    let agents = vec![gold(), null(), agent("tamper", move |_, _| tamper.clone())];
    let cache_root = cache.clone();
    let ran = run_with(&catalog, agents, 2, &dir.path().join("runs"), move |c| {
        CodeTaskEvaluator::new_with_sandbox(c, sandbox(Isolation::Namespaces))
            .install_deps(true)
            .with_deps_cache(cache_root)
    })
    .await;
    for a in &ran.attempts {
        let expected = if a.key.agent == "gold" {
            Outcome::Passed
        } else {
            Outcome::Failed
        };
        assert_eq!(
            a.outcome,
            expected,
            "{} #{}: {} {:?}",
            a.key.agent,
            a.key.sample,
            rationale(a),
            a.failure
        );
        assert!(
            stdout_log(a).contains("network: refused") || a.key.agent == "tamper",
            "{}",
            stdout_log(a)
        );
    }
    assert_eq!(label(ran.of("tamper")), "tests_failed");
    let installed = DepsCache::new(&cache).dir_for(&opened.tasks()[0]);
    assert!(installed.join(".complete").is_file());
    assert!(installed.join("python/benchdep/__init__.py").is_file());
    assert!(
        !installed.join("python/benchdep/planted.py").exists(),
        "the cache is read-only to tests"
    );
    let installs = std::fs::read_dir(&cache).unwrap().count();
    assert_eq!(installs, 1, "one install for all attempts");

    // Later runs use the cache without the index or the flag.
    server.abort();
    let cache_root = cache.clone();
    let again = run_with(
        &catalog,
        vec![gold()],
        1,
        &dir.path().join("runs2"),
        move |c| {
            CodeTaskEvaluator::new_with_sandbox(c, sandbox(Isolation::Namespaces))
                .with_deps_cache(cache_root)
        },
    )
    .await;
    assert_eq!(
        again.attempts[0].outcome,
        Outcome::Passed,
        "{}",
        rationale(&again.attempts[0])
    );
    assert!(tasks_to_skip(&opened, &DepsCache::new(&cache), false).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_dependencies_come_from_the_tasks_own_packages() {
    if !benchcore_tests::require_tool("npm", "npm") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let task = dir.path().join("tasks/js_deps");
    for sub in ["workspace", "tests", "solution", "deps/package"] {
        std::fs::create_dir_all(task.join(sub)).unwrap();
    }
    // A local package, packed as npm packs one (a tarball of `package/`).
    std::fs::write(
        task.join("deps/package/package.json"),
        r#"{"name": "triple-it", "version": "1.0.0", "main": "index.js"}"#,
    )
    .unwrap();
    std::fs::write(
        task.join("deps/package/index.js"),
        "module.exports = (x) => 3 * x;\n",
    )
    .unwrap();
    let packed = std::process::Command::new("tar")
        .args(["czf", "triple-it-1.0.0.tgz", "package"])
        .current_dir(task.join("deps"))
        .status()
        .unwrap();
    assert!(packed.success());
    std::fs::remove_dir_all(task.join("deps/package")).unwrap();
    std::fs::write(
        task.join("metadata.json"),
        r#"{"id": "js_deps", "language": "javascript", "test_command": ["node", "tests/use.test.js"], "editable": ["use.js"]}"#,
    )
    .unwrap();
    std::fs::write(
        task.join("instructions.md"),
        "Make `f` triple with triple-it.\n",
    )
    .unwrap();
    std::fs::write(
        task.join("workspace/package.json"),
        r#"{"name": "js-deps", "version": "1.0.0", "dependencies": {"triple-it": "file:../local/triple-it-1.0.0.tgz"}}"#,
    )
    .unwrap();
    std::fs::write(
        task.join("workspace/use.js"),
        "module.exports = (x) => x;\n",
    )
    .unwrap();
    std::fs::write(
        task.join("solution/use.js"),
        "const triple = require('triple-it');\nmodule.exports = (x) => triple(x);\n",
    )
    .unwrap();
    std::fs::write(
        task.join("tests/use.test.js"),
        "const test = require('node:test');\nconst assert = require('node:assert');\nconst f = require('../workspace/use.js');\ntest('triples', () => assert.strictEqual(f(2), 6));\n",
    )
    .unwrap();
    let cache = dir.path().join("cache");
    let ran = run_with(
        &dir.path().join("tasks"),
        vec![gold(), null()],
        1,
        &dir.path().join("runs"),
        move |c| {
            CodeTaskEvaluator::new_with_sandbox(c, sandbox(Isolation::Namespaces))
                .install_deps(true)
                .with_deps_cache(cache)
        },
    )
    .await;
    assert_eq!(
        ran.of("gold").outcome,
        Outcome::Passed,
        "{} {:?}",
        rationale(ran.of("gold")),
        ran.of("gold").failure
    );
    assert_eq!(ran.of("null").outcome, Outcome::Failed);
}
