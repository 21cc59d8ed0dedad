//! What can go wrong with audio itself: a byte string that is not a WAV file, a WAV format
//! this module does not read, a resampler that refuses its input.

/// An audio error, naming what was wrong with the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VoiceError {
    /// The bytes are not a WAV file, or its header is broken.
    #[error("not a valid WAV file: {0}")]
    BadWav(String),
    /// A well-formed WAV file in a format this module does not decode (A-law, µ-law,
    /// 64-bit float, more than 32 bits per sample …).
    #[error("unsupported WAV format: {0}")]
    UnsupportedWav(String),
    /// The resampler refused the audio (a rate of zero, a ratio out of range).
    #[error("cannot resample audio: {0}")]
    Resample(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_was_wrong() {
        assert_eq!(
            VoiceError::BadWav("no RIFF tag".into()).to_string(),
            "not a valid WAV file: no RIFF tag"
        );
        assert_eq!(
            VoiceError::UnsupportedWav("64-bit float samples".into()).to_string(),
            "unsupported WAV format: 64-bit float samples"
        );
    }
}
