//! PCM16 audio as the reference's `audio/pcm` format has it (16-bit little-endian samples,
//! 24 kHz, mono): base64 payloads, durations, loudness, audio tokens, and the synthetic voice
//! replies are spoken in.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use std::f64::consts::TAU;

/// Samples a second.
const RATE: f64 = 24_000.0;
/// Bytes a millisecond: 24 samples of 2 bytes.
pub(super) const BYTES_PER_MS: usize = 48;
/// A reply's audio goes out in deltas this long.
pub(super) const CHUNK_MS: u64 = 100;
/// Silence after a reply's last word.
pub(super) const TAIL_MS: u64 = 100;
/// The synthetic voice: a sine tone of this pitch and peak.
const TONE_HZ: f64 = 220.0;
const AMPLITUDE: f64 = 8000.0;

/// The bytes of a base64 payload, `None` when it is not base64.
pub(super) fn decode(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text).ok()
}

/// `bytes` as base64.
pub(super) fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Whole milliseconds in `bytes` of audio.
pub(super) fn ms_of(bytes: usize) -> u64 {
    (bytes / BYTES_PER_MS) as u64
}

/// Bytes in `ms` milliseconds of audio.
pub(super) fn bytes_of(ms: u64) -> usize {
    ms as usize * BYTES_PER_MS
}

/// The root mean square of the samples in `bytes` (an odd last byte is ignored).
pub(super) fn rms(bytes: &[u8]) -> f64 {
    let samples = bytes.len() / 2;
    if samples == 0 {
        return 0.0;
    }
    let sum: f64 = bytes
        .chunks_exact(2)
        .map(|pair| f64::from(i16::from_le_bytes([pair[0], pair[1]])).powi(2))
        .sum();
    (sum / samples as f64).sqrt()
}

/// Audio tokens of user audio: "1 token per 100 ms of audio" (Realtime costs guide).
pub(super) fn user_audio_tokens(ms: u64) -> u64 {
    ms.div_ceil(100)
}

/// Audio tokens of assistant audio: "1 token per 50ms of audio" (Realtime costs guide).
pub(super) fn assistant_audio_tokens(ms: u64) -> u64 {
    ms.div_ceil(50)
}

/// The voice of a reply of `words` words: a 220 Hz tone of `ms_per_word` a word, then
/// [`TAIL_MS`] of silence, as PCM16 bytes.
pub(super) fn voice(words: usize, ms_per_word: u64) -> Vec<u8> {
    let spoken = words * bytes_of(ms_per_word) / 2;
    let total = spoken + bytes_of(TAIL_MS) / 2;
    let mut bytes = Vec::with_capacity(total * 2);
    for n in 0..total {
        let sample = if n < spoken {
            (AMPLITUDE * (TAU * TONE_HZ * n as f64 / RATE).sin()).round() as i16
        } else {
            0
        };
        bytes.extend_from_slice(&sample.to_le_bytes());
    }
    bytes
}
