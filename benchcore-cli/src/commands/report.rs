//! `benchcore report RUN [--out FILE]`: one self-contained HTML file of a run.

use crate::args::ReportArgs;
use crate::report::{run_page, Details, ReportData, Rows, RunPage};
use crate::run_ref::find_run;
use anyhow::Context;
use benchcore::{RunStore, Workspace};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

pub(crate) async fn report(
    store: Arc<dyn RunStore>,
    workspace: Workspace,
    args: ReportArgs,
) -> anyhow::Result<ExitCode> {
    let run = find_run(store.as_ref(), &workspace, &args.run).await?;
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from(format!("{}.html", file_stem(&run.id))));
    let details = Details::Embed {
        artifact_cap: args.artifact_bytes,
    };
    let data =
        ReportData::load(store.as_ref(), &workspace, run, details, Rows::Window(None)).await?;
    let html = run_page(&data, &RunPage::standalone());
    if out.as_os_str() == "-" {
        crate::output::print(&html)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut file =
        std::fs::File::create(&out).with_context(|| format!("cannot create {}", out.display()))?;
    file.write_all(html.as_bytes())
        .and_then(|()| file.flush())
        .with_context(|| format!("cannot write {}", out.display()))?;
    let shown = data.grid.rows.len() as u64;
    let recorded = data.recorded().max(shown);
    let window = if shown < recorded {
        format!(
            "; the grid holds the first {shown} attempts of {recorded}: `benchcore view` pages \
             through them all"
        )
    } else {
        String::new()
    };
    eprintln!(
        "wrote {} ({recorded} attempts, {} KiB{window})",
        out.display(),
        html.len().div_ceil(1024)
    );
    Ok(ExitCode::SUCCESS)
}

/// A file name from a run id: letters, digits, `-`, `_` and `.` kept, anything else `_`.
fn file_stem(run_id: &str) -> String {
    run_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}
