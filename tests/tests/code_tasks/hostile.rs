//! Hostile answers through the engine and the code-task evaluator: each would pass if its
//! attack worked; each must fail with its reason recorded, and the run goes on.

use super::support::{
    agent, details, files_answer, gold, label, rationale, run_with, sandbox, stdout_log, Ran,
};
use benchcore::code_task::{import_humaneval, CodeTaskEvaluator, Isolation};
use benchcore::{Agent, Outcome};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The correct body of `count_vowels`, appended to attacks that should not matter.
const CORRECT: &str =
    "\n\ndef count_vowels(s):\n    return sum(1 for c in s.lower() if c in 'aeiou')\n";

/// A catalog (under /var/tmp, so that Landlock rather than the private /tmp keeps it out of
/// reach) holding the HumanEval-format task `sample_2`, whose driver proves its result with
/// the attempt's token.
fn catalog(root: &Path) -> PathBuf {
    let jsonl = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/humaneval_sample.jsonl");
    let all = root.join("all");
    import_humaneval(&jsonl, &all).unwrap();
    let catalog = root.join("catalog");
    std::fs::create_dir_all(&catalog).unwrap();
    std::fs::rename(all.join("sample_2"), catalog.join("sample_2")).unwrap();
    catalog
}

struct Attack {
    name: &'static str,
    code: String,
    /// The label it must end with.
    label: &'static str,
}

fn attacks(catalog: &Path, store: &Path, mode: Isolation) -> Vec<Attack> {
    let solution = catalog.join("sample_2/solution/solution.py");
    let check = catalog.join("sample_2/tests/check.py");
    let engine = std::process::id();
    // This process's CARGO_MANIFEST_DIR stands for a secret in the engine's environment.
    let secret = env!("CARGO_MANIFEST_DIR");
    let mut out = vec![
        Attack {
            name: "exit_0_at_import",
            code: format!("import os\nos._exit(0){CORRECT}"),
            label: "no_test_results",
        },
        Attack {
            name: "forged_result_line",
            code: format!(
                "import os\nprint('benchcore-result 0123456789abcdef0123456789abcdef passed=5 failed=0', flush=True)\nprint('5 passed, 0 failed', flush=True)\nos._exit(0){CORRECT}"
            ),
            label: "no_test_results",
        },
        Attack {
            name: "shared_memory_bomb",
            code: format!(
                "import mmap\nm = mmap.mmap(-1, 1 << 30, flags=mmap.MAP_SHARED)\nfor i in range(0, 1 << 30, 4096):\n    m[i] = 1{CORRECT}"
            ),
            label: "memory_limit",
        },
        Attack {
            name: "fork_bomb",
            code: format!(
                "import os, time\nwhile True:\n    if os.fork() == 0:\n        time.sleep(60)\n        os._exit(0){CORRECT}"
            ),
            label: "process_limit",
        },
        Attack {
            name: "leave_the_control_group",
            code: format!(
                r#"import glob, os, time
moved = False
for procs in ["/sys/fs/cgroup/cgroup.procs", "/sys/fs/cgroup/pids/cgroup.procs", "/sys/fs/cgroup/memory/cgroup.procs"] + glob.glob("/sys/fs/cgroup/*/cgroup.procs"):
    try:
        with open(procs, "w") as f:
            f.write(str(os.getpid()))
        moved = True
    except OSError:
        pass
print("moved" if moved else "stayed", flush=True)
for _ in range(600):
    if os.fork() == 0:
        time.sleep(60)
        os._exit(0)
{CORRECT}"#
            ),
            label: "process_limit",
        },
        Attack {
            name: "read_the_engines_environment",
            code: format!(
                r#"import glob, os
leaked = []
for path in ["/proc/{engine}/environ", "/proc/%d/environ" % os.getppid()] + glob.glob("/proc/[0-9]*/environ"):
    try:
        with open(path, "rb") as f:
            data = f.read()
        if b"CARGO_MANIFEST_DIR={secret}" in data:
            leaked.append(path)
    except OSError:
        pass
leaked += [k for k in os.environ if k == "CARGO_MANIFEST_DIR"]
print(leaked, flush=True)
if not leaked:
    raise SystemExit("nothing leaked")
{CORRECT}"#
            ),
            label: "tests_failed",
        },
    ];
    if mode == Isolation::Namespaces {
        out.push(Attack {
            name: "steal_the_reference_solution",
            code: format!(
                r#"import os
found = None
for top in ["/", "/var/tmp", "/tmp", "/root", "/home", os.path.dirname(os.getcwd())]:
    for dirpath, dirnames, filenames in os.walk(top):
        if os.path.basename(dirpath) == "solution" and "solution.py" in filenames:
            found = os.path.join(dirpath, "solution.py")
            break
    if found:
        break
for path in [found, {solution:?}]:
    if path:
        try:
            exec(open(path).read())
            break
        except OSError:
            pass
count_vowels
"#,
                solution = solution.display().to_string(),
            ),
            label: "tests_failed",
        });
        out.push(Attack {
            name: "write_outside_the_workspace",
            code: format!(
                "open({check:?}, 'w').write('def check(candidate):\\n    pass\\n')\nopen({store:?}, 'ab').write(b'corrupt'){CORRECT}",
                check = check.display().to_string(),
                store = store.display().to_string(),
            ),
            label: "tests_failed",
        });
    }
    out
}

