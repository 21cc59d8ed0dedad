//! The `Voice` metrics of a run's conversations, per agent: the table `show` prints and the
//! values `leaderboard --rank-by` ranks on.

use crate::output;
use benchcore::store::{report_means, ReportMeans};
use benchcore::{RunStore, Workspace};

/// The report voice conversations carry.
pub(crate) const VOICE: &str = "Voice";

/// The columns `show` prints: (metric, heading, decimals).
const COLUMNS: [(&str, &str, usize); 9] = [
    ("first_audio_ms_p50", "first audio ms p50", 0),
    ("first_transcript_ms_mean", "first text ms", 0),
    ("response_audio_ms", "audio s", 1),
    ("words_per_minute", "words/min", 0),
    ("long_silences", "long silences", 1),
    ("overlaps", "overlaps", 1),
    ("barge_ins", "barge-ins", 1),
    ("reconnects", "reconnects", 1),
    ("heard_word_error_rate", "heard WER", 3),
];

/// Per agent, the means of the run's `Voice` metrics; empty for a run without voice.
pub(crate) async fn voice_means(
    store: &dyn RunStore,
    workspace: &Workspace,
    run_id: &str,
) -> anyhow::Result<Vec<ReportMeans>> {
    Ok(report_means(store, workspace, run_id, VOICE).await?)
}

/// The table of means, one row per agent.
pub(crate) fn voice_table(means: &[ReportMeans]) -> String {
    let mut header = vec!["agent", "conversations"];
    header.extend(COLUMNS.iter().map(|(_, heading, _)| *heading));
    let rows: Vec<Vec<String>> = means
        .iter()
        .map(|m| {
            let mut row = vec![m.agent.clone(), m.attempts.to_string()];
            row.extend(
                COLUMNS
                    .iter()
                    .map(|(metric, _, decimals)| match m.mean(metric) {
                        Some(v) if *metric == "response_audio_ms" => format!("{:.1}", v / 1000.0),
                        Some(v) => format!("{v:.decimals$}"),
                        None => "–".to_owned(),
                    }),
            );
            row
        })
        .collect();
    format!(
        "Voice (means per conversation)\n{}",
        output::table(&header, &rows)
    )
}
