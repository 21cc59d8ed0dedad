//! `benchcore serve`: the team server over the store.

use crate::args_admin::ServeArgs;
use crate::server::{self, OidcVerifier, ServeOptions, ServerState};
use std::process::ExitCode;
use std::sync::Arc;
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
    let oidc = oidc(&args)?;
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
        resume_interrupted: args.resume_interrupted,
        local_worker: args.local_worker,
        lease_secs: args.lease,
        oidc,
    };
    server::serve(ServerState::new(handle, options)?).await?;
    Ok(ExitCode::SUCCESS)
}

/// The identity-provider token verifier `--oidc-issuer` asks for.
fn oidc(args: &ServeArgs) -> anyhow::Result<Option<Arc<OidcVerifier>>> {
    let Some(issuer) = &args.oidc_issuer else {
        if args.oidc_audience.is_some() || args.oidc_jwks_url.is_some() {
            anyhow::bail!("--oidc-audience and --oidc-jwks-url need --oidc-issuer");
        }
        return Ok(None);
    };
    let Some(audience) = &args.oidc_audience else {
        anyhow::bail!(
            "--oidc-audience: needed with --oidc-issuer (the client id the provider's tokens \
             are issued for)"
        );
    };
    let verifier = OidcVerifier::new(issuer, audience, args.oidc_jwks_url.as_deref())?;
    eprintln!(
        "accepting identity tokens from {} for {audience}",
        verifier.issuer()
    );
    Ok(Some(Arc::new(verifier)))
}
