//! WAV files: decoding any common PCM or float WAV (through `hound`) into 16-bit channels,
//! including WAVs streamed to a pipe whose sizes were never filled in, and writing 16-bit
//! PCM WAVs.

use super::error::VoiceError;
use std::borrow::Cow;
use std::io::Cursor;

/// A decoded WAV file: its rate and its channels, each as 16-bit samples of equal length.
#[derive(Debug)]
pub(super) struct Decoded {
    pub(super) rate: u32,
    pub(super) channels: Vec<Vec<i16>>,
}

/// Decodes a WAV file into 16-bit channels.
///
/// A program that writes a WAV to a pipe cannot seek back to fill in the RIFF and `data`
/// sizes, so it writes a placeholder: 0, `0xFFFFFFFF` or, as `espeak-ng --stdout` does,
/// `0x7FFFF000`. A `data` size of 0 or one larger than the bytes that follow is taken to
/// mean "to the end" (whole frames only), and the header is repaired before `hound` reads it.
pub(super) fn decode(bytes: &[u8]) -> Result<Decoded, VoiceError> {
    let bytes = repaired(bytes)?;
    let reader = hound::WavReader::new(Cursor::new(bytes.as_ref())).map_err(wav_error)?;
    let spec = reader.spec();
    if spec.sample_rate == 0 {
        return Err(VoiceError::BadWav("the sample rate is 0".into()));
    }
    let channels = usize::from(spec.channels);
    let bits = u32::from(spec.bits_per_sample);
    let mono: Vec<i16> = match spec.sample_format {
        hound::SampleFormat::Int => {
            if bits > 32 {
                return Err(VoiceError::UnsupportedWav(format!(
                    "{bits}-bit integer samples"
                )));
            }
            read_all(reader.into_samples::<i32>(), |v| {
                let v = if bits >= 16 {
                    v >> (bits - 16)
                } else {
                    v << (16 - bits)
                };
                v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
            })?
        }
        hound::SampleFormat::Float => read_all(reader.into_samples::<f32>(), |v| {
            let v = if v.is_nan() { 0.0 } else { v.clamp(-1.0, 1.0) };
            (v * 32_767.0).round() as i16
        })?,
    };
    let frames = mono.len() / channels;
    let mut split = vec![Vec::with_capacity(frames); channels];
    for frame in mono.chunks_exact(channels) {
        for (channel, &sample) in split.iter_mut().zip(frame) {
            channel.push(sample);
        }
    }
    Ok(Decoded {
        rate: spec.sample_rate,
        channels: split,
    })
}

/// Reads every sample, converting each; a sample cut off by the end of the bytes ends the
/// audio rather than failing it.
fn read_all<S, R>(
    samples: hound::WavIntoSamples<R, S>,
    convert: impl Fn(S) -> i16,
) -> Result<Vec<i16>, VoiceError>
where
    S: hound::Sample,
    R: std::io::Read,
{
    let mut out = Vec::with_capacity(samples.len());
    for sample in samples {
        match sample {
            Ok(value) => out.push(convert(value)),
            Err(hound::Error::IoError(err)) if err.kind() == std::io::ErrorKind::UnexpectedEof => {
                break
            }
            Err(err) => return Err(wav_error(err)),
        }
    }
    Ok(out)
}

