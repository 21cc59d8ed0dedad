//! The [`RunStore`] behaviour suite: one case per bullet of the trait's `# Contract`, each
//! named after the behaviour it checks.
//!
//! A backend plugs in with a [`StoreHarness`] and expands [`store_behaviour!`](crate::store_behaviour)
//! in an integration test. The crate running the tests needs `tokio` (features `macros` and
//! `rt-multi-thread`) as a dev-dependency; `async_trait` is re-exported by `benchcore`.
//!
//! ```
//! use benchcore::testkit::store::StoreHarness;
//! use benchcore::{MemoryStore, RunStore};
//! use std::sync::Arc;
//!
//! struct MemoryHarness;
//!
//! #[benchcore::async_trait]
//! impl StoreHarness for MemoryHarness {
//!     async fn fresh(&self) -> Arc<dyn RunStore> {
//!         Arc::new(MemoryStore::new())
//!     }
//! }
//!
//! benchcore::store_behaviour!(memory, MemoryHarness);
//! # fn main() {}
//! ```
//!
//! Cases panic with a message naming what went wrong. A case whose capability the store
//! lacks prints which one and passes.

mod helpers;
mod leaderboard;
mod metrics;
mod persistence;
mod reading;
mod recording;
mod runs;
mod summaries;
mod workspaces;

pub use leaderboard::*;
pub use metrics::*;
pub use persistence::*;
pub use reading::*;
pub use recording::*;
pub use runs::*;
pub use summaries::*;
pub use workspaces::*;

use crate::store::RunStore;
use crate::StoreCapabilities;
use async_trait::async_trait;
use futures::future::BoxFuture;
use std::fmt;
use std::sync::Arc;

/// How the suite gets stores to test.
#[async_trait]
pub trait StoreHarness: Send + Sync + 'static {
    /// A new, empty store that shares nothing with any other store this harness handed out
    /// (a temp file, a new schema, a random workspace prefix …).
    async fn fresh(&self) -> Arc<dyn RunStore>;

    /// A new handle on the same data as `store`, as after closing it and opening it again;
    /// `None` for stores that keep nothing (the default).
    async fn reopen(&self, store: &Arc<dyn RunStore>) -> Option<Arc<dyn RunStore>> {
        let _ = store;
        None
    }
}

const _: fn(&dyn StoreHarness) = |_| {};

/// One behaviour of the [`RunStore`] contract.
#[derive(Clone, Copy)]
pub struct Case {
    /// The behaviour, as a test name.
    pub name: &'static str,
    /// Whether a store with these capabilities must pass the case.
    pub needs: fn(&StoreCapabilities) -> bool,
    /// What `needs` asks for, printed when a store lacks it (empty when it asks for nothing).
    pub requires: &'static str,
    /// Runs the case; it panics on failure.
    pub run: fn(Arc<dyn StoreHarness>) -> BoxFuture<'static, ()>,
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Case")
            .field("name", &self.name)
            .field("requires", &self.requires)
            .finish_non_exhaustive()
    }
}

macro_rules! case {
    ($name:ident) => {
        case!($name, "", |_| true)
    };
    ($name:ident, $requires:literal, $needs:expr) => {
        Case {
            name: stringify!($name),
            needs: $needs,
            requires: $requires,
            run: |harness| Box::pin($name(harness)),
        }
    };
}

/// Every case of the suite.
pub fn cases() -> Vec<Case> {
    vec![
        case!(create_run_twice_conflicts),
        case!(same_run_id_in_two_workspaces_are_different_runs),
        case!(created_run_reads_back_running_with_its_spec),
        case!(get_unknown_run_is_none),
        case!(set_status_changes_status_and_updated_time),
        case!(set_status_of_unknown_run_is_not_found),
        case!(set_tags_replaces_only_the_tags),
        case!(set_tags_of_unknown_run_is_not_found),
        case!(delete_run_removes_the_run_and_everything_of_it),
        case!(delete_run_of_another_workspace_is_false),
        case!(record_for_unknown_run_is_not_found),
        case!(record_empty_batch_is_ok),
        case!(record_attempt_twice_keeps_one),
        case!(error_record_is_replaced_by_later_result),
        case!(judged_record_is_never_replaced),
        case!(repeated_key_in_one_batch_follows_replace_rule),
        case!(failed_batch_records_nothing),
        case!(concurrent_batches_all_land),
        case!(attempt_outcomes_of_unknown_run_is_empty),
        case!(case_outcomes_returns_only_the_cases_asked),
        case!(attempts_round_trip_every_field),
        case!(attempts_are_ordered_by_case_agent_sample),
        case!(attempt_query_filters_and_pages),
        case!(attempt_query_after_a_key_pages_by_key),
        case!(list_runs_newest_first_and_filters),
        case!(workspace_a_cannot_see_workspace_b),
        case!(summarize_counts_and_percentiles),
        case!(summarize_reads_stored_attempts),
        case!(summarize_of_unknown_run_is_not_found),
        case!(latency_counts_match_the_stored_attempts),
        case!(leaderboard_takes_each_agents_best_run),
        case!(record_metrics_of_unknown_run_is_not_found),
        case!(metrics_of_unknown_run_is_empty),
        case!(metrics_round_trip_and_replace_per_metric),
        case!(metrics_survive_reopen, "persistent", |c| c.persistent),
        case!(completed_keys_survive_reopen, "persistent", |c| c
            .persistent),
        case!(
            two_handles_write_concurrently,
            "persistent and concurrent_writers",
            |c| { c.persistent && c.concurrent_writers }
        ),
    ]
}

