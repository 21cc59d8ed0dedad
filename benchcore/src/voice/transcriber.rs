//! [`Transcriber`]: the speech-to-text plug point (a local engine, a transcription API);
//! [`CommandTranscriber`] runs any local engine; [`check_speech`] checks that a clip says
//! what its transcript claims.

use super::audio::Audio;
use super::engine_run::EngineRun;
use super::metrics::word_error_rate;
use super::speech::{SpeechError, SpeechErrorKind};
use async_trait::async_trait;
use std::fmt;
use std::time::Duration;

/// How long an engine may take for one clip unless told otherwise.
pub const DEFAULT_TRANSCRIBE_TIMEOUT: Duration = Duration::from_secs(60);

/// The most transcript bytes read from an engine: 1 MiB, far more than hours of speech.
const MAX_TRANSCRIPT_BYTES: usize = 1024 * 1024;

/// Turns speech into text.
///
/// Implementations: [`CommandTranscriber`] (any local engine that reads a WAV and writes
/// text, such as a whisper.cpp wrapper) and, in `benchcore-providers` (feature `realtime`),
/// OpenAI's transcription API.
///
/// # Contract
///
/// - `transcribe` returns what the engine heard, trimmed; audio the engine hears nothing in
///   is an empty string, not an error.
/// - Audio without samples is not an error: it returns an empty string without calling the
///   engine.
/// - Audio with samples but a rate of 0 is `BadRequest`: it holds no time to hear.
/// - The audio is data, never instructions to the machine: no byte of it reaches a shell or
///   a command line.
/// - `transcribe` never retries by itself; it classifies a failure by [`SpeechErrorKind`]
///   and the caller decides.
/// - Dropping the future cancels the work (a child process is killed).
#[async_trait]
pub trait Transcriber: Send + Sync + fmt::Debug + 'static {
    /// The engine's name in records (`whisper-cli`, `openai:gpt-4o-mini-transcribe` …).
    fn name(&self) -> &str;

    /// Transcribes `audio`.
    async fn transcribe(&self, audio: &Audio) -> Result<String, SpeechError>;
}

const _: fn(&dyn Transcriber) = |_| {};

/// Checks that `audio` says `transcript`: transcribes it and returns what `transcriber`
/// heard with its [`word_error_rate`] against `transcript` (0.0 when every word matches;
/// case and punctuation do not count).
///
/// ```no_run
/// # async fn demo(audio: benchcore::voice::Audio) -> Result<(), benchcore::voice::SpeechError> {
/// use benchcore::voice::{check_speech, CommandTranscriber};
/// let whisper = CommandTranscriber::new("whisper-stdin", ["--model", "base.en"]);
/// let (heard, wer) = check_speech(&whisper, &audio, "Hello, how are you?").await?;
/// println!("heard {heard:?}, word error rate {wer:.2}");
/// # Ok(()) }
/// ```
pub async fn check_speech(
    transcriber: &dyn Transcriber,
    audio: &Audio,
    transcript: &str,
) -> Result<(String, f64), SpeechError> {
    let heard = transcriber.transcribe(audio).await?;
    let rate = word_error_rate(transcript, &heard);
    Ok((heard, rate))
}

/// A local speech-to-text engine run as a child process, once per clip.
///
/// The audio goes to the program's **stdin** as one mono 16-bit WAV file, never onto its
/// command line, and no shell is involved. The program must write the transcript as plain
/// text to stdout; it is trimmed. The child is killed when it outlives the timeout (default
/// [`DEFAULT_TRANSCRIBE_TIMEOUT`]) or when the `transcribe` future is dropped.
///
/// Engines that want one sample rate (whisper.cpp reads 16 kHz) get it through
/// [`sample_rate`](Self::sample_rate).
///
/// ```no_run
/// # async fn demo(audio: benchcore::voice::Audio) -> Result<(), benchcore::voice::SpeechError> {
/// use benchcore::voice::{CommandTranscriber, Transcriber};
/// let whisper = CommandTranscriber::new("whisper-stdin", ["--model", "base.en"])
///     .named("whisper.cpp")
///     .sample_rate(16_000);
/// let text = whisper.transcribe(&audio).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandTranscriber {
    name: String,
    program: String,
    args: Vec<String>,
    sample_rate: Option<u32>,
    timeout: Duration,
    install: Option<String>,
}

impl CommandTranscriber {
    /// Runs `program` with `args` for each clip. Its name in records is the program's file
    /// name.
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
            sample_rate: None,
            timeout: DEFAULT_TRANSCRIBE_TIMEOUT,
            install: None,
        }
    }

    /// Sets the name in records (read back through [`Transcriber::name`]).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Resamples the audio to `rate` samples per second before writing it (whisper.cpp
    /// reads 16 kHz); by default the audio goes at its own rate.
    pub fn sample_rate(mut self, rate: u32) -> Self {
        self.sample_rate = Some(rate);
        self
    }

    /// Sets how long one clip may take before the child is killed.
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

    /// Its arguments (the audio is never one of them).
    pub fn arguments(&self) -> &[String] {
        &self.args
    }

    /// The rate the audio is resampled to before it is written, if one is set.
    pub fn input_rate(&self) -> Option<u32> {
        self.sample_rate
    }

    /// The time limit of one clip.
    pub fn time_limit(&self) -> Duration {
        self.timeout
    }

    /// Runs the program once with the audio on stdin and returns its stdout.
    async fn run(&self, input: Vec<u8>) -> Result<Vec<u8>, SpeechError> {
        self.engine(&self.args).run(input).await
    }

    fn engine<'a>(&'a self, args: &'a [String]) -> EngineRun<'a> {
        EngineRun {
            program: &self.program,
            args,
            install: self.install.as_deref(),
            timeout: self.timeout,
            max_output: MAX_TRANSCRIPT_BYTES,
            input_is: "the audio",
            empty_is_an_answer: true,
        }
    }

    fn failed(&self, what: impl std::fmt::Display) -> SpeechError {
        self.engine(&[]).failed(what)
    }
}

#[async_trait]
impl Transcriber for CommandTranscriber {
    fn name(&self) -> &str {
        &self.name
    }

    async fn transcribe(&self, audio: &Audio) -> Result<String, SpeechError> {
        if audio.is_empty() {
            return Ok(String::new());
        }
        if audio.rate == 0 {
            return Err(SpeechError::new(
                SpeechErrorKind::BadRequest,
                format!(
                    "`{}`: the audio has {} samples but no sample rate (rate 0)",
                    self.program,
                    audio.samples.len()
                ),
            ));
        }
        let audio = audio.clone();
        let rate = self.sample_rate;
        let wav = tokio::task::spawn_blocking(move || match rate {
            Some(rate) if rate != audio.rate => audio.resampled(rate).to_wav(),
            _ => audio.to_wav(),
        })
        .await
        .map_err(|err| self.failed(format!("encoding the audio stopped: {err}")))?;
        let output = self.run(wav).await?;
        Ok(String::from_utf8_lossy(&output).trim().to_owned())
    }
}

#[cfg(all(test, unix))]
#[path = "transcriber_tests.rs"]
mod tests;
