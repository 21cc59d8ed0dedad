//! The voice side of a conversation: the spoken replies gathered turn by turn, placed on
//! one two-channel recording, written as artifacts (the recording and one clip per spoken
//! turn, never into the store), and measured into the `Voice` and `Voice turns` reports.

use crate::agent::VoiceTurn;
use crate::voice::{word_error_rate, words_per_minute, Audio, Channel, Recording};
use crate::{AgentReply, Speaker, Status, TestReport, Transcript, TurnAudio, Variable};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use std::path::Path;
use std::sync::Arc;

/// A stretch with nobody speaking at least this long counts as a long silence.
pub const LONG_SILENCE_MS: u64 = 2_000;
/// Both sides audible at least this long counts as an overlap.
pub const OVERLAP_MS: u64 = 200;
/// Median time to the first audio byte above this is worth a look; above twice it, poor.
pub const SLOW_FIRST_AUDIO_MS: u64 = 1_500;
/// On a real-time recording, a silence longer than this is shortened to it.
pub const MAX_GAP_MS: u64 = 60_000;
/// The recording's file name among the attempt's artifacts.
pub const RECORDING_FILE: &str = "conversation.wav";

/// One spoken reply and the transcript turn it became.
#[derive(Debug)]
struct Entry {
    turn: usize,
    speaker: Speaker,
    text: String,
    said_to_it: Option<String>,
    voice: Arc<VoiceTurn>,
}

/// The spoken replies of one conversation, in order.
#[derive(Debug, Default)]
pub(super) struct VoiceLog {
    entries: Vec<Entry>,
}

impl VoiceLog {
    /// Notes `reply` (the transcript's turn `turn`, by `speaker`, answering `said_to_it`)
    /// when it was spoken.
    pub(super) fn note(
        &mut self,
        turn: usize,
        speaker: Speaker,
        said_to_it: Option<&str>,
        reply: &AgentReply,
    ) {
        if let Some(voice) = &reply.voice {
            self.entries.push(Entry {
                turn,
                speaker,
                text: reply.text.clone(),
                said_to_it: said_to_it.map(str::to_owned),
                voice: Arc::clone(voice),
            });
        }
    }

    /// Whether any reply was spoken.
    pub(super) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Places every spoken reply on the recording, writes the recording and the clips to
    /// `dir` (when the run keeps artifacts), marks the transcript's turns with their clips,
    /// and returns the `Voice` and `Voice turns` reports.
    pub(super) fn finish(self, transcript: &mut Transcript, dir: Option<&Path>) -> Vec<TestReport> {
        let placed = place(&self.entries);
        let mut recording = Recording::new();
        for p in &placed {
            if let Some((start, audio)) = &p.heard {
                recording.place(other(p.channel), *start, audio);
            }
            recording.place(p.channel, p.spoken_start, &p.spoken);
        }
        let mut files = Vec::new();
        if let Some(dir) = dir {
            // Best effort, as for the transcript: a recording the disk refuses leaves the
            // record and the metrics whole.
            if std::fs::create_dir_all(dir).is_ok() {
                files.push(write(dir, RECORDING_FILE, &recording.to_wav()));
                for (p, entry) in placed.iter().zip(&self.entries) {
                    let who = side_name(entry.speaker);
                    let name = format!("turn-{:02}-{who}.wav", entry.turn + 1);
                    if let Some(digest) = write(dir, &name, &p.spoken.to_wav()) {
                        mark(
                            transcript,
                            entry.turn,
                            &name,
                            digest,
                            &p.spoken,
                            p.spoken_start,
                        );
                    }
                    if let (Some((start, heard)), Some(previous)) =
                        (&p.heard, entry.turn.checked_sub(1))
                    {
                        let name = format!("turn-{:02}-heard.wav", entry.turn + 1);
                        if let Some(digest) = write(dir, &name, &heard.to_wav()) {
                            mark(transcript, previous, &name, digest, heard, *start);
                        }
                    }
                }
            }
        }
        let recording_digest = files.first().cloned().flatten();
        vec![
            summary(
                &self.entries,
                &recording,
                recording_digest,
                natural_end(transcript),
            ),
            per_turn(&self.entries, &placed),
        ]
    }
}

