//! Suites: where cases come from. Cases are streamed, never all held in memory.

mod csv;
mod error;
mod id_hashes;
mod jsonl;
mod question_set;

pub use error::{SuiteError, SuiteErrorKind};
pub use question_set::QuestionSet;

use crate::{Case, SuiteRef};
use futures::stream::BoxStream;

/// A source of cases that can be read again from the start, as a run and its resume both
/// need.
///
/// # Contract
/// - `cases` yields the same cases in the same order every time.
/// - `len` is the number of cases `cases` yields.
/// - Case ids are unique.
pub trait CaseSource: Send + Sync + 'static {
    /// What the run spec records about this suite.
    fn describe(&self) -> SuiteRef;

    /// How many cases.
    fn len(&self) -> u64;

    /// Whether there are no cases.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cases, in order.
    fn cases(&self) -> BoxStream<'static, Result<Case, SuiteError>>;
}

const _: fn(&dyn CaseSource) = |_| {};
