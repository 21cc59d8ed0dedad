//! [`QualityJudge`]: a built quality judge, one [`JudgeEvaluator`] per rubric criterion.

use super::criterion::Criterion;
use crate::judge::JudgeEvaluator;
use std::fmt;

/// How the judge is told what it grades, after each criterion's rubric.
pub(crate) const FRAMING: &str =
    "The task below is the instructions the interviewer was given. The \
response is the whole conversation: AGENT lines are the interviewer, whom you grade; \
PARTICIPANT lines are a simulated research participant, whom you do not grade.";

/// A built quality judge: one [`JudgeEvaluator`] per rubric criterion, sharing one agent.
/// Build it from a [`QualityConfig`](super::QualityConfig); use it with
/// [`compute_metrics`](super::compute_metrics).
pub struct QualityJudge {
    pub(crate) agent: String,
    pub(crate) criteria: Vec<(Criterion, JudgeEvaluator)>,
    pub(crate) concurrency: usize,
}

impl fmt::Debug for QualityJudge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QualityJudge")
            .field("agent", &self.agent)
            .field(
                "criteria",
                &self
                    .criteria
                    .iter()
                    .map(|(c, _)| &c.name)
                    .collect::<Vec<_>>(),
            )
            .field("concurrency", &self.concurrency)
            .finish()
    }
}

impl QualityJudge {
    pub(crate) fn new(
        agent: String,
        criteria: Vec<(Criterion, JudgeEvaluator)>,
        concurrency: usize,
    ) -> Self {
        Self {
            agent,
            criteria,
            concurrency,
        }
    }

    /// The judge agent's name.
    pub fn agent(&self) -> &str {
        &self.agent
    }

    /// The metric names, in rubric order.
    pub fn metric_names(&self) -> Vec<&str> {
        self.criteria.iter().map(|(c, _)| c.name.as_str()).collect()
    }
}
