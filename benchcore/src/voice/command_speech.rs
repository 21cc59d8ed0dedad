//! [`CommandSpeech`]: speech from any local engine that reads text on stdin and writes a WAV
//! to stdout, with an `espeak-ng` preset.

use super::audio::{Audio, REALTIME_RATE};
use super::speech::{silence_for_empty, Speech, SpeechError, SpeechErrorKind};
use async_trait::async_trait;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

/// How long an engine may take for one utterance unless told otherwise.
pub const DEFAULT_SPEECH_TIMEOUT: Duration = Duration::from_secs(30);

/// The most WAV bytes read from an engine: 64 MiB, about 25 minutes of 22 kHz speech.
const MAX_OUTPUT_BYTES: usize = 64 * 1024 * 1024;

/// How much of the end of an engine's error output a failure message carries.
const STDERR_TAIL_BYTES: usize = 2_048;

/// How many characters of that tail go into the message.
const STDERR_TAIL_CHARS: usize = 300;

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

    /// Runs the program once with `text` on stdin and returns its stdout.
    async fn run(&self, text: &str) -> Result<Vec<u8>, SpeechError> {
        let mut child = tokio::process::Command::new(&self.program)
            .args(self.arguments())
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
        let input = format!("{text}\n");
        let write = async move {
            let written = stdin.write_all(input.as_bytes()).await;
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
            if err.kind() != std::io::ErrorKind::BrokenPipe {
                return Err(self.failed(format!("cannot write the text to its stdin: {err}")));
            }
        }
        let output = output
            .map_err(|err| self.failed(format!("cannot read its stdout: {err}")))?
            .ok_or_else(|| {
                self.failed(format!(
                    "it wrote more than {MAX_OUTPUT_BYTES} bytes to stdout"
                ))
            })?;
        if output.is_empty() {
            return Err(self.failed(format!(
                "it wrote nothing to stdout{}",
                stderr_tail(&errors)
            )));
        }
        Ok(output)
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

    fn failed(&self, what: impl std::fmt::Display) -> SpeechError {
        SpeechError::new(
            SpeechErrorKind::Failed,
            format!("`{}` failed: {what}", self.program),
        )
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
        let output = self.run(text).await?;
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

/// Reads a stream to its end, keeping at most [`MAX_OUTPUT_BYTES`]; `None` when there was
/// more (the rest is drained, so the program is not blocked writing it).
async fn read_limited(mut reader: impl AsyncRead + Unpin) -> std::io::Result<Option<Vec<u8>>> {
    let mut kept = Vec::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut overflow = false;
    loop {
        let n = reader.read(&mut buffer).await?;
        if n == 0 {
            return Ok((!overflow).then_some(kept));
        }
        if kept.len() + n > MAX_OUTPUT_BYTES {
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

#[cfg(test)]
#[path = "command_speech_tests.rs"]
mod tests;
