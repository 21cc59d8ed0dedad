//! One module per subcommand.

mod resume;
mod run;
mod runs;
mod schema;
mod show;

use crate::args::{Cli, Command};
use anyhow::Context;
use benchcore::{RunStore, Workspace};
use std::process::ExitCode;
use std::sync::Arc;

pub(crate) async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let workspace = Workspace::new(cli.workspace.clone())?;
    match cli.command {
        Command::Run(args) => {
            let (store, cache) = if args.agent_options.cache {
                let (store, cache) = benchcore_store::open_with_cache(&cli.store, &workspace)
                    .await
                    .with_context(|| {
                        format!("opening store {} with its response cache", cli.store)
                    })?;
                (store, Some(cache))
            } else {
                (open_store(&cli.store).await?, None)
            };
            run::run(store, cache, workspace, *args).await
        }
        Command::Resume(args) => {
            resume::resume(open_store(&cli.store).await?, workspace, args).await
        }
        Command::Runs(args) => runs::runs(open_store(&cli.store).await?, workspace, args).await,
        Command::Show(args) => show::show(open_store(&cli.store).await?, workspace, args).await,
        Command::Schema(args) => schema::schema(args),
    }
}

async fn open_store(url: &str) -> anyhow::Result<Arc<dyn RunStore>> {
    benchcore_store::open(url)
        .await
        .with_context(|| format!("opening store {url}"))
}