/// A reply's place on the recording.
#[derive(Debug)]
struct Placed {
    channel: Channel,
    heard: Option<(u64, Audio)>,
    spoken_start: u64,
    spoken: Audio,
}

fn channel_of(speaker: Speaker) -> Channel {
    match speaker {
        Speaker::Agent => Channel::Interviewer,
        _ => Channel::Participant,
    }
}

/// The side's name in file names and metrics.
fn side_name(speaker: Speaker) -> &'static str {
    match speaker {
        Speaker::Agent => "interviewer",
        _ => "participant",
    }
}

fn other(channel: Channel) -> Channel {
    match channel {
        Channel::Interviewer => Channel::Participant,
        Channel::Participant => Channel::Interviewer,
    }
}

/// Places the replies. When every exchange went at the pace of speech (audio mode, real
/// time), each clip goes where it happened on the clock (so barge-ins and gaps are real);
/// otherwise the
/// turns follow one another, each reply starting its measured time-to-first-audio after the
/// turn it answers.
fn place(entries: &[Entry]) -> Vec<Placed> {
    let real_time = entries
        .iter()
        .all(|e| e.voice.real_time && e.voice.spoken_at_ms.is_some());
    let origin = entries
        .iter()
        .flat_map(|e| [e.voice.heard_at_ms, e.voice.spoken_at_ms])
        .flatten()
        .min()
        .unwrap_or(0);
    let mut cursor = 0u64;
    let mut shift = 0u64;
    let mut placed = Vec::with_capacity(entries.len());
    for entry in entries {
        let voice = &entry.voice;
        let heard = voice.heard.clone();
        let (heard_start, spoken_start) = if real_time {
            // A gap longer than a minute (a clock that jumped, a provider that stalled and
            // was retried) is shortened to one, so the recording stays the conversation's
            // size.
            let raw = |ms: Option<u64>| ms.unwrap_or(origin) - origin;
            let first = raw(voice.heard_at_ms).min(raw(voice.spoken_at_ms));
            let shifted = first.saturating_sub(shift);
            if shifted > cursor + MAX_GAP_MS {
                shift += shifted - cursor - MAX_GAP_MS;
            }
            let at = |ms: Option<u64>| raw(ms).saturating_sub(shift);
            (at(voice.heard_at_ms), at(voice.spoken_at_ms))
        } else {
            let heard_start = cursor;
            let heard_end = heard_start + voice.heard_ms();
            (heard_start, heard_end + voice.first_audio_ms.unwrap_or(0))
        };
        cursor = cursor.max(spoken_start + voice.spoken_ms());
        placed.push(Placed {
            channel: channel_of(entry.speaker),
            heard: heard.map(|a| (heard_start, a)),
            spoken_start,
            spoken: voice.spoken.clone(),
        });
    }
    // A reply spoken over is cut where the other side came in.
    for i in 1..placed.len() {
        if let Some(at) = entries[i].voice.barged_in_at_ms {
            let cut = &mut placed[i - 1].spoken;
            let keep = (u64::from(cut.rate) * at / 1000) as usize;
            cut.samples.truncate(keep);
        }
    }
    placed
}

/// Writes one artifact; its digest (`sha256:…`) when it was written.
fn write(dir: &Path, name: &str, bytes: &[u8]) -> Option<String> {
    std::fs::write(dir.join(name), bytes).ok()?;
    let digest = Sha256::digest(bytes);
    Some(format!(
        "sha256:{}",
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    ))
}

fn mark(
    transcript: &mut Transcript,
    turn: usize,
    name: &str,
    digest: String,
    audio: &Audio,
    start: u64,
) {
    if let Some(turn) = transcript.turns.get_mut(turn) {
        if turn.audio.is_none() {
            turn.audio = Some(TurnAudio::new(name, digest, audio.duration_ms(), start));
        }
    }
}

fn mean(values: &[u64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<u64>() as f64 / values.len() as f64)
}

fn median(values: &[u64]) -> Option<u64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted.get(sorted.len().saturating_sub(1) / 2).copied()
}

fn variable(metric: &str, value: Value, status: Status) -> Variable {
    Variable {
        metric: metric.to_owned(),
        value,
        status,
    }
}

