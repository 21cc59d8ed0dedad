//! `benchcore run`'s batch options: the attempts go through each agent's batch API.

use benchcore::engine::BatchOptions;
use std::time::Duration;

/// Batch mode (question sets, OpenAI and Anthropic agents).
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Batch mode")]
pub struct BatchArgs {
    /// Send the attempts through each agent's batch API (half the price; answered within 24
    /// hours) instead of one request each. Question sets with OpenAI, OpenAI-compatible or
    /// Anthropic agents only; any other agent stops the run before anything is sent.
    /// `resume` waits for the batches a stopped run sent.
    #[arg(long, conflicts_with = "detach")]
    pub batch: bool,

    /// With --batch: seconds between two status checks of a pending batch.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 30.0,
        requires = "batch"
    )]
    pub batch_poll: f64,

    /// With --batch: send the items a batch did not answer (expired, cancelled, failed) again
    /// as ordinary requests, instead of recording them as errors.
    #[arg(long, requires = "batch")]
    pub batch_fallback: bool,

    /// With --batch: at most N requests per batch (otherwise the provider's limit: 50,000 at
    /// OpenAI, 100,000 at Anthropic).
    #[arg(long, value_name = "N", requires = "batch")]
    pub batch_size: Option<usize>,
}

impl BatchArgs {
    /// The run's batch options; `None` without `--batch`.
    ///
    /// # Errors
    /// `--batch-poll` is not a positive number of seconds, or `--batch-size` is 0.
    pub fn options(&self) -> anyhow::Result<Option<BatchOptions>> {
        if !self.batch {
            return Ok(None);
        }
        if !(self.batch_poll.is_finite() && self.batch_poll > 0.0) {
            anyhow::bail!(
                "--batch-poll: must be a positive number of seconds, got {}",
                self.batch_poll
            );
        }
        let mut options = BatchOptions::default()
            .poll(Duration::from_secs_f64(self.batch_poll))
            .fallback(self.batch_fallback);
        if let Some(size) = self.batch_size {
            if size == 0 {
                anyhow::bail!("--batch-size: must be at least 1");
            }
            options = options.max_requests(size);
        }
        Ok(Some(options))
    }
}
