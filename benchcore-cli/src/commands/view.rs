//! `benchcore view [--port N]`: the local, read-only web viewer over the store.

use crate::args::ViewArgs;
use crate::viewer::{self, ViewOptions};
use benchcore::Workspace;
use std::process::ExitCode;
use std::time::Duration;

pub(crate) async fn view(
    url: &str,
    workspace: Workspace,
    args: ViewArgs,
) -> anyhow::Result<ExitCode> {
    let store = super::open_store(&without_creating(url)).await?.store();
    let options = ViewOptions {
        port: args.port,
        poll: Duration::from_millis(args.poll_ms.max(50)),
    };
    viewer::serve(store, workspace, options).await?;
    Ok(ExitCode::SUCCESS)
}

/// A SQLite URL that does not create a missing file: the viewer only reads, so a mistyped path
/// is an error rather than a new empty store.
fn without_creating(url: &str) -> String {
    let is_sqlite = url.starts_with("sqlite:") || !url.contains("://");
    if !is_sqlite || url.contains("create_if_missing") {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}create_if_missing=false")
}

#[cfg(test)]
mod tests {
    use super::without_creating;

    #[test]
    fn sqlite_urls_do_not_create_files() {
        assert_eq!(
            without_creating("sqlite://runs.db"),
            "sqlite://runs.db?create_if_missing=false"
        );
        assert_eq!(
            without_creating("runs.db?pool_size=2"),
            "runs.db?pool_size=2&create_if_missing=false"
        );
        assert_eq!(
            without_creating("postgres://u@h/db?schema=s"),
            "postgres://u@h/db?schema=s"
        );
    }
}
