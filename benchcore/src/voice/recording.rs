//! [`Recording`]: a voice conversation on one timeline, the interviewer and the participant
//! on two channels at 24 kHz, and what can be measured across both (overlaps, pauses).

use super::activity::{audible_frames, inner_silences, runs};
use super::audio::{samples_for_ms, Audio, REALTIME_RATE};
use super::error::VoiceError;
use super::span::Span;
use super::wav;

/// Which side of a conversation a channel holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// The voice agent under test (channel 0 of the WAV, the left one).
    Interviewer,
    /// The simulated participant (channel 1, the right one).
    Participant,
}

/// Two channels of 16-bit audio at 24 kHz on one timeline.
///
/// Audio is placed at a millisecond offset on its channel; placing audio over audio already
/// on the same channel mixes the two (saturating, never wrapping). The channels are as long
/// as the latest placed audio on either; the shorter one reads as silence to the end.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recording {
    interviewer: Vec<i16>,
    participant: Vec<i16>,
}

impl Recording {
    /// An empty recording.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a recording back from a WAV file written by [`Recording::to_wav`] (or any
    /// stereo WAV: channel 0 is the interviewer, 1 the participant), resampling to 24 kHz.
    pub fn from_wav(bytes: &[u8]) -> Result<Self, VoiceError> {
        let decoded = wav::decode(bytes)?;
        let [interviewer, participant]: [Vec<i16>; 2] =
            decoded.channels.try_into().map_err(|channels: Vec<_>| {
                VoiceError::UnsupportedWav(format!(
                    "a recording has 2 channels, this WAV has {}",
                    channels.len()
                ))
            })?;
        let mut recording = Self::new();
        recording.place(
            Channel::Interviewer,
            0,
            &Audio::new(decoded.rate, interviewer),
        );
        recording.place(
            Channel::Participant,
            0,
            &Audio::new(decoded.rate, participant),
        );
        Ok(recording)
    }

    /// Places `audio` on `channel` starting `start_ms` milliseconds into the recording,
    /// resampled to 24 kHz if needed, mixed (saturating) with whatever is already there.
    pub fn place(&mut self, channel: Channel, start_ms: u64, audio: &Audio) {
        let audio = audio.resampled(REALTIME_RATE);
        if audio.samples.is_empty() {
            return;
        }
        let start = samples_for_ms(REALTIME_RATE, start_ms);
        let track = self.track_mut(channel);
        let end = start.saturating_add(audio.samples.len());
        if track.len() < end {
            track.resize(end, 0);
        }
        for (slot, &sample) in track[start..end].iter_mut().zip(&audio.samples) {
            *slot = slot.saturating_add(sample);
        }
    }

    /// How long the recording lasts, in whole milliseconds.
    pub fn duration_ms(&self) -> u64 {
        self.frames() as u64 * 1000 / u64::from(REALTIME_RATE)
    }

    /// Whether nothing has been placed.
    pub fn is_empty(&self) -> bool {
        self.frames() == 0
    }

    /// The recording as a stereo 16-bit 24 kHz WAV file: channel 0 the interviewer, 1 the
    /// participant.
    pub fn to_wav(&self) -> Vec<u8> {
        let frames = self.frames();
        let mut interleaved = Vec::with_capacity(frames * 2);
        for i in 0..frames {
            interleaved.push(self.interviewer.get(i).copied().unwrap_or(0));
            interleaved.push(self.participant.get(i).copied().unwrap_or(0));
        }
        wav::encode(REALTIME_RATE, 2, &interleaved)
    }

    /// One channel over the whole recording, silent where nothing was placed.
    pub fn channel(&self, channel: Channel) -> Audio {
        let mut samples = self.track(channel).to_vec();
        samples.resize(self.frames(), 0);
        Audio::new(REALTIME_RATE, samples)
    }