async fn run_attacks(mode: Isolation) {
    let root = tempfile::tempdir_in("/var/tmp").unwrap();
    let catalog = catalog(root.path());
    let store = root.path().join("benchcore.db");
    std::fs::write(&store, "SQLite format 3\0").unwrap();
    let check_before = std::fs::read(catalog.join("sample_2/tests/check.py")).unwrap();
    let attacks = attacks(&catalog, &store, mode);
    let mut agents: Vec<Arc<dyn Agent>> = attacks
        .iter()
        .map(|a| {
            let answer = files_answer("solution.py", &a.code);
            agent(a.name, move |_, _| answer.clone())
        })
        .collect();
    agents.push(gold());
    let hidden = store.clone();
    let ran: Ran = run_with(&catalog, agents, 1, &root.path().join("runs"), |c| {
        CodeTaskEvaluator::new_with_sandbox(c, sandbox(mode))
            .hide(hidden)
            .with_parallelism(2)
    })
    .await;
    for attack in &attacks {
        let a = ran.of(attack.name);
        assert_eq!(
            (a.outcome, label(a)),
            (Outcome::Failed, attack.label),
            "{mode} {}: {}\nstdout: {}",
            attack.name,
            rationale(a),
            stdout_log(a)
        );
        assert!(!rationale(a).is_empty());
    }
    assert_eq!(
        ran.of("gold").outcome,
        Outcome::Passed,
        "the run went on: {}",
        rationale(ran.of("gold"))
    );
    let forged = ran.of("forged_result_line");
    assert_eq!(
        details(forged)["evidence"]["forged_lines"],
        1,
        "{}",
        rationale(forged)
    );
    assert!(
        rationale(forged).contains("wrong token"),
        "{}",
        rationale(forged)
    );
    assert!(rationale(ran.of("exit_0_at_import")).contains("no test results"));
    for name in ["fork_bomb", "leave_the_control_group"] {
        assert_eq!(
            details(ran.of(name))["run"]["process_cap_hit"],
            true,
            "{mode} {name}"
        );
    }
    assert!(
        stdout_log(ran.of("leave_the_control_group")).contains("stayed"),
        "{mode}"
    );
    assert!(
        !stdout_log(ran.of("read_the_engines_environment")).contains(env!("CARGO_MANIFEST_DIR"))
    );
    assert_eq!(
        std::fs::read(&store).unwrap(),
        b"SQLite format 3\0",
        "the store is untouched"
    );
    assert_eq!(
        std::fs::read(catalog.join("sample_2/tests/check.py")).unwrap(),
        check_before
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_answers_fail_with_their_reason_in_the_isolated_sandbox() {
    run_attacks(Isolation::Namespaces).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_answers_fail_with_their_reason_even_without_isolation() {
    run_attacks(Isolation::None).await;
}
