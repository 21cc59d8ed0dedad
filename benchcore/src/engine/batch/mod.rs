//! Batch mode: a question set's attempts go to each agent's batch endpoint
//! ([`BatchApi`](crate::agent::BatchApi)) instead of one request each. Each agent's
//! attempts are gathered into batches within the provider's limits; every batch's id is
//! stored in the run's tags before it is polled, so a killed run's `resume` waits for it
//! instead of sending its attempts again; and each result is played, evaluated and recorded
//! by the path an ordinary attempt takes, marked with its batch.

mod answers;
mod collect;
mod ids;
mod ledger;
mod options;
mod settle;
mod sink;

pub(crate) use collect::{collect, Collect};
pub(crate) use ledger::Ledger;
pub use options::BatchOptions;
pub(crate) use sink::Sink;
