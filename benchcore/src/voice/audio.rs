//! [`Audio`]: one mono clip of 16-bit PCM at a known sample rate, and the conversions every
//! voice component needs (raw little-endian PCM, WAV, another rate, real-time chunks).

use super::error::VoiceError;
use super::{resample, wav};

/// The sample rate of the OpenAI Realtime API's `pcm16` audio, in both directions: 24 kHz.
pub const REALTIME_RATE: u32 = 24_000;

/// A mono clip of 16-bit PCM samples at `rate` samples per second.
///
/// The default value is empty audio at rate 0, which [`Audio::append`] treats as "no rate
/// yet": the first clip appended gives it its rate.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Audio {
    /// Samples per second.
    pub rate: u32,
    /// The samples, signed 16-bit, one channel.
    pub samples: Vec<i16>,
}

impl Audio {
    /// Audio of `samples` at `rate` samples per second.
    pub fn new(rate: u32, samples: Vec<i16>) -> Self {
        Self { rate, samples }
    }

    /// `ms` milliseconds of digital silence at `rate`.
    pub fn silence(rate: u32, ms: u64) -> Self {
        Self::new(rate, vec![0; samples_for_ms(rate, ms)])
    }

    /// A sine tone of `frequency` Hz and peak `amplitude`, `ms` milliseconds long: a real
    /// signal for tests and for probing a pipeline end to end.
    pub fn tone(rate: u32, frequency: f64, ms: u64, amplitude: i16) -> Self {
        let n = samples_for_ms(rate, ms);
        let step = std::f64::consts::TAU * frequency / f64::from(rate.max(1));
        let samples = (0..n)
            .map(|i| (f64::from(amplitude) * (step * i as f64).sin()).round() as i16)
            .collect();
        Self::new(rate, samples)
    }

