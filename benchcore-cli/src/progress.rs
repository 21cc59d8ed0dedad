//! Turns a run's events into a progress bar on a terminal, or plain lines otherwise.

use benchcore::{Outcome, RunEvent};
use futures::stream::BoxStream;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Plain progress lines at most this often.
const LINE_EVERY: Duration = Duration::from_secs(2);

#[derive(Default)]
struct Counts {
    done: u64,
    passed: u64,
    failed: u64,
    errors: u64,
    retries: u64,
}

impl Counts {
    fn line(&self) -> String {
        format!(
            "passed {} · failed {} · errors {} · retries {}",
            self.passed, self.failed, self.errors, self.retries
        )
    }
}

/// Shows progress until the stream ends. `quiet` shows nothing.
pub(crate) async fn show(mut events: BoxStream<'static, RunEvent>, quiet: bool) {
    if quiet {
        while events.next().await.is_some() {}
        return;
    }
    let terminal = std::io::stderr().is_terminal();
    let mut counts = Counts::default();
    let mut bar: Option<ProgressBar> = None;
    let mut total = 0;
    let mut last_line = Instant::now();
    while let Some(event) = events.next().await {
        match event {
            RunEvent::Started {
                run_id,
                total: t,
                already_done,
            } => {
                total = t;
                counts.done = already_done;
                eprintln!("run {run_id}: {t} attempts ({already_done} already recorded)");
                if terminal {
                    let b = ProgressBar::new(t);
                    b.set_style(
                        ProgressStyle::with_template(
                            "{bar:30.cyan/blue} {pos}/{len} {percent}% · {elapsed_precise} (eta {eta}) {msg}",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                    b.set_position(already_done);
                    bar = Some(b);
                }
            }
            RunEvent::AttemptRetried { .. } => counts.retries += 1,
            RunEvent::AttemptFinished { outcome, .. } => {
                counts.done += 1;
                match outcome {
                    Outcome::Passed => counts.passed += 1,
                    Outcome::Failed | Outcome::Invalid => counts.failed += 1,
                    Outcome::Error | Outcome::Skipped => counts.errors += 1,
                }
                if let Some(b) = &bar {
                    b.set_position(counts.done);
                    b.set_message(counts.line());
                } else if last_line.elapsed() >= LINE_EVERY {
                    last_line = Instant::now();
                    eprintln!("progress: {}/{total} · {}", counts.done, counts.line());
                }
            }
            RunEvent::Batch { agent, batch, note } => {
                let line = format!("batch {batch} ({agent}): {note}");
                match &bar {
                    Some(b) => b.println(line),
                    None => eprintln!("{line}"),
                }
            }
            RunEvent::Finished { status, .. } => {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                }
                eprintln!("run {status}: {}/{total} · {}", counts.done, counts.line());
            }
            _ => {}
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
}
