//! Running a local speech engine once: its input on stdin (never on its command line), its
//! stdout kept up to a cap, the tail of its stderr for errors, a time limit, and the engine
//! killed when the call is dropped. Shared by [`CommandSpeech`](super::CommandSpeech) and
//! [`CommandTranscriber`](super::CommandTranscriber).

use super::speech::{SpeechError, SpeechErrorKind};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

/// The part of stderr kept for an error message.
const STDERR_TAIL_BYTES: usize = 2_048;
/// The characters of it shown.
const STDERR_TAIL_CHARS: usize = 300;

/// One run of a local engine.
#[derive(Debug)]
pub(super) struct EngineRun<'a> {
    /// The program, on `PATH` or by path.
    pub(super) program: &'a str,
    /// Its arguments.
    pub(super) args: &'a [String],
    /// How to install it, for the error when it is missing.
    pub(super) install: Option<&'a str>,
    /// How long it may take.
    pub(super) timeout: Duration,
    /// The most stdout kept; more is a failure.
    pub(super) max_output: usize,
    /// What goes to its stdin, for errors (`the text`, `the audio`).
    pub(super) input_is: &'static str,
    /// Whether writing nothing to stdout is an answer (a transcriber that heard nothing).
    pub(super) empty_is_an_answer: bool,
}

impl EngineRun<'_> {
    /// Runs the program with `input` on stdin and returns its stdout.
    pub(super) async fn run(&self, input: Vec<u8>) -> Result<Vec<u8>, SpeechError> {
        let mut child = tokio::process::Command::new(self.program)
            .args(self.args)
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
            let written = stdin.write_all(&input).await;
            drop(stdin); // end of input
            written
        };
        let max = self.max_output;
        let work = async {
            let (written, output, errors) =
                tokio::join!(write, read_limited(stdout, max), read_tail(stderr));
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
                let what = self.input_is;
                return Err(self.failed(format!("cannot write {what} to its stdin: {err}")));
            }
        }
        let output = output
            .map_err(|err| self.failed(format!("cannot read its stdout: {err}")))?
            .ok_or_else(|| self.failed(format!("it wrote more than {max} bytes to stdout")))?;
        if output.is_empty() && !self.empty_is_an_answer {
            return Err(self.failed(format!(
                "it wrote nothing to stdout{}",
                stderr_tail(&errors)
            )));
        }
        Ok(output)
    }

    fn spawn_error(&self, err: &std::io::Error) -> SpeechError {
        if err.kind() == std::io::ErrorKind::NotFound {
            let install = match self.install {
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

    /// A `Failed` error naming the program.
    pub(super) fn failed(&self, what: impl std::fmt::Display) -> SpeechError {
        SpeechError::new(
            SpeechErrorKind::Failed,
            format!("`{}` failed: {what}", self.program),
        )
    }
}

/// Reads a stream to its end, keeping at most `max` bytes; `None` when there was more (the
/// rest is drained, so the program is not blocked writing it).
async fn read_limited(
    mut reader: impl AsyncRead + Unpin,
    max: usize,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut kept = Vec::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut overflow = false;
    loop {
        let n = reader.read(&mut buffer).await?;
        if n == 0 {
            return Ok((!overflow).then_some(kept));
        }
        if kept.len() + n > max {
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