    /// How long the audio lasts, in whole milliseconds (rounded down; 0 at rate 0).
    pub fn duration_ms(&self) -> u64 {
        if self.rate == 0 {
            return 0;
        }
        self.samples.len() as u64 * 1000 / u64::from(self.rate)
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Audio from raw 16-bit little-endian mono PCM (the Realtime API's `pcm16`, OpenAI
    /// speech's `pcm`). An odd trailing byte is ignored.
    pub fn from_pcm16_le(bytes: &[u8], rate: u32) -> Self {
        let samples = bytes
            .chunks_exact(2)
            .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
            .collect();
        Self::new(rate, samples)
    }

    /// The samples as raw 16-bit little-endian PCM, without a header.
    pub fn to_pcm16_le(&self) -> Vec<u8> {
        self.samples.iter().flat_map(|s| s.to_le_bytes()).collect()
    }

    /// Decodes a WAV file: 8-, 16-, 24- or 32-bit integer or 32-bit float samples, any
    /// number of channels (mixed down to mono by averaging), at its own rate.
    ///
    /// A WAV streamed to a pipe, whose RIFF and `data` sizes could not be filled in (0,
    /// `0xFFFFFFFF`, or `espeak-ng --stdout`'s `0x7FFFF000`), is read to the end of the bytes.
    pub fn from_wav(bytes: &[u8]) -> Result<Self, VoiceError> {
        let decoded = wav::decode(bytes)?;
        let channels = decoded.channels.len();
        let samples = if channels == 1 {
            decoded.channels.into_iter().next().unwrap_or_default()
        } else {
            let frames = decoded.channels.first().map_or(0, Vec::len);
            (0..frames)
                .map(|i| {
                    let sum: i32 = decoded.channels.iter().map(|c| i32::from(c[i])).sum();
                    (sum / channels as i32) as i16
                })
                .collect()
        };
        Ok(Self::new(decoded.rate, samples))
    }

    /// The audio as a mono 16-bit PCM WAV file.
    pub fn to_wav(&self) -> Vec<u8> {
        wav::encode(self.rate, 1, &self.samples)
    }

    /// The audio at `rate` samples per second, through a windowed-sinc resampler; the same
    /// audio when the rates are equal. The duration is kept to within a sample.
    ///
    /// Audio at rate 0 holds no time to resample: it becomes empty audio at `rate`, as does
    /// anything resampled to rate 0.
    pub fn resampled(&self, rate: u32) -> Self {
        if rate == self.rate {
            return self.clone();
        }
        if rate == 0 || self.rate == 0 {
            return Self::new(rate, Vec::new());
        }
        Self::new(rate, resample::resample(&self.samples, self.rate, rate))
    }

    /// Appends `other`, resampled to this audio's rate if it differs. Empty audio at rate 0
    /// (the default) takes `other`'s rate.
    pub fn append(&mut self, other: &Audio) {
        if self.rate == 0 && self.samples.is_empty() {
            self.rate = other.rate;
        }
        if other.rate == self.rate {
            self.samples.extend_from_slice(&other.samples);
        } else {
            self.samples
                .extend_from_slice(&other.resampled(self.rate).samples);
        }
    }

    /// The audio cut into consecutive pieces of `ms` milliseconds (the last one shorter),
    /// for streaming at real-time pace. A piece holds at least one sample.
    pub fn chunks(&self, ms: u64) -> impl Iterator<Item = Audio> + '_ {
        let size = samples_for_ms(self.rate, ms).max(1);
        self.samples
            .chunks(size)
            .map(move |piece| Audio::new(self.rate, piece.to_vec()))
    }

    /// The root mean square of the samples, in sample units (0 to 32,768); 0 for no samples.
    pub fn rms(&self) -> f64 {
        rms(&self.samples)
    }

    /// The largest absolute sample value.
    pub fn peak(&self) -> u16 {
        self.samples
            .iter()
            .map(|s| s.unsigned_abs())
            .max()
            .unwrap_or(0)
    }

    /// Whether no sample's absolute value exceeds `amplitude` (true for no samples).
    pub fn is_silent(&self, amplitude: i16) -> bool {
        self.peak() <= amplitude.unsigned_abs()
    }
}

/// How many samples `ms` milliseconds hold at `rate` (rounded down).
pub(super) fn samples_for_ms(rate: u32, ms: u64) -> usize {
    usize::try_from(u128::from(rate) * u128::from(ms) / 1000).unwrap_or(usize::MAX)
}

/// The root mean square of `samples`; 0 for none.
pub(super) fn rms(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    (sum / samples.len() as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_and_duration() {
        let audio = Audio::silence(REALTIME_RATE, 250);
        assert_eq!(audio.samples.len(), 6_000);
        assert_eq!(audio.duration_ms(), 250);
        assert!(audio.is_silent(0));
        assert_eq!(audio.rms(), 0.0);
        // Rounded down: 24 samples short of a whole millisecond more.
        assert_eq!(Audio::new(24_000, vec![0; 24_023]).duration_ms(), 1_000);
        assert_eq!(Audio::default().duration_ms(), 0);
    }

    #[test]
    fn a_tone_has_the_rms_of_a_sine() {
        let tone = Audio::tone(REALTIME_RATE, 440.0, 1_000, 10_000);
        assert_eq!(tone.duration_ms(), 1_000);
        let expected = 10_000.0 / 2f64.sqrt();
        assert!((tone.rms() - expected).abs() < 10.0, "rms {}", tone.rms());
        assert!(tone.peak() >= 9_990 && tone.peak() <= 10_000);
        assert!(!tone.is_silent(100));
        assert!(tone.is_silent(10_000));
    }

    #[test]
    fn pcm16_round_trip_ignores_an_odd_byte() {
        let tone = Audio::tone(REALTIME_RATE, 300.0, 50, 12_345);
        let mut bytes = tone.to_pcm16_le();
        assert_eq!(bytes.len(), tone.samples.len() * 2);
        assert_eq!(Audio::from_pcm16_le(&bytes, REALTIME_RATE), tone);
        bytes.push(0x7f);
        assert_eq!(Audio::from_pcm16_le(&bytes, REALTIME_RATE), tone);
        assert_eq!(
            Audio::from_pcm16_le(&[0x01, 0x80], 8_000).samples,
            vec![i16::from_le_bytes([0x01, 0x80])]
        );
    }

    #[test]
    fn wav_round_trip() {
        let tone = Audio::tone(22_050, 440.0, 300, 20_000);
        let bytes = tone.to_wav();
        assert_eq!(&bytes[..4], b"RIFF");
        assert_eq!(bytes.len(), 44 + tone.samples.len() * 2);
        assert_eq!(Audio::from_wav(&bytes).unwrap(), tone);
        // hound reads what we write.
        let reader = hound::WavReader::new(std::io::Cursor::new(&bytes)).unwrap();
        assert_eq!(reader.spec().sample_rate, 22_050);
        assert_eq!(reader.spec().channels, 1);
        assert_eq!(reader.len() as usize, tone.samples.len());
    }

    #[test]
    fn resampling_22050_to_24000_keeps_duration_and_tone() {
        let tone = Audio::tone(22_050, 440.0, 2_000, 10_000);
        let out = tone.resampled(REALTIME_RATE);
        assert_eq!(out.rate, REALTIME_RATE);
        let before = tone.samples.len() as f64 / 22_050.0 * 1000.0;
        let after = out.samples.len() as f64 / 24_000.0 * 1000.0;
        assert!(
            (before - after).abs() <= 1.0,
            "{before} ms became {after} ms"
        );
        // The tone's level survives (away from the edges the filter rings at).
        let middle = Audio::new(out.rate, out.samples[2_400..45_600].to_vec());
        assert!(
            (middle.rms() - tone.rms()).abs() < 0.02 * tone.rms(),
            "rms {} became {}",
            tone.rms(),
            middle.rms()
        );
        // And so does its frequency: count rising zero crossings over one second.
        let second = &out.samples[12_000..36_000];
        let crossings = second.windows(2).filter(|w| w[0] < 0 && w[1] >= 0).count();
        assert!((439..=441).contains(&crossings), "{crossings} Hz");
    }

    #[test]
    fn resampling_down_and_identity() {
        let tone = Audio::tone(REALTIME_RATE, 200.0, 1_000, 8_000);
        assert_eq!(tone.resampled(REALTIME_RATE), tone);
        let down = tone.resampled(16_000);
        assert_eq!(down.rate, 16_000);
        assert!((down.samples.len() as i64 - 16_000).abs() <= 1);
        assert!(Audio::default().resampled(16_000).is_empty());
        assert!(tone.resampled(0).is_empty());
        // A clip shorter than the resampler's chunk still comes out.
        let short = Audio::tone(22_050, 440.0, 10, 8_000).resampled(REALTIME_RATE);
        assert_eq!(short.samples.len(), 239); // 220 × 24,000 / 22,050 = 239.46
    }

    #[test]
    fn append_resamples_and_adopts_a_rate() {
        let mut audio = Audio::default();
        audio.append(&Audio::silence(REALTIME_RATE, 100));
        assert_eq!(audio.rate, REALTIME_RATE);
        audio.append(&Audio::tone(22_050, 440.0, 500, 8_000));
        assert_eq!(audio.rate, REALTIME_RATE);
        assert!((audio.duration_ms() as i64 - 600).abs() <= 1);
        assert!(audio.samples[..2_400].iter().all(|&s| s == 0));
        assert!(!Audio::new(REALTIME_RATE, audio.samples[2_400..].to_vec()).is_silent(1_000));
    }

    #[test]
    fn chunks_cover_the_audio() {
        let tone = Audio::tone(REALTIME_RATE, 440.0, 1_050, 8_000);
        let pieces: Vec<Audio> = tone.chunks(100).collect();
        assert_eq!(pieces.len(), 11);
        assert!(pieces[..10].iter().all(|p| p.duration_ms() == 100));
        assert_eq!(pieces[10].duration_ms(), 50);
        let mut joined = Audio::default();
        for piece in &pieces {
            joined.append(piece);
        }
        assert_eq!(joined, tone);
        assert_eq!(Audio::new(8_000, vec![1, 2, 3]).chunks(0).count(), 3);
        assert_eq!(Audio::default().chunks(20).count(), 0);
    }
}
