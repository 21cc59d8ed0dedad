//! One module per subcommand.

mod agents;
mod completions;
mod doctor;
mod dry_run;
mod export;
mod incomplete;
mod leaderboard;
mod metrics;
mod report;
mod resume;
mod run;
mod runs;
mod schema;
mod serve;
mod show;
mod tasks;
mod view;
pub(crate) mod worker;
pub(crate) mod worker_pool;

use crate::args::{Cli, Command};
use anyhow::Context;
use benchcore::{ResponseCache, RunStore, Workspace};
use benchcore_store::StoreHandle;
use std::process::ExitCode;
use std::sync::Arc;

pub(crate) async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let workspace = Workspace::new(cli.workspace.clone())?;
    crate::kinds::configure(&cli)?;
    match cli.command {
        Command::Run(args) if args.dry_run => dry_run::dry_run(*args).await,
        Command::Run(args) if args.detach => {
            run::detach(open_store(&cli.store).await?, workspace, *args).await
        }
        Command::Run(args) => {
            let (store, cache) =
                open_store_with_cache(&cli.store, &workspace, args.agent_options.cache).await?;
            run::run(store, cache, workspace, *args).await
        }
        Command::Resume(args) => {
            let (store, cache) =
                open_store_with_cache(&cli.store, &workspace, args.agent_options.cache).await?;
            resume::resume(store, cache, workspace, args).await
        }
        Command::Runs(args) => runs::runs(open_run_store(&cli.store).await?, workspace, args).await,
        Command::Show(args) => show::show(open_run_store(&cli.store).await?, workspace, args).await,
        Command::Export(args) => {
            export::export(open_run_store(&cli.store).await?, workspace, args).await
        }
        Command::Schema(args) => schema::schema(args),
        Command::Metrics(args) => {
            let (store, cache) =
                open_store_with_cache(&cli.store, &workspace, args.agent_options.cache).await?;
            metrics::metrics(store, cache, workspace, args).await
        }
        Command::Tasks(command) => tasks::tasks(command),
        Command::Leaderboard(args) => {
            leaderboard::leaderboard(open_run_store(&cli.store).await?, workspace, args).await
        }
        Command::Agents(command) => {
            agents::agents(open_store(&cli.store).await?, workspace, command).await
        }
        Command::Store(command) => agents::store(open_store(&cli.store).await?, command).await,
        Command::Report(args) => {
            report::report(open_run_store(&cli.store).await?, workspace, args).await
        }
        Command::View(args) => view::view(&cli.store, workspace, args).await,
        Command::Serve(args) => serve::serve(&cli.store, args).await,
        Command::Completions(args) => completions::completions(args),
        Command::Doctor(args) => doctor::doctor(&cli.store, args),
        Command::Worker(args) if args.all_workspaces => {
            worker_pool::all_workspaces(open_store(&cli.store).await?, args).await
        }
        Command::Worker(args) => {
            worker::worker(open_store(&cli.store).await?, workspace, args).await
        }
    }
}

/// The store, and its response cache when `--cache` asked for it.
async fn open_store_with_cache(
    url: &str,
    workspace: &Workspace,
    cache: bool,
) -> anyhow::Result<(StoreHandle, Option<Arc<dyn ResponseCache>>)> {
    let store = open_store(url).await?;
    let cache = match cache {
        true => Some(store.require_response_cache(workspace)?),
        false => None,
    };
    Ok((store, cache))
}

/// Opens the store at `url` once, for everything the command needs of it; a store that did
/// not exist is announced, so that a mistyped location is noticed.
pub(crate) async fn open_store(url: &str) -> anyhow::Result<StoreHandle> {
    let store = benchcore_store::connect(url)
        .await
        .with_context(|| format!("opening store {}", benchcore_store::redact_url(url)))?;
    if store.created() {
        eprintln!("created a new store at {}", store.url());
    }
    Ok(store)
}

async fn open_run_store(url: &str) -> anyhow::Result<Arc<dyn RunStore>> {
    Ok(open_store(url).await?.store())
}