fn wav_error(err: hound::Error) -> VoiceError {
    match err {
        hound::Error::Unsupported => {
            VoiceError::UnsupportedWav("a sample format hound does not read".into())
        }
        hound::Error::FormatError(what) => VoiceError::BadWav(what.into()),
        hound::Error::IoError(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => {
            VoiceError::BadWav("the file ends inside its header".into())
        }
        other => VoiceError::BadWav(other.to_string()),
    }
}

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn le_u16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

/// The bytes with a placeholder `data` size (0, or more than what follows) replaced by the
/// whole frames that follow, and the RIFF size by the length of the bytes. Bytes with true
/// sizes are returned as they are.
fn repaired(bytes: &[u8]) -> Result<Cow<'_, [u8]>, VoiceError> {
    if bytes.len() < 12 {
        return Err(VoiceError::BadWav(format!(
            "{} bytes are too few for a WAV header",
            bytes.len()
        )));
    }
    if &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(VoiceError::BadWav(
            "no RIFF/WAVE header (the bytes are not a WAV file)".into(),
        ));
    }
    let mut block_align = 1usize;
    let mut at = 12usize;
    while let (Some(id), Some(size)) = (bytes.get(at..at + 4), le_u32(bytes, at + 4)) {
        let body = at + 8;
        if id == b"fmt " {
            block_align = usize::from(le_u16(bytes, body + 12).unwrap_or(1).max(1));
        } else if id == b"data" {
            let available = bytes.len() - body;
            let size = size as usize;
            if size != 0 && size <= available {
                return Ok(Cow::Borrowed(bytes));
            }
            let whole = available - available % block_align;
            let mut fixed = bytes[..body + whole].to_vec();
            let riff = u32::try_from(fixed.len() - 8).unwrap_or(u32::MAX);
            let data = u32::try_from(whole).unwrap_or(u32::MAX);
            fixed[4..8].copy_from_slice(&riff.to_le_bytes());
            fixed[at + 4..body].copy_from_slice(&data.to_le_bytes());
            return Ok(Cow::Owned(fixed));
        }
        // Chunks are padded to an even length.
        let Some(next) = body.checked_add(size as usize + (size as usize & 1)) else {
            break;
        };
        at = next;
    }
    Err(VoiceError::BadWav("no data chunk".into()))
}

