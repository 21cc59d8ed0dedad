//! Where sound is: 20 ms frames whose RMS is above a small threshold are audible; runs of
//! frames become [`Span`]s.

use super::audio::rms;
use super::span::Span;

/// The length of the frames sound is detected in, in milliseconds.
pub const FRAME_MS: u64 = 20;

/// The RMS (in 16-bit sample units) above which a frame counts as audible: about −44 dBFS,
/// well under quiet speech and well over the dither and noise floor of synthetic voices.
pub const AUDIBLE_RMS: f64 = 200.0;

/// One flag per 20 ms frame of `samples` at `rate`: whether the frame is audible. The last
/// frame may be shorter.
pub(super) fn audible_frames(samples: &[i16], rate: u32) -> Vec<bool> {
    let frame = (rate as usize * FRAME_MS as usize / 1000).max(1);
    samples
        .chunks(frame)
        .map(|frame| rms(frame) > AUDIBLE_RMS)
        .collect()
}

/// The runs of frames for which `flag` holds, at least `min_ms` long, as spans; the last
/// span ends at `total_ms` rather than past it.
pub(super) fn runs(flags: &[bool], total_ms: u64, min_ms: u64) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, &flag) in flags.iter().chain([&false]).enumerate() {
        match (flag, start) {
            (true, None) => start = Some(i),
            (false, Some(from)) => {
                let span = Span::new(
                    (from as u64 * FRAME_MS).min(total_ms),
                    (i as u64 * FRAME_MS).min(total_ms),
                );
                if span.duration_ms() >= min_ms && span.duration_ms() > 0 {
                    spans.push(span);
                }
                start = None;
            }
            _ => {}
        }
    }
    spans
}

/// The quiet stretches between the first and the last audible frame, at least `min_ms`
/// long: pauses, not the lead-in or the tail.
pub(super) fn inner_silences(audible: &[bool], total_ms: u64, min_ms: u64) -> Vec<Span> {
    let (Some(first), Some(last)) = (
        audible.iter().position(|&a| a),
        audible.iter().rposition(|&a| a),
    ) else {
        return Vec::new();
    };
    let mut quiet = vec![false; audible.len()];
    for (flag, &sound) in quiet[first..=last].iter_mut().zip(&audible[first..=last]) {
        *flag = !sound;
    }
    runs(&quiet, total_ms, min_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_found_and_filtered() {
        let flags = [false, true, true, false, true, false, false, true];
        assert_eq!(
            runs(&flags, 160, 0),
            [Span::new(20, 60), Span::new(80, 100), Span::new(140, 160)]
        );
        assert_eq!(runs(&flags, 150, 40), [Span::new(20, 60)]);
        // The last frame is cut at the end of the audio.
        assert_eq!(runs(&flags, 150, 0)[2], Span::new(140, 150));
    }

    #[test]
    fn inner_silences_skip_lead_in_and_tail() {
        let flags = [false, false, true, false, false, true, false];
        assert_eq!(inner_silences(&flags, 140, 0), [Span::new(60, 100)]);
        assert_eq!(inner_silences(&flags, 140, 60), []);
        assert_eq!(inner_silences(&[false, false], 40, 0), []);
    }

    #[test]
    fn frames_of_a_tone_are_audible() {
        let mut samples = vec![0i16; 480];
        samples.extend(super::super::Audio::tone(24_000, 440.0, 40, 1_000).samples);
        assert_eq!(audible_frames(&samples, 24_000), [false, true, true]);
    }
}
