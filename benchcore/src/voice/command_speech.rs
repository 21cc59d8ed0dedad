//! [`CommandSpeech`]: speech from any local engine that reads text on stdin and writes a WAV
//! to stdout, with an `espeak-ng` preset.

use super::audio::{Audio, REALTIME_RATE};
use super::engine_run::EngineRun;
use super::speech::{silence_for_empty, Speech, SpeechError};
use async_trait::async_trait;
use std::time::Duration;

/// How long an engine may take for one utterance unless told otherwise.
pub const DEFAULT_SPEECH_TIMEOUT: Duration = Duration::from_secs(30);

/// The most WAV bytes read from an engine: 64 MiB, about 25 minutes of 22 kHz speech.
const MAX_OUTPUT_BYTES: usize = 64 * 1024 * 1024;

/// A local speech engine run as a child process, once per utterance.
///
/// The text goes to the program's **stdin**, never onto its command line, and no shell is
/// involved: text such as `--help` or `; rm -rf /` is only ever spoken. The program must
/// write one WAV file to stdout (a streamed WAV with unfilled sizes is fine); it is
/// converted to 24 kHz mono. The child is killed when it outlives the timeout (default
/// [`DEFAULT_SPEECH_TIMEOUT`]) or when the `speak` future is dropped.
///
/// ```no_run
/// # async fn demo() -> Result<(), benchcore::voice::SpeechError> {
/// use benchcore::voice::{CommandSpeech, Speech};
/// let speech = CommandSpeech::espeak_ng().voice("en-us").words_per_minute(160);
/// let audio = speech.speak("Hello, this is a test.").await?;
/// assert_eq!(audio.rate, 24_000);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpeech {
    name: String,
    program: String,
    args: Vec<String>,
    voice: Option<String>,
    words_per_minute: Option<u32>,
    timeout: Duration,
    install: Option<String>,
}

impl CommandSpeech {
    /// Runs `program` with `args` for each utterance. Its name in records is the
    /// program's file name.
    pub fn new<I, S>(program: impl Into<String>, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let program = program.into();
        let name = std::path::Path::new(&program)
            .file_name()
            .map_or_else(|| program.clone(), |n| n.to_string_lossy().into_owned());
        Self {
            name,
            program,
            args: args.into_iter().map(Into::into).collect(),
            voice: None,
            words_per_minute: None,
            timeout: DEFAULT_SPEECH_TIMEOUT,
            install: None,
        }
    }

    /// `espeak-ng --stdout`, named `espeak-ng`; when missing, the error says to install the
    /// `espeak-ng` package. It writes a 22,050 Hz mono 16-bit WAV, streamed with placeholder
    /// sizes (`0x7FFFF000`). An unknown voice is no error to espeak-ng: it speaks with its
    /// default voice.
    pub fn espeak_ng() -> Self {
        Self::new("espeak-ng", ["--stdout"]).install_hint("apt-get install espeak-ng")
    }

    /// Sets the name in records (read back through [`Speech::name`]).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Adds `-v VOICE` after the arguments (espeak-ng's voice or language, like `en-us`).
    pub fn voice(mut self, voice: impl Into<String>) -> Self {
        self.voice = Some(voice.into());
        self
    }

    /// Adds `-s WORDS_PER_MINUTE` after the arguments (espeak-ng's speaking rate).
    pub fn words_per_minute(mut self, words_per_minute: u32) -> Self {
        self.words_per_minute = Some(words_per_minute);
        self
    }

    /// Sets how long one utterance may take before the child is killed.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets what a missing program's error tells the user to run (`apt-get install …`).
    pub fn install_hint(mut self, install: impl Into<String>) -> Self {
        self.install = Some(install.into());
        self
    }

    /// The program run.
    pub fn program(&self) -> &str {
        &self.program
    }

    /// The whole argument list: the arguments, then `-v VOICE` and `-s WORDS_PER_MINUTE`
    /// when set.
    pub fn arguments(&self) -> Vec<String> {
        let mut args = self.args.clone();
        if let Some(voice) = &self.voice {
            args.extend(["-v".to_owned(), voice.clone()]);
        }
        if let Some(rate) = self.words_per_minute {
            args.extend(["-s".to_owned(), rate.to_string()]);
        }
        args
    }

    /// The time limit of one utterance.
    pub fn time_limit(&self) -> Duration {
        self.timeout
    }

    /// Runs the program once with the text on stdin and returns its stdout.
    async fn run(&self, input: Vec<u8>) -> Result<Vec<u8>, SpeechError> {
        self.engine(&self.arguments()).run(input).await
    }

    fn engine<'a>(&'a self, args: &'a [String]) -> EngineRun<'a> {
        EngineRun {
            program: &self.program,
            args,
            install: self.install.as_deref(),
            timeout: self.timeout,
            max_output: MAX_OUTPUT_BYTES,
            input_is: "the text",
            empty_is_an_answer: false,
        }
    }

    fn failed(&self, what: impl std::fmt::Display) -> SpeechError {
        self.engine(&[]).failed(what)
    }
}

#[async_trait]
impl Speech for CommandSpeech {
    fn name(&self) -> &str {
        &self.name
    }

    async fn speak(&self, text: &str) -> Result<Audio, SpeechError> {
        if let Some(silence) = silence_for_empty(text) {
            return Ok(silence);
        }
        let output = self.run(format!("{text}\n").into_bytes()).await?;
        let decoded = tokio::task::spawn_blocking(move || {
            Audio::from_wav(&output).map(|audio| audio.resampled(REALTIME_RATE))
        })
        .await
        .map_err(|err| self.failed(format!("decoding its audio stopped: {err}")))?;
        let audio =
            decoded.map_err(|err| self.failed(format!("its stdout is not audio: {err}")))?;
        if audio.is_empty() {
            return Err(self.failed("it wrote a WAV holding no audio"));
        }
        Ok(audio)
    }
}

#[cfg(test)]
#[path = "command_speech_tests.rs"]
mod tests;