/// A 16-bit PCM WAV file of `channels` interleaved channels at `rate`. Sizes past 4 GiB
/// saturate (no WAV can say more).
pub(super) fn encode(rate: u32, channels: u16, interleaved: &[i16]) -> Vec<u8> {
    let data_len = interleaved.len() * 2;
    let block_align = channels * 2;
    let mut out = Vec::with_capacity(44 + data_len);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(
        &u32::try_from(36 + data_len)
            .unwrap_or(u32::MAX)
            .to_le_bytes(),
    );
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate.saturating_mul(u32::from(block_align))).to_le_bytes());
    out.extend_from_slice(&block_align.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&u32::try_from(data_len).unwrap_or(u32::MAX).to_le_bytes());
    for sample in interleaved {
        out.extend_from_slice(&sample.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::audio::Audio;
    use super::*;

    /// A WAV written the way a program streaming to a pipe writes it: placeholder sizes.
    fn streamed(audio: &Audio, riff: u32, data: u32) -> Vec<u8> {
        let mut bytes = audio.to_wav();
        bytes[4..8].copy_from_slice(&riff.to_le_bytes());
        bytes[40..44].copy_from_slice(&data.to_le_bytes());
        bytes
    }

    #[test]
    fn a_streamed_header_is_read_to_the_end() {
        let tone = Audio::tone(22_050, 440.0, 700, 9_000);
        for (riff, data) in [
            (u32::MAX, u32::MAX),
            (0, 0),
            (0x7fff_f024, 0x7fff_f000), // espeak-ng --stdout
        ] {
            let bytes = streamed(&tone, riff, data);
            assert_eq!(
                Audio::from_wav(&bytes).unwrap(),
                tone,
                "sizes {riff:#x}/{data:#x}"
            );
        }
        // A half sample at the end is dropped, not an error.
        let mut bytes = streamed(&tone, u32::MAX, u32::MAX);
        bytes.push(0x11);
        assert_eq!(Audio::from_wav(&bytes).unwrap(), tone);
    }

    #[test]
    fn a_true_data_size_is_kept_and_later_chunks_ignored() {
        let tone = Audio::tone(16_000, 440.0, 100, 9_000);
        let mut bytes = tone.to_wav();
        bytes.extend_from_slice(b"LIST\x04\x00\x00\x00abcd");
        let riff = u32::try_from(bytes.len() - 8).unwrap();
        bytes[4..8].copy_from_slice(&riff.to_le_bytes());
        assert_eq!(Audio::from_wav(&bytes).unwrap(), tone);
    }

    fn write_with(
        spec: hound::WavSpec,
        write: impl Fn(&mut hound::WavWriter<Cursor<&mut Vec<u8>>>),
    ) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut writer = hound::WavWriter::new(Cursor::new(&mut bytes), spec).unwrap();
        write(&mut writer);
        writer.finalize().unwrap();
        bytes
    }

    #[test]
    fn every_common_sample_format_decodes() {
        let spec = |bits, format| hound::WavSpec {
            channels: 1,
            sample_rate: 8_000,
            bits_per_sample: bits,
            sample_format: format,
        };
        let int8 = write_with(spec(8, hound::SampleFormat::Int), |w| {
            for v in [0i8, 64, -128, 127] {
                w.write_sample(v).unwrap();
            }
        });
        assert_eq!(
            Audio::from_wav(&int8).unwrap().samples,
            [0, 16_384, -32_768, 32_512]
        );
        let int24 = write_with(spec(24, hound::SampleFormat::Int), |w| {
            for v in [0i32, 0x40_0000, -0x80_0000, 0x7f_ffff] {
                w.write_sample(v).unwrap();
            }
        });
        assert_eq!(
            Audio::from_wav(&int24).unwrap().samples,
            [0, 16_384, -32_768, 32_767]
        );
        let int32 = write_with(spec(32, hound::SampleFormat::Int), |w| {
            for v in [0i32, 0x4000_0000, i32::MIN] {
                w.write_sample(v).unwrap();
            }
        });
        assert_eq!(
            Audio::from_wav(&int32).unwrap().samples,
            [0, 16_384, -32_768]
        );
        let float = write_with(spec(32, hound::SampleFormat::Float), |w| {
            for v in [0.0f32, 0.5, -1.0, 2.0] {
                w.write_sample(v).unwrap();
            }
        });
        assert_eq!(
            Audio::from_wav(&float).unwrap().samples,
            [0, 16_384, -32_767, 32_767]
        );
    }

    #[test]
    fn stereo_is_mixed_to_mono() {
        let stereo = write_with(
            hound::WavSpec {
                channels: 2,
                sample_rate: 44_100,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            },
            |w| {
                for (l, r) in [(1_000i16, 3_000i16), (-2_000, 0), (i16::MAX, i16::MAX)] {
                    w.write_sample(l).unwrap();
                    w.write_sample(r).unwrap();
                }
            },
        );
        let audio = Audio::from_wav(&stereo).unwrap();
        assert_eq!(audio.rate, 44_100);
        assert_eq!(audio.samples, [2_000, -1_000, i16::MAX]);
        let decoded = decode(&stereo).unwrap();
        assert_eq!(
            decoded.channels,
            [vec![1_000, -2_000, i16::MAX], vec![3_000, 0, i16::MAX]]
        );
    }

    #[test]
    fn non_wav_bytes_are_named() {
        let err = Audio::from_wav(b"Hello, this is not audio at all").unwrap_err();
        assert!(matches!(err, VoiceError::BadWav(_)), "{err}");
        assert!(err.to_string().contains("not a WAV file"), "{err}");
        assert!(Audio::from_wav(b"RIFF").is_err());
        let mut no_data = Audio::tone(8_000, 440.0, 10, 100).to_wav();
        no_data[36..40].copy_from_slice(b"junk");
        no_data[40..44].copy_from_slice(&1_000_000u32.to_le_bytes());
        assert_eq!(
            Audio::from_wav(&no_data).unwrap_err(),
            VoiceError::BadWav("no data chunk".into())
        );
    }
}
