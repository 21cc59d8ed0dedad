//! `benchcore tasks check DIR` and `benchcore tasks import humaneval FILE --out DIR`.

use crate::args::{TasksCheckArgs, TasksCommand, TasksImportCommand};
use crate::{output, EXIT_GATE, EXIT_OK};
use benchcore::code_task::{import_humaneval, Severity, TaskCatalog};
use std::path::Path;
use std::process::ExitCode;

pub(crate) fn tasks(command: TasksCommand) -> anyhow::Result<ExitCode> {
    match command {
        TasksCommand::Check(args) => check(&args),
        TasksCommand::Import(TasksImportCommand::Humaneval(args)) => {
            let ids = import_humaneval(&args.file, &args.out)?;
            output::print(&format!(
                "imported {} HumanEval problems as Python tasks into {}\n",
                ids.len(),
                args.out.display()
            ))?;
            check(&TasksCheckArgs {
                dir: args.out,
                json: false,
            })
        }
    }
}

fn check(args: &TasksCheckArgs) -> anyhow::Result<ExitCode> {
    let problems = TaskCatalog::check(&args.dir);
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let tasks = count_tasks(&args.dir);
    if args.json {
        let json = serde_json::json!({
            "dir": args.dir.display().to_string(),
            "tasks": tasks,
            "errors": errors,
            "warnings": problems.len() - errors,
            "problems": problems,
        });
        output::print(&format!("{}\n", serde_json::to_string_pretty(&json)?))?;
    } else {
        for problem in &problems {
            output::print(&format!("{problem}\n"))?;
        }
        output::print(&format!(
            "{}: {tasks} task folder(s), {errors} error(s), {} warning(s)\n",
            args.dir.display(),
            problems.len() - errors
        ))?;
    }
    Ok(ExitCode::from(if errors > 0 { EXIT_GATE } else { EXIT_OK }))
}

fn count_tasks(dir: &Path) -> usize {
    if dir.join("metadata.json").exists() {
        return 1;
    }
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().join("metadata.json").exists())
                .count()
        })
        .unwrap_or(0)
}
