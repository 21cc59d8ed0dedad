//! Sample-rate conversion of whole clips with rubato's windowed-sinc resampler (the one that
//! exists without rubato's FFT feature).

use audioadapter_buffers::direct::InterleavedSlice;
use rubato::{
    calculate_cutoff, Async, FixedAsync, Resampler, SincInterpolationParameters,
    SincInterpolationType, WindowFunction,
};

/// Input frames per call of the resampler.
const CHUNK: usize = 1024;

/// `samples` at `from` Hz resampled to `to` Hz (both non-zero), `len * to / from` samples
/// long (rounded to the nearest), with the resampler's delay trimmed so the audio keeps its timing.
pub(super) fn resample(samples: &[i16], from: u32, to: u32) -> Vec<i16> {
    if samples.is_empty() {
        return Vec::new();
    }
    let input: Vec<f64> = samples.iter().map(|&s| f64::from(s) / 32_768.0).collect();
    match sinc(&input, from, to) {
        Some(output) => output
            .into_iter()
            .map(|v| (v * 32_768.0).round().clamp(-32_768.0, 32_767.0) as i16)
            .collect(),
        // Only a ratio rubato refuses gets here; fall back rather than lose the audio.
        None => linear(samples, from, to),
    }
}

fn sinc(input: &[f64], from: u32, to: u32) -> Option<Vec<f64>> {
    let ratio = f64::from(to) / f64::from(from);
    let window = WindowFunction::BlackmanHarris2;
    let parameters = SincInterpolationParameters {
        sinc_len: 128,
        f_cutoff: calculate_cutoff(128, window),
        oversampling_factor: 256,
        interpolation: SincInterpolationType::Linear,
        window,
    };
    let mut resampler =
        Async::<f64>::new_sinc(ratio, 1.0, &parameters, CHUNK, 1, FixedAsync::Input).ok()?;
    let capacity = resampler.process_all_needed_output_len(input.len());
    let mut output = vec![0.0; capacity];
    let reader = InterleavedSlice::new(input, 1, input.len()).ok()?;
    let mut writer = InterleavedSlice::new_mut(&mut output, 1, capacity).ok()?;
    let (_, written) = resampler
        .process_all_into_buffer(&reader, &mut writer, input.len(), None)
        .ok()?;
    // rubato rounds `len * ratio` up in floating point (22,050 samples at 24/22.05 come out
    // 24,001); keep the exact length, rounded to the nearest sample.
    let exact = (input.len() as u128 * u128::from(to) + u128::from(from / 2)) / u128::from(from);
    output.truncate(written.min(exact as usize));
    Some(output)
}

/// Linear interpolation: the fallback for ratios the sinc resampler refuses.
fn linear(samples: &[i16], from: u32, to: u32) -> Vec<i16> {
    let len = ((samples.len() as u128 * u128::from(to) + u128::from(from / 2)) / u128::from(from))
        as usize;
    let step = f64::from(from) / f64::from(to);
    (0..len)
        .map(|i| {
            let at = i as f64 * step;
            let left = (at.floor() as usize).min(samples.len() - 1);
            let right = (left + 1).min(samples.len() - 1);
            let t = at - left as f64;
            (f64::from(samples[left]) * (1.0 - t) + f64::from(samples[right]) * t).round() as i16
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_follow_the_ratio() {
        let input = vec![0i16; 22_050];
        assert_eq!(resample(&input, 22_050, 24_000).len(), 24_000);
        assert_eq!(resample(&input, 22_050, 16_000).len(), 16_000);
        assert_eq!(resample(&input[..7], 22_050, 24_000).len(), 8);
        assert!(resample(&[], 8_000, 24_000).is_empty());
    }

    #[test]
    fn the_linear_fallback_keeps_length_and_level() {
        let out = linear(&[0, 100, 200, 300], 1, 2);
        assert_eq!(out, [0, 50, 100, 150, 200, 250, 300, 300]);
        assert_eq!(linear(&[0, 100, 200], 3, 2), [0, 150]);
    }

    #[test]
    fn a_step_keeps_its_timing() {
        // Silence, then a constant level from 0.5 s: the edge must stay at 0.5 s.
        let mut input = vec![0i16; 11_025];
        input.extend(std::iter::repeat_n(10_000i16, 11_025));
        let out = resample(&input, 22_050, 24_000);
        let edge = out.iter().position(|&s| s > 5_000).unwrap();
        assert!((edge as i64 - 12_000).abs() <= 2, "edge at sample {edge}");
    }
}
