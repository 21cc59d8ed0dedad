//! Tests of [`CommandTranscriber`] and [`check_speech`]: fake engines written as shell
//! scripts in a temp dir, run as real child processes.

use super::*;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Writes an executable script `name` holding `body` (after `#!/bin/sh`) into `dir`.
///
/// A child `sh` writes the file, so no descriptor of it open for writing is ever held by
/// this (multi-threaded) test process: another test forking meanwhile cannot inherit one and
/// make running the script fail with "Text file busy".
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    let status = std::process::Command::new("sh")
        .args([
            "-c",
            r#"printf '#!/bin/sh\n%s\n' "$1" > "$0" && chmod 755 "$0""#,
        ])
        .arg(&path)
        .arg(body)
        .status()
        .unwrap();
    assert!(status.success(), "cannot write {}", path.display());
    path
}

fn clip() -> Audio {
    Audio::tone(16_000, 440.0, 200, 8_000)
}

fn program(path: &Path) -> String {
    path.display().to_string()
}

#[tokio::test]
async fn a_fake_engine_transcribes_and_is_trimmed() {
    let dir = tempfile::tempdir().unwrap();
    let engine = script(
        dir.path(),
        "fake-whisper",
        r#"cat >/dev/null; echo "hello world""#,
    );
    let transcriber = CommandTranscriber::new(program(&engine), Vec::<String>::new());
    assert_eq!(transcriber.name(), "fake-whisper");
    assert_eq!(transcriber.clone().named("whisper").name(), "whisper");
    assert_eq!(transcriber.time_limit(), DEFAULT_TRANSCRIBE_TIMEOUT);
    assert_eq!(
        transcriber.transcribe(&clip()).await.unwrap(),
        "hello world"
    );
}

#[tokio::test]
async fn the_wav_goes_to_stdin_at_the_asked_rate() {
    let dir = tempfile::tempdir().unwrap();
    let received = dir.path().join("received.wav");
    let engine = script(dir.path(), "engine", r#"cat > "$1"; echo ok"#);
    let audio = Audio::tone(24_000, 300.0, 500, 9_000);
    let as_is = CommandTranscriber::new(program(&engine), [program(&received)]);
    assert_eq!(as_is.arguments(), [program(&received)]);
    assert_eq!(as_is.input_rate(), None);
    as_is.transcribe(&audio).await.unwrap();
    assert_eq!(std::fs::read(&received).unwrap(), audio.to_wav());
    as_is
        .clone()
        .sample_rate(16_000)
        .transcribe(&audio)
        .await
        .unwrap();
    let sent = Audio::from_wav(&std::fs::read(&received).unwrap()).unwrap();
    assert_eq!(sent.rate, 16_000);
    assert!(
        sent.duration_ms().abs_diff(500) <= 1,
        "{} ms",
        sent.duration_ms()
    );
    assert!(sent.rms() > 5_000.0, "rms {}", sent.rms());
}

#[tokio::test]
async fn hostile_audio_never_reaches_a_shell() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("pwned");
    let received = dir.path().join("received.wav");
    let m = marker.display();
    // PCM whose bytes are shell commands, and a transcript that looks like one.
    let mut bytes =
        format!("--help; touch {m}\n$(touch {m}) `touch {m}` | touch {m} && rm -rf /").into_bytes();
    bytes.resize(bytes.len() + bytes.len() % 2, b' ');
    let audio = Audio::from_pcm16_le(&bytes, 16_000);
    let engine = script(
        dir.path(),
        "engine",
        r#"cat > "$1"; echo '  $(touch pwned) `id` ; rm -rf /  '"#,
    );
    let heard = CommandTranscriber::new(program(&engine), [program(&received)])
        .transcribe(&audio)
        .await
        .unwrap();
    assert_eq!(heard, "$(touch pwned) `id` ; rm -rf /");
    assert!(!marker.exists(), "the audio ran as a command");
    let wav = std::fs::read(&received).unwrap();
    assert_eq!(wav, audio.to_wav(), "the WAV arrived changed");
    assert!(wav.windows(bytes.len()).any(|w| w == bytes));
}

#[tokio::test]
async fn a_missing_program_is_not_installed() {
    let err = CommandTranscriber::new("benchcore-no-such-transcriber", ["-m", "base"])
        .transcribe(&clip())
        .await
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::NotInstalled);
    assert_eq!(
        err.to_string(),
        "speech not installed: `benchcore-no-such-transcriber` not found on PATH; install it \
         or give its full path"
    );
    let err = CommandTranscriber::new("/nonexistent/whisper-cli", Vec::<String>::new())
        .install_hint("make -C whisper.cpp")
        .transcribe(&clip())
        .await
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::NotInstalled);
    assert!(err.message.contains("/nonexistent/whisper-cli"), "{err}");
    assert!(err.message.contains("make -C whisper.cpp"), "{err}");
}

