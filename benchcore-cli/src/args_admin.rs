//! Arguments of the administrative subcommands: saved agents and the store.

use clap::{Args, Subcommand};
use std::path::PathBuf;

/// `benchcore agents …`.
#[derive(Debug, Subcommand)]
pub enum AgentsCommand {
    /// Save an agent config file under a name (replacing one of that name); `api_key`,
    /// `token` and credential headers are encrypted with BENCHCORE_ENCRYPTION_KEY.
    Save(AgentsSaveArgs),
    /// List the workspace's saved agents.
    List(AgentsListArgs),
    /// Delete a saved agent.
    Delete(AgentsDeleteArgs),
}

/// `benchcore agents save NAME FILE`.
#[derive(Debug, Args)]
pub struct AgentsSaveArgs {
    /// The name to use with `--agent saved:NAME`.
    pub name: String,
    /// A JSON or TOML file holding one agent config.
    pub file: PathBuf,
}

/// `benchcore agents list`.
#[derive(Debug, Args)]
pub struct AgentsListArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `benchcore agents delete NAME`.
#[derive(Debug, Args)]
pub struct AgentsDeleteArgs {
    /// The saved agent's name.
    pub name: String,
}

/// `benchcore store …`.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// The encryption key loaded, the key state stored, and secrets that fail to decrypt.
    Status(StoreStatusArgs),
}

/// `benchcore store status`.
#[derive(Debug, Args)]
pub struct StoreStatusArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `benchcore serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "BENCHCORE_LISTEN", default_value = "127.0.0.1:8700")]
    pub listen: std::net::SocketAddr,
    /// The folder of suites runs may use (each file or folder in it, by name).
    #[arg(long, env = "BENCHCORE_SUITES", default_value = "suites")]
    pub suites: PathBuf,
    /// Where runs' artifacts are kept.
    #[arg(long, env = "BENCHCORE_DATA", default_value = "benchcore-data")]
    pub data: PathBuf,
    /// The first administrator's email (used once, on a store without users).
    #[arg(long, env = "BENCHCORE_ADMIN_EMAIL", default_value = "admin@localhost")]
    pub admin_email: String,
    /// Their password (at least 12 characters); a random one is printed once when unset.
    #[arg(long, env = "BENCHCORE_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// How long a browser session lasts, in hours.
    #[arg(long, default_value_t = 12)]
    pub session_hours: u64,
    /// Send session cookies without `Secure`: only for plain HTTP on a host other than
    /// localhost (browsers accept `Secure` cookies from http://localhost).
    #[arg(long)]
    pub insecure_cookies: bool,
    /// How often live streams look at the store, in milliseconds.
    #[arg(long, default_value_t = 300, value_name = "MS")]
    pub poll_ms: u64,
    /// At start, resume the runs a stopped server left running. With several servers on one
    /// store, leave it on for one of them only: two would both run those runs.
    #[arg(long, env = "BENCHCORE_RESUME_INTERRUPTED", default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub resume_interrupted: bool,
    /// On PostgreSQL, where runs go through the work queue: also work on queued runs in this
    /// process (`false` leaves them to `benchcore worker --all-workspaces` processes).
    #[arg(long, env = "BENCHCORE_LOCAL_WORKER", default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub local_worker: bool,
    /// How long this server's worker loops lease a queued attempt, in seconds: a server that
    /// dies gives its attempts back after this long.
    #[arg(long, default_value_t = 30.0, value_name = "SECS")]
    pub lease: f64,
    /// Also accept `Authorization: Bearer <JWT>` from this OpenID Connect identity provider
    /// (its `iss`, exactly); the token's verified `email` names an existing user.
    #[arg(long, env = "BENCHCORE_OIDC_ISSUER", value_name = "URL")]
    pub oidc_issuer: Option<String>,
    /// The audience (`aud`) identity tokens must be for: this server's client id at the
    /// provider. Needed with --oidc-issuer.
    #[arg(long, env = "BENCHCORE_OIDC_AUDIENCE", value_name = "AUD")]
    pub oidc_audience: Option<String>,
    /// The provider's key set (JWKS); by default the `jwks_uri` of
    /// ISSUER/.well-known/openid-configuration.
    #[arg(long, env = "BENCHCORE_OIDC_JWKS_URL", value_name = "URL")]
    pub oidc_jwks_url: Option<String>,
}