/// The `Voice` report: the conversation's voice metrics, interviewer turns only for
/// latency and pace.
/// How many turns the conversation took to end on its own; `None` when it did not.
fn natural_end(transcript: &Transcript) -> Option<usize> {
    (transcript.ending == Some(crate::Ending::Natural)).then(|| {
        transcript
            .turns
            .iter()
            .filter(|t| matches!(t.speaker, Speaker::Agent | Speaker::Participant))
            .count()
    })
}

fn summary(
    entries: &[Entry],
    recording: &Recording,
    digest: Option<String>,
    turns_to_end: Option<usize>,
) -> TestReport {
    let ours: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.speaker == Speaker::Agent)
        .collect();
    let first_audio: Vec<u64> = ours.iter().filter_map(|e| e.voice.first_audio_ms).collect();
    let first_text: Vec<u64> = ours
        .iter()
        .filter_map(|e| e.voice.first_transcript_ms)
        .collect();
    let spoken_ms: u64 = ours.iter().map(|e| e.voice.spoken_ms()).sum();
    let text: String = ours
        .iter()
        .map(|e| e.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let silences = recording.silences(LONG_SILENCE_MS);
    let overlaps = recording.overlaps(OVERLAP_MS);
    let barge_ins = entries
        .iter()
        .filter(|e| e.voice.barged_in_at_ms.is_some())
        .count();
    let interrupted = entries.iter().filter(|e| e.voice.interrupted).count();
    let reconnects = entries.iter().filter(|e| e.voice.reconnected).count();
    let heard_wer: Vec<f64> = entries
        .iter()
        .filter_map(|e| {
            Some(word_error_rate(
                e.said_to_it.as_deref()?,
                e.voice.heard_transcript.as_deref()?,
            ))
        })
        .collect();
    let mut usage = crate::agent::VoiceUsage::default();
    for e in &ours {
        usage += e.voice.usage;
    }
    let p50 = median(&first_audio);
    let latency_status = match p50 {
        Some(ms) if ms > 2 * SLOW_FIRST_AUDIO_MS => Status::Poor,
        Some(ms) if ms > SLOW_FIRST_AUDIO_MS => Status::Warning,
        _ => Status::Good,
    };
    let count_status = |n: usize| {
        if n == 0 {
            Status::Good
        } else {
            Status::Warning
        }
    };
    let good = Status::Good;
    let mut variables = vec![
        variable("spoken_turns", json!(ours.len()), good),
        variable("first_audio_ms_p50", json!(p50), latency_status),
        variable(
            "first_audio_ms_mean",
            json!(mean(&first_audio).map(|m| m.round())),
            latency_status,
        ),
        variable("first_audio_ms_max", json!(first_audio.iter().max()), good),
        variable(
            "first_transcript_ms_mean",
            json!(mean(&first_text).map(|m| m.round())),
            good,
        ),
        variable("response_audio_ms", json!(spoken_ms), good),
        variable(
            "words_per_minute",
            json!(words_per_minute(&text, spoken_ms).map(|w| (w * 10.0).round() / 10.0)),
            good,
        ),
        variable(
            "long_silences",
            json!(silences.len()),
            count_status(silences.len()),
        ),
        variable(
            "overlaps",
            json!(overlaps.len()),
            count_status(overlaps.len()),
        ),
        variable(
            "overlap_ms",
            json!(overlaps.iter().map(|s| s.duration_ms()).sum::<u64>()),
            good,
        ),
        variable("barge_ins", json!(barge_ins), good),
        variable("interrupted_replies", json!(interrupted), good),
        variable("reconnects", json!(reconnects), count_status(reconnects)),
        variable("audio_input_tokens", json!(usage.audio_input_tokens), good),
        variable(
            "audio_output_tokens",
            json!(usage.audio_output_tokens),
            good,
        ),
        variable("text_input_tokens", json!(usage.text_input_tokens), good),
        variable("text_output_tokens", json!(usage.text_output_tokens), good),
        variable("recording_ms", json!(recording.duration_ms()), good),
        variable("turns_to_natural_end", json!(turns_to_end), good),
    ];
    if let Some(wer) = mean_f(&heard_wer) {
        let status = if wer > 0.3 {
            Status::Warning
        } else {
            Status::Good
        };
        variables.push(variable(
            "heard_word_error_rate",
            json!(round3(wer)),
            status,
        ));
    }
    let spoken_wer: Vec<f64> = ours
        .iter()
        .filter_map(|e| e.voice.word_error_rate)
        .collect();
    if let Some(wer) = mean_f(&spoken_wer) {
        let status = if wer > 0.3 {
            Status::Warning
        } else {
            Status::Good
        };
        variables.push(variable(
            "spoken_word_error_rate",
            json!(round3(wer)),
            status,
        ));
    }
    if let Some(digest) = digest {
        variables.push(variable(
            "recording",
            json!({"file": RECORDING_FILE, "digest": digest}),
            good,
        ));
    }
    TestReport {
        title: "Voice".into(),
        variables,
    }
}