#[tokio::test]
async fn a_failing_program_reports_its_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let engine = script(
        dir.path(),
        "engine",
        "cat >/dev/null; echo 'loading model' >&2; echo 'model not found: ggml-base.bin' >&2; \
         exit 3",
    );
    let err = CommandTranscriber::new(program(&engine), Vec::<String>::new())
        .transcribe(&clip())
        .await
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::Failed, "{err}");
    assert!(!err.is_retryable());
    assert!(err.message.contains(&program(&engine)), "{err}");
    assert!(err.message.contains("exit status: 3"), "{err}");
    assert!(
        err.message
            .contains("loading model model not found: ggml-base.bin"),
        "{err}"
    );
    assert!(!err.to_string().contains('\n'));
}

#[tokio::test]
async fn a_slow_program_is_killed_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let engine = script(dir.path(), "engine", "exec sleep 30");
    let started = Instant::now();
    let err = CommandTranscriber::new(program(&engine), Vec::<String>::new())
        .timeout(Duration::from_millis(300))
        .transcribe(&clip())
        .await
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::Timeout, "{err}");
    assert!(err.is_retryable());
    assert!(err.message.contains("300 ms"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn dropping_the_future_kills_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let engine = script(dir.path(), "engine", r#"echo $$ > "$1"; exec sleep 30"#);
    let transcriber = CommandTranscriber::new(program(&engine), [program(&pid_file)]);
    let clip = clip();
    let cut = tokio::time::timeout(Duration::from_millis(500), transcriber.transcribe(&clip));
    assert!(
        cut.await.is_err(),
        "the engine finished instead of sleeping"
    );
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let stat = PathBuf::from(format!("/proc/{}/stat", pid.trim()));
    let started = Instant::now();
    // Killed: gone, or a zombie (`Z`) until it is reaped.
    while std::fs::read_to_string(&stat).is_ok_and(|s| {
        s.rsplit(')')
            .next()
            .is_some_and(|r| !r.trim().starts_with('Z'))
    }) {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the engine (pid {}) outlived its dropped future",
            pid.trim()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn empty_audio_runs_no_process_and_rate_zero_is_refused() {
    let missing = CommandTranscriber::new("benchcore-no-such-transcriber", Vec::<String>::new());
    assert_eq!(missing.transcribe(&Audio::default()).await.unwrap(), "");
    assert_eq!(
        missing
            .transcribe(&Audio::new(16_000, vec![]))
            .await
            .unwrap(),
        ""
    );
    let err = missing
        .transcribe(&Audio::new(0, vec![1, 2, 3]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::BadRequest, "{err}");
    assert!(err.message.contains("rate 0"), "{err}");
}

#[tokio::test]
async fn silence_heard_as_nothing_is_an_empty_transcript() {
    let dir = tempfile::tempdir().unwrap();
    let engine = script(dir.path(), "engine", "cat >/dev/null; printf '\\n  \\n'");
    let heard = CommandTranscriber::new(program(&engine), Vec::<String>::new())
        .transcribe(&Audio::silence(16_000, 300))
        .await
        .unwrap();
    assert_eq!(heard, "");
}

#[tokio::test]
async fn check_speech_reports_what_was_heard_and_the_word_error_rate() {
    let dir = tempfile::tempdir().unwrap();
    let engine = script(
        dir.path(),
        "engine",
        r#"cat >/dev/null; echo "hello world""#,
    );
    let transcriber = CommandTranscriber::new(program(&engine), Vec::<String>::new());
    let (heard, wer) = check_speech(&transcriber, &clip(), "Hello, world!")
        .await
        .unwrap();
    assert_eq!(heard, "hello world");
    assert_eq!(wer, 0.0);
    let (_, wer) = check_speech(&transcriber, &clip(), "hello there world")
        .await
        .unwrap();
    assert!((wer - 1.0 / 3.0).abs() < 1e-9, "{wer}");
    let shared: std::sync::Arc<dyn Transcriber> = std::sync::Arc::new(transcriber);
    let (_, wer) = check_speech(shared.as_ref(), &clip(), "goodbye")
        .await
        .unwrap();
    assert_eq!(wer, 2.0);
    let err = check_speech(
        &CommandTranscriber::new("benchcore-no-such-transcriber", Vec::<String>::new()),
        &clip(),
        "hello",
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::NotInstalled);
}
