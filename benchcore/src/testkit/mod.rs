//! Public behaviour suites: the contracts of [`RunStore`](crate::RunStore) and
//! [`Agent`](crate::Agent) as reusable tests. Every backend and provider in this project runs
//! them, and so can yours: implement a small harness and expand the macro.
//!
//! Cases are selected by capability, never by backend name, and each case is one bullet of
//! the trait's `# Contract`, named after it.

pub mod agent;
pub mod store;
