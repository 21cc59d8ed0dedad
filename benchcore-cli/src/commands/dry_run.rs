//! `benchcore run --dry-run`: writes every prompt where the run would keep its artifacts,
//! and calls no model (no API key is needed).

use crate::args::RunArgs;
use crate::{output, plan, EXIT_OK};
use anyhow::Context;
use benchcore::code_task::attempt_folder;
use benchcore::{Case, Role};
use futures::StreamExt;
use std::process::ExitCode;

/// The prompt as one text: a lone user message as it is; several messages each under its
/// role.
fn render(case: &Case) -> String {
    match case.messages.as_slice() {
        [only] if only.role == Role::User => only.content.clone(),
        messages => messages
            .iter()
            .map(|m| format!("{}:\n{}\n", m.role.as_str().to_uppercase(), m.content))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

pub(crate) async fn dry_run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let spec = plan::spec_from_args(&args)?;
    let kinds = crate::kinds::kinds();
    let opened = kinds.for_spec(&spec)?.open(
        &spec,
        &plan::factory(&args.agent_options, None, Default::default())?,
    )?;
    let mut agents = Vec::new();
    for spec in &args.agents {
        match spec.strip_prefix(plan::SAVED_PREFIX) {
            Some(name) => agents.push(name.to_owned()),
            None => agents.extend(plan::agent_configs(spec)?.iter().map(|c| c.name())),
        }
    }
    let dir = args
        .out
        .join(format!("dry_run_{}", benchcore::new_run_id()));
    let mut cases = opened.source.cases();
    let mut written = 0u64;
    while let Some(case) = cases.next().await {
        let case = case?;
        let prompt = render(&case);
        for agent in &agents {
            for sample in 0..args.samples.max(1) {
                let folder = dir.join(attempt_folder(&case.id, agent, sample));
                std::fs::create_dir_all(&folder)
                    .and_then(|()| std::fs::write(folder.join("prompt.txt"), &prompt))
                    .with_context(|| format!("writing {}", folder.display()))?;
                written += 1;
            }
        }
    }
    if args.output.json {
        let json = serde_json::json!({"dry_run": true, "prompts": written, "dir": dir.display().to_string()});
        output::print(&format!("{}\n", serde_json::to_string_pretty(&json)?))?;
    } else {
        output::print(&format!(
            "dry run: wrote {written} prompts to {} (no model was called)\n",
            dir.display()
        ))?;
    }
    Ok(ExitCode::from(EXIT_OK))
}