/// Runs the case called `name` against stores from `harness`; [`store_behaviour!`](crate::store_behaviour)
/// calls it once per test.
///
/// # Panics
/// The case fails, or there is no case of that name.
pub async fn run_case(harness: Arc<dyn StoreHarness>, name: &str) {
    let case = cases()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no store behaviour case is named `{name}`"));
    // The probe stays open until the case ends, so no store of the case can reuse its
    // address (a harness may key its stores by `Arc` pointer).
    let probe = harness.fresh().await;
    let capabilities = probe.capabilities();
    if !(case.needs)(&capabilities) {
        println!(
            "skipped `{name}`: the store lacks capability `{}` ({capabilities:?})",
            case.requires
        );
        return;
    }
    (case.run)(harness).await;
    drop(probe);
}

/// Checks that a [`store_behaviour!`](crate::store_behaviour) expansion lists every case.
///
/// # Panics
/// A case is missing from `listed`, or `listed` names one that does not exist.
pub fn check_listed(listed: &[&str]) {
    let all: Vec<&str> = cases().iter().map(|c| c.name).collect();
    let missing: Vec<&&str> = all.iter().filter(|n| !listed.contains(n)).collect();
    let unknown: Vec<&&str> = listed.iter().filter(|n| !all.contains(n)).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "store_behaviour! is out of date: missing {missing:?}, unknown {unknown:?}"
    );
}

/// Expands into a module `$name` with one `#[tokio::test]` per case of the store behaviour
/// suite, each getting its stores from `$harness` (an expression of a type implementing
/// [`StoreHarness`](crate::testkit::store::StoreHarness)).
///
/// The [module docs](crate::testkit::store) show a complete harness.
#[macro_export]
macro_rules! store_behaviour {
    ($name:ident, $harness:expr) => {
        $crate::__store_behaviour_tests!($name, $harness;
            create_run_twice_conflicts,
            same_run_id_in_two_workspaces_are_different_runs,
            created_run_reads_back_running_with_its_spec,
            get_unknown_run_is_none,
            set_status_changes_status_and_updated_time,
            set_status_of_unknown_run_is_not_found,
            set_tags_replaces_only_the_tags,
            set_tags_of_unknown_run_is_not_found,
            delete_run_removes_the_run_and_everything_of_it,
            delete_run_of_another_workspace_is_false,
            record_for_unknown_run_is_not_found,
            record_empty_batch_is_ok,
            record_attempt_twice_keeps_one,
            error_record_is_replaced_by_later_result,
            judged_record_is_never_replaced,
            repeated_key_in_one_batch_follows_replace_rule,
            failed_batch_records_nothing,
            concurrent_batches_all_land,
            attempt_outcomes_of_unknown_run_is_empty,
            case_outcomes_returns_only_the_cases_asked,
            attempts_round_trip_every_field,
            attempts_are_ordered_by_case_agent_sample,
            attempt_query_filters_and_pages,
            attempt_query_after_a_key_pages_by_key,
            list_runs_newest_first_and_filters,
            workspace_a_cannot_see_workspace_b,
            summarize_counts_and_percentiles,
            summarize_reads_stored_attempts,
            summarize_of_unknown_run_is_not_found,
            latency_counts_match_the_stored_attempts,
            leaderboard_takes_each_agents_best_run,
            record_metrics_of_unknown_run_is_not_found,
            metrics_of_unknown_run_is_empty,
            metrics_round_trip_and_replace_per_metric,
            metrics_survive_reopen,
            completed_keys_survive_reopen,
            two_handles_write_concurrently,
        );
    };
}

/// The body of [`store_behaviour!`]; not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __store_behaviour_tests {
    ($name:ident, $harness:expr; $($case:ident),* $(,)?) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(
                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    $crate::testkit::store::run_case(
                        ::std::sync::Arc::new($harness),
                        stringify!($case),
                    )
                    .await;
                }
            )*

            #[test]
            fn every_case_is_listed() {
                $crate::testkit::store::check_listed(&[$(stringify!($case)),*]);
            }
        }
    };
}
