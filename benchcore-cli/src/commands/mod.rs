//! One module per subcommand.

mod agents;
mod completions;
mod dry_run;
mod export;
mod leaderboard;
mod metrics;
mod report;
mod resume;
mod run;
mod runs;
mod schema;
mod show;
mod tasks;
mod view;
mod worker;

use crate::args::{Cli, Command};
use anyhow::Context;
use benchcore::{ResponseCache, RunStore, Workspace};
use std::process::ExitCode;
use std::sync::Arc;

pub(crate) async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let workspace = Workspace::new(cli.workspace.clone())?;
    match cli.command {
        Command::Run(args) if args.dry_run => dry_run::dry_run(*args).await,
        Command::Run(args) if args.detach => run::detach(&cli.store, workspace, *args).await,
        Command::Run(args) => {
            let (store, cache) =
                open_store_with_cache(&cli.store, &workspace, args.agent_options.cache).await?;
            run::run(&cli.store, store, cache, workspace, *args).await
        }
        Command::Resume(args) => {
            let (store, cache) =
                open_store_with_cache(&cli.store, &workspace, args.agent_options.cache).await?;
            resume::resume(&cli.store, store, cache, workspace, args).await
        }
        Command::Runs(args) => runs::runs(open_store(&cli.store).await?, workspace, args).await,
        Command::Show(args) => show::show(open_store(&cli.store).await?, workspace, args).await,
        Command::Export(args) => {
            export::export(open_store(&cli.store).await?, workspace, args).await
        }
        Command::Schema(args) => schema::schema(args),
        Command::Metrics(args) => {
            let (store, cache) =
                open_store_with_cache(&cli.store, &workspace, args.agent_options.cache).await?;
            metrics::metrics(&cli.store, store, cache, workspace, args).await
        }
        Command::Tasks(command) => tasks::tasks(command),
        Command::Leaderboard(args) => {
            leaderboard::leaderboard(open_store(&cli.store).await?, workspace, args).await
        }
        Command::Agents(command) => agents::agents(&cli.store, workspace, command).await,
        Command::Store(command) => agents::store(&cli.store, command).await,
        Command::Report(args) => {
            report::report(open_store(&cli.store).await?, workspace, args).await
        }
        Command::View(args) => view::view(&cli.store, workspace, args).await,
        Command::Completions(args) => completions::completions(args),
        Command::Worker(args) => worker::worker(&cli.store, workspace, args).await,
    }
}

/// The store, and its response cache when `--cache` asked for it.
async fn open_store_with_cache(
    url: &str,
    workspace: &Workspace,
    cache: bool,
) -> anyhow::Result<(Arc<dyn RunStore>, Option<Arc<dyn ResponseCache>>)> {
    if !cache {
        return Ok((open_store(url).await?, None));
    }
    let (store, cache) = benchcore_store::open_with_cache(url, workspace)
        .await
        .with_context(|| format!("opening store {url} with its response cache"))?;
    Ok((store, Some(cache)))
}

async fn open_store(url: &str) -> anyhow::Result<Arc<dyn RunStore>> {
    benchcore_store::open(url)
        .await
        .with_context(|| format!("opening store {url}"))
}
