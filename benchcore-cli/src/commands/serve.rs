//! `benchcore serve`: the team server over the store.

use crate::args_admin::ServeArgs;
use crate::server::{self, ServeOptions, ServerState};
use std::process::ExitCode;
use std::time::Duration;

pub(crate) async fn serve(url: &str, args: ServeArgs) -> anyhow::Result<ExitCode> {
    if !args.suites.is_dir() {
        anyhow::bail!(
            "--suites {}: not a folder (the server's runs use the suites in it, by name)",
            args.suites.display()
        );
    }
    if args.session_hours == 0 {
        anyhow::bail!("--session-hours: must be at least 1");
    }
    let handle = super::open_store(url).await?;
    let options = ServeOptions {
        listen: args.listen,
        suites: args.suites.canonicalize()?,
        data: std::path::absolute(&args.data)?,
        admin_email: args.admin_email,
        admin_password: args.admin_password,
        session_ttl: Duration::from_secs(args.session_hours * 3600),
        secure_cookies: !args.insecure_cookies,
        poll: Duration::from_millis(args.poll_ms.max(20)),
    };
    server::serve(ServerState::new(handle, options)?).await?;
    Ok(ExitCode::SUCCESS)
}