    /// The piece of one channel from `start_ms` to `end_ms`, cut at the end of the
    /// recording (empty if `end_ms` is not after `start_ms`).
    pub fn clip(&self, channel: Channel, start_ms: u64, end_ms: u64) -> Audio {
        let frames = self.frames();
        let start = samples_for_ms(REALTIME_RATE, start_ms).min(frames);
        let end = samples_for_ms(REALTIME_RATE, end_ms).clamp(start, frames);
        let track = self.track(channel);
        let samples = (start..end)
            .map(|i| track.get(i).copied().unwrap_or(0))
            .collect();
        Audio::new(REALTIME_RATE, samples)
    }

    /// Both channels mixed to one (saturating).
    pub fn mixed(&self) -> Audio {
        let samples = (0..self.frames())
            .map(|i| {
                let a = self.interviewer.get(i).copied().unwrap_or(0);
                let b = self.participant.get(i).copied().unwrap_or(0);
                a.saturating_add(b)
            })
            .collect();
        Audio::new(REALTIME_RATE, samples)
    }

    /// The stretches where both sides are audible at once (one talks over the other), at
    /// least `min_ms` long. Sound is detected in 20 ms frames whose RMS is above
    /// [`AUDIBLE_RMS`](super::AUDIBLE_RMS), so edges are exact to a frame.
    pub fn overlaps(&self, min_ms: u64) -> Vec<Span> {
        let (a, b) = self.audible();
        let both: Vec<bool> = a.iter().zip(&b).map(|(&a, &b)| a && b).collect();
        runs(&both, self.duration_ms(), min_ms)
    }

    /// The stretches where neither side is audible, at least `min_ms` long, between the
    /// first sound and the last (the silence before anyone speaks and after the end is not
    /// counted). Detected in 20 ms frames, like [`Recording::overlaps`].
    pub fn silences(&self, min_ms: u64) -> Vec<Span> {
        let (a, b) = self.audible();
        let either: Vec<bool> = a.iter().zip(&b).map(|(&a, &b)| a || b).collect();
        inner_silences(&either, self.duration_ms(), min_ms)
    }

    /// Per 20 ms frame, whether each channel is audible; both as long as the recording.
    fn audible(&self) -> (Vec<bool>, Vec<bool>) {
        let frames = audible_frames(&self.channel(Channel::Interviewer).samples, REALTIME_RATE);
        let other = audible_frames(&self.channel(Channel::Participant).samples, REALTIME_RATE);
        (frames, other)
    }

    fn frames(&self) -> usize {
        self.interviewer.len().max(self.participant.len())
    }

    fn track(&self, channel: Channel) -> &[i16] {
        match channel {
            Channel::Interviewer => &self.interviewer,
            Channel::Participant => &self.participant,
        }
    }