fn mean_f(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The `Voice turns` report: one variable per spoken reply with its own measurements.
fn per_turn(entries: &[Entry], placed: &[Placed]) -> TestReport {
    let variables = entries
        .iter()
        .zip(placed)
        .map(|(e, p)| {
            let v = &e.voice;
            let status = match v.first_audio_ms {
                Some(ms) if ms > 2 * SLOW_FIRST_AUDIO_MS => Status::Poor,
                Some(ms) if ms > SLOW_FIRST_AUDIO_MS => Status::Warning,
                _ => Status::Good,
            };
            let silences = crate::voice::silences_in(&v.spoken, LONG_SILENCE_MS).len();
            let value = json!({
                "first_audio_ms": v.first_audio_ms,
                "first_transcript_ms": v.first_transcript_ms,
                "audio_ms": v.spoken_ms(),
                "starts_at_ms": p.spoken_start,
                "heard_ms": v.heard.as_ref().map(Audio::duration_ms),
                "words_per_minute": words_per_minute(&e.text, v.spoken_ms()).map(|w| (w * 10.0).round() / 10.0),
                "long_silences": silences,
                "barged_in_at_ms": v.barged_in_at_ms,
                "interrupted": v.interrupted,
                "reconnected": v.reconnected,
                "heard_transcript": v.heard_transcript,
                "word_error_rate": v.word_error_rate,
            });
            let metric = format!("turn {} ({})", e.turn + 1, side_name(e.speaker));
            variable(&metric, value, status)
        })
        .collect();
    TestReport {
        title: "Voice turns".into(),
        variables,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spoken(ms: u64, heard_at: u64, spoken_at: u64) -> Entry {
        let voice = VoiceTurn {
            spoken: Audio::silence(24_000, ms),
            heard: Some(Audio::silence(24_000, 100)),
            heard_at_ms: Some(heard_at),
            spoken_at_ms: Some(spoken_at),
            real_time: true,
            ..VoiceTurn::default()
        };
        Entry {
            turn: 0,
            speaker: Speaker::Agent,
            text: String::new(),
            said_to_it: None,
            voice: Arc::new(voice),
        }
    }

    #[test]
    fn real_time_turns_go_where_they_happened_and_long_gaps_shrink() {
        let t0 = 1_000_000;
        let hour = 3_600_000;
        let placed = place(&[
            spoken(1_000, t0, t0 + 500),
            spoken(1_000, t0 + 2_000, t0 + 2_600),
            // The clock jumped an hour.
            spoken(1_000, t0 + hour, t0 + hour + 400),
            spoken(1_000, t0 + hour + 2_000, t0 + hour + 2_500),
        ]);
        let starts: Vec<(u64, u64)> = placed
            .iter()
            .map(|p| (p.heard.as_ref().unwrap().0, p.spoken_start))
            .collect();
        assert_eq!(starts[0], (0, 500));
        assert_eq!(starts[1], (2_000, 2_600));
        // Shortened to a minute after the last sound, and the next keeps its distance.
        assert_eq!(starts[2], (3_600 + MAX_GAP_MS, 3_600 + MAX_GAP_MS + 400));
        assert_eq!(
            starts[3],
            (3_600 + MAX_GAP_MS + 2_000, 3_600 + MAX_GAP_MS + 2_500)
        );
    }
}
