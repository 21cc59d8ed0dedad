#![doc = include_str!("../README.md")]
//!
//! ## The API
//!
//! - [`Sandbox::new`] checks once that the kernel gives what the mode needs and fails with
//!   [`SandboxError::Unsupported`] naming what is missing; [`Sandbox::guarantees`] lists what
//!   holds.
//! - [`Sandbox::run`] runs one [`SandboxCommand`] to its end or a [`Limits`] limit, then kills
//!   every process it started and removes its control group; [`SandboxOutput`] says how it
//!   ended.
//!
//! Only the private module `launch`, which runs between `fork` and `exec`, uses `unsafe`.

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod cgroup;
mod command;
mod env;
mod error;
mod guarantee;
mod io;
mod isolation;
mod launch;
mod limits;
mod output;
mod plan;
mod program;
mod rules;
mod sandbox;

pub use command::SandboxCommand;
pub use env::base_env;
pub use error::SandboxError;
pub use guarantee::Guarantee;
pub use io::remove_tree;
pub use isolation::Isolation;
pub use limits::Limits;
pub use output::{LimitHit, SandboxOutput};
pub use sandbox::Sandbox;