    fn track_mut(&mut self, channel: Channel) -> &mut Vec<i16> {
        match channel {
            Channel::Interviewer => &mut self.interviewer,
            Channel::Participant => &mut self.participant,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(ms: u64) -> Audio {
        Audio::tone(REALTIME_RATE, 440.0, ms, 8_000)
    }

    /// Interviewer 0–1000 ms, participant 800–2000 ms, interviewer again 2500–3000 ms.
    fn conversation() -> Recording {
        let mut recording = Recording::new();
        recording.place(Channel::Interviewer, 0, &tone(1_000));
        recording.place(Channel::Participant, 800, &tone(1_200));
        recording.place(Channel::Interviewer, 2_500, &tone(500));
        recording
    }

    fn near(actual: Span, start_ms: u64, end_ms: u64) -> bool {
        actual.start_ms.abs_diff(start_ms) <= 20 && actual.end_ms.abs_diff(end_ms) <= 20
    }

    #[test]
    fn places_two_channels_and_writes_stereo() {
        let recording = conversation();
        assert_eq!(recording.duration_ms(), 3_000);
        let bytes = recording.to_wav();
        let mut reader = hound::WavReader::new(std::io::Cursor::new(&bytes)).unwrap();
        let spec = reader.spec();
        assert_eq!(
            (spec.channels, spec.sample_rate, spec.bits_per_sample),
            (2, 24_000, 16)
        );
        let all: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
        assert_eq!(all.len(), 72_000 * 2);
        let left: Vec<i16> = all.iter().step_by(2).copied().collect();
        let right: Vec<i16> = all.iter().skip(1).step_by(2).copied().collect();
        let level = |samples: &[i16], from_ms: usize, to_ms: usize| {
            Audio::new(24_000, samples[from_ms * 24..to_ms * 24].to_vec()).rms()
        };
        let loud = 8_000.0 / 2f64.sqrt();
        // Interviewer on the left: 0–1000 and 2500–3000 ms, silent between.
        assert!((level(&left, 0, 1_000) - loud).abs() < 20.0);
        assert_eq!(level(&left, 1_000, 2_500), 0.0);
        assert!((level(&left, 2_500, 3_000) - loud).abs() < 20.0);
        // Participant on the right: 800–2000 ms only.
        assert_eq!(level(&right, 0, 800), 0.0);
        assert!((level(&right, 800, 2_000) - loud).abs() < 20.0);
        assert_eq!(level(&right, 2_000, 3_000), 0.0);
        // And the WAV reads back into the same recording.
        let back = Recording::from_wav(&bytes).unwrap();
        for channel in [Channel::Interviewer, Channel::Participant] {
            assert!(
                back.channel(channel) == recording.channel(channel),
                "{channel:?} differs"
            );
        }
        assert!(Recording::from_wav(&tone(10).to_wav()).is_err());
    }

    #[test]
    fn overlaps_and_silences_are_found() {
        let recording = conversation();
        let overlaps = recording.overlaps(0);
        assert_eq!(overlaps.len(), 1, "{overlaps:?}");
        assert!(near(overlaps[0], 800, 1_000), "{overlaps:?}");
        assert_eq!(recording.overlaps(300), []);
        let silences = recording.silences(100);
        assert_eq!(silences.len(), 1, "{silences:?}");
        assert!(near(silences[0], 2_000, 2_500), "{silences:?}");
        assert_eq!(recording.silences(600), []);
    }

    #[test]
    fn lead_in_and_tail_are_not_silences() {
        let mut recording = Recording::new();
        recording.place(Channel::Participant, 1_000, &tone(500));
        recording.place(Channel::Interviewer, 2_210, &tone(290));
        recording.place(
            Channel::Interviewer,
            4_000,
            &Audio::silence(REALTIME_RATE, 1_000),
        );
        assert_eq!(recording.duration_ms(), 5_000);
        let silences = recording.silences(0);
        assert_eq!(silences.len(), 1, "{silences:?}");
        assert!(near(silences[0], 1_500, 2_210), "{silences:?}");
        assert_eq!(Recording::new().silences(0), []);
        assert_eq!(Recording::new().overlaps(0), []);
    }

    #[test]
    fn placing_over_audio_mixes_with_saturation() {
        let mut recording = Recording::new();
        let loud = Audio::new(REALTIME_RATE, vec![30_000; 240]);
        recording.place(Channel::Participant, 0, &loud);
        recording.place(Channel::Participant, 5, &loud);
        let channel = recording.channel(Channel::Participant);
        assert_eq!(channel.samples.len(), 360);
        assert_eq!(channel.samples[0], 30_000);
        assert_eq!(channel.samples[120], i16::MAX);
        assert_eq!(channel.samples[300], 30_000);
        // The other channel reads as silence over the whole recording.
        assert_eq!(
            recording.channel(Channel::Interviewer).samples,
            vec![0; 360]
        );
        assert_eq!(recording.mixed().samples[120], i16::MAX);
    }

    #[test]
    fn audio_at_another_rate_is_resampled() {
        let mut recording = Recording::new();
        recording.place(
            Channel::Interviewer,
            100,
            &Audio::tone(22_050, 440.0, 1_000, 8_000),
        );
        assert!(recording.duration_ms().abs_diff(1_100) <= 1);
        let clip = recording.clip(Channel::Interviewer, 100, 1_100);
        assert_eq!(clip.samples.len(), 24_000);
        assert!(clip.rms() > 5_000.0);
        assert!(recording.clip(Channel::Interviewer, 0, 100).is_silent(0));
        assert!(recording.clip(Channel::Interviewer, 900, 800).is_empty());
        assert!(
            recording
                .clip(Channel::Interviewer, 1_050, 9_999)
                .duration_ms()
                <= 50
        );
    }
}
