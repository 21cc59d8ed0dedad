//! Server VAD as an energy detector: the input audio buffer is read in 20 ms frames, a frame
//! is speech when its RMS reaches a level set by the session's `threshold`, speech starts at
//! the first such frame and stops after `silence_duration_ms` of frames below it.

use super::audio::{bytes_of, ms_of, rms, BYTES_PER_MS};
use serde_json::Value;

/// The length of a frame.
const FRAME_MS: u64 = 20;
/// `semantic_vad` has no silence setting; this loopback ends its turns after this much.
const SEMANTIC_SILENCE_MS: u64 = 500;
/// The reference's defaults for `server_vad`.
const DEFAULT_THRESHOLD: f64 = 0.5;
const DEFAULT_PREFIX_MS: u64 = 300;
const DEFAULT_SILENCE_MS: u64 = 500;

/// The session's `audio.input.turn_detection`, as far as this server acts on it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Turns {
    /// 0.0 to 1.0; the RMS a speech frame needs goes from -70 dBFS (0.0) to -10 dBFS (1.0),
    /// -40 dBFS at the default 0.5.
    threshold: f64,
    prefix_padding_ms: u64,
    silence_duration_ms: u64,
    /// Respond when speech stops.
    pub(super) create_response: bool,
    /// Cancel the response in progress when speech starts.
    pub(super) interrupt_response: bool,
}

impl Turns {
    /// The turn detection a session's `turn_detection` object asks for; `None` when it is
    /// `null` (no automatic turns).
    pub(super) fn of(turn_detection: &Value) -> Option<Turns> {
        let kind = turn_detection.get("type")?.as_str()?;
        let flag = |name: &str| turn_detection[name].as_bool().unwrap_or(true);
        let ms = |name: &str, default: u64| turn_detection[name].as_u64().unwrap_or(default);
        let semantic = kind == "semantic_vad";
        Some(Turns {
            threshold: turn_detection["threshold"]
                .as_f64()
                .unwrap_or(DEFAULT_THRESHOLD),
            prefix_padding_ms: ms("prefix_padding_ms", DEFAULT_PREFIX_MS),
            silence_duration_ms: if semantic {
                SEMANTIC_SILENCE_MS
            } else {
                ms("silence_duration_ms", DEFAULT_SILENCE_MS)
            },
            create_response: flag("create_response"),
            interrupt_response: flag("interrupt_response"),
        })
    }

    /// The RMS (of full scale 32768) a frame needs to count as speech.
    fn level(&self) -> f64 {
        32768.0 * 10f64.powf((-70.0 + 60.0 * self.threshold) / 20.0)
    }
}

/// A change the detector found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum VadEvent {
    /// Speech began; `audio_start_ms` includes the prefix padding (but not audio before the
    /// buffer or before the previous turn's end).
    Started {
        /// Milliseconds since the session's first appended audio.
        audio_start_ms: u64,
    },
    /// Speech ended `silence_duration_ms` ago; the turn is the audio up to `audio_end_ms`.
    Stopped {
        /// Milliseconds since the session's first appended audio.
        audio_end_ms: u64,
    },
}

/// The detector's state over a session's input audio. Positions are bytes since the
/// session's first appended audio.
#[derive(Debug)]
pub(super) struct Vad {
    turns: Turns,
    speaking: bool,
    silence_ms: u64,
    /// The next frame to read.
    next: u64,
    /// Where the current turn may start at the earliest.
    floor: u64,
}

impl Vad {
    /// A detector reading from `at` on.
    pub(super) fn new(turns: Turns, at: u64) -> Vad {
        Vad {
            turns,
            speaking: false,
            silence_ms: 0,
            next: at,
            floor: at,
        }
    }

    /// The settings in force.
    pub(super) fn turns(&self) -> Turns {
        self.turns
    }

    /// Forgets any speech in progress and reads on from `at` (after a commit or clear).
    pub(super) fn reset(&mut self, at: u64) {
        *self = Vad::new(self.turns, at);
    }

    /// Reads the whole frames of `buffer` (whose first byte is at `start`) not yet read,
    /// up to the first change.
    pub(super) fn step(&mut self, buffer: &[u8], start: u64) -> Option<VadEvent> {
        let frame = bytes_of(FRAME_MS) as u64;
        let end = start + buffer.len() as u64;
        self.next = self.next.max(start);
        let level = self.turns.level();
        while self.next + frame <= end {
            let from = (self.next - start) as usize;
            let frame_start = self.next;
            self.next += frame;
            if rms(&buffer[from..from + frame as usize]) >= level {
                self.silence_ms = 0;
                if !self.speaking {
                    self.speaking = true;
                    let padding = bytes_of(self.turns.prefix_padding_ms) as u64;
                    let from = frame_start.saturating_sub(padding).max(self.floor);
                    return Some(VadEvent::Started {
                        audio_start_ms: ms_of(from as usize),
                    });
                }
            } else if self.speaking {
                self.silence_ms += FRAME_MS;
                if self.silence_ms >= self.turns.silence_duration_ms {
                    self.speaking = false;
                    self.silence_ms = 0;
                    self.floor = self.next;
                    return Some(VadEvent::Stopped {
                        audio_end_ms: self.next / BYTES_PER_MS as u64,
                    });
                }
            }
        }
        None
    }
}
