//! [`Transcriber`]: the speech-to-text plug point (a local engine, a transcription API);
//! [`CommandTranscriber`] runs any local engine; [`check_speech`] checks that a clip says
//! what its transcript claims.

use super::audio::Audio;
use super::metrics::word_error_rate;
use super::speech::{SpeechError, SpeechErrorKind};
use async_trait::async_trait;
use std::fmt;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

/// How long an engine may take for one clip unless told otherwise.
pub const DEFAULT_TRANSCRIBE_TIMEOUT: Duration = Duration::from_secs(60);

/// The most transcript bytes read from an engine: 1 MiB, far more than hours of speech.
const MAX_TRANSCRIPT_BYTES: usize = 1024 * 1024;

/// How much of the end of an engine's error output a failure message carries.
const STDERR_TAIL_BYTES: usize = 2_048;

/// How many characters of that tail go into the message.
const STDERR_TAIL_CHARS: usize = 300;

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

    /// Runs the program once with `wav` on stdin and returns its stdout.
    async fn run(&self, wav: Vec<u8>) -> Result<Vec<u8>, SpeechError> {
        let mut child = tokio::process::Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|err| self.spawn_error(&err))?;
        let (Some(mut stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(self.failed("its standard streams could not be opened"));
        };
        let write = async move {
            let written = stdin.write_all(&wav).await;
            drop(stdin); // end of input
            written
        };
        let work = async {
            let (written, output, errors) =
                tokio::join!(write, read_limited(stdout), read_tail(stderr));
            (written, output, errors, child.wait().await)
        };
        let outcome = tokio::time::timeout(self.timeout, work).await;
        let Ok((written, output, errors, status)) = outcome else {
            let _ = child.start_kill();
            let _ = child.wait().await;
            return Err(SpeechError::new(
                SpeechErrorKind::Timeout,
                format!(
                    "`{}` did not finish within {} ms; it was killed",
                    self.program,
                    self.timeout.as_millis()
                ),
            ));
        };
        let status = status.map_err(|err| self.failed(format!("cannot wait for it: {err}")))?;
        let errors = errors.unwrap_or_default();
        if !status.success() {
            return Err(self.failed(format!("{status}{}", stderr_tail(&errors))));
        }
        if let Err(err) = written {
            // An engine may stop reading once it has what it needs; only a real write
            // failure counts.
            if err.kind() != std::io::ErrorKind::BrokenPipe {
                return Err(self.failed(format!("cannot write the audio to its stdin: {err}")));
            }
        }
        output
            .map_err(|err| self.failed(format!("cannot read its stdout: {err}")))?
            .ok_or_else(|| {
                self.failed(format!(
                    "it wrote more than {MAX_TRANSCRIPT_BYTES} bytes to stdout"
                ))
            })
    }

    fn spawn_error(&self, err: &std::io::Error) -> SpeechError {
        if err.kind() == std::io::ErrorKind::NotFound {
            let install = match &self.install {
                Some(install) => format!("install it with `{install}`"),
                None => "install it or give its full path".to_owned(),
            };
            return SpeechError::new(
                SpeechErrorKind::NotInstalled,
                format!("`{}` not found on PATH; {install}", self.program),
            );
        }
        self.failed(format!("cannot start it: {err}"))
    }

    fn failed(&self, what: impl fmt::Display) -> SpeechError {
        SpeechError::new(
            SpeechErrorKind::Failed,
            format!("`{}` failed: {what}", self.program),
        )
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

/// Reads a stream to its end, keeping at most [`MAX_TRANSCRIPT_BYTES`]; `None` when there
/// was more (the rest is drained, so the program is not blocked writing it).
async fn read_limited(mut reader: impl AsyncRead + Unpin) -> std::io::Result<Option<Vec<u8>>> {
    let mut kept = Vec::new();
    let mut buffer = vec![0u8; 16 * 1024];
    let mut overflow = false;
    loop {
        let n = reader.read(&mut buffer).await?;
        if n == 0 {
            return Ok((!overflow).then_some(kept));
        }
        if kept.len() + n > MAX_TRANSCRIPT_BYTES {
            overflow = true;
            kept = Vec::new();
        } else if !overflow {
            kept.extend_from_slice(&buffer[..n]);
        }
    }
}

/// Reads a stream to its end, keeping its last [`STDERR_TAIL_BYTES`].
async fn read_tail(mut reader: impl AsyncRead + Unpin) -> std::io::Result<Vec<u8>> {
    let mut tail = Vec::new();
    let mut buffer = vec![0u8; 8 * 1024];
    loop {
        let n = reader.read(&mut buffer).await?;
        if n == 0 {
            return Ok(tail);
        }
        tail.extend_from_slice(&buffer[..n]);
        if tail.len() > STDERR_TAIL_BYTES {
            tail.drain(..tail.len() - STDERR_TAIL_BYTES);
        }
    }
}

/// `: <the last characters of stderr>`, or nothing when it was empty.
fn stderr_tail(errors: &[u8]) -> String {
    let text = String::from_utf8_lossy(errors);
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    let count = text.chars().count();
    let tail: String = text
        .chars()
        .skip(count.saturating_sub(STDERR_TAIL_CHARS))
        .collect();
    let cut = if count > STDERR_TAIL_CHARS { "…" } else { "" };
    format!(": {cut}{tail}")
}

#[cfg(all(test, unix))]
#[path = "transcriber_tests.rs"]
mod tests;
