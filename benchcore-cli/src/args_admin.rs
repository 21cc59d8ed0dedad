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
