//! Tests of [`CommandSpeech`]: real child processes, and real `espeak-ng` when installed.

use super::*;
use crate::voice::{silences_in, words_per_minute, SpeechErrorKind, EMPTY_TEXT_SILENCE_MS};
use std::time::Instant;

/// Whether `espeak-ng` is on `PATH`. When it is not, prints one loud line naming the test and
/// returns `false` so the test can return early, except under CI (`CI=true`), where nothing
/// may skip and it panics instead. (The `tests` crate's `require_tool`, which benchcore's
/// own unit tests cannot depend on.)
fn require_espeak_ng() -> bool {
    if crate::code_task::find_program("espeak-ng").is_some() {
        return true;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("this test")
        .to_owned();
    let line = format!(
        "SKIPPED {test}: espeak-ng not found; install espeak-ng (apt-get install espeak-ng)"
    );
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("{line} (under CI nothing may skip)");
    }
    // Straight to the file descriptor: the harness captures `eprintln!`, and this line must
    // show in every `cargo test` output.
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "\n!!! {line} !!!\n");
    false
}

#[tokio::test]
async fn espeak_ng_speaks_a_sentence() {
    if !require_espeak_ng() {
        return;
    }
    let speech = CommandSpeech::espeak_ng();
    assert_eq!(speech.name(), "espeak-ng");
    let audio = speech.speak("Hello, this is a test.").await.unwrap();
    assert_eq!(audio.rate, REALTIME_RATE);
    let ms = audio.duration_ms();
    assert!((800..=4_000).contains(&ms), "{ms} ms of speech");
    assert!(!audio.is_silent(1_000), "peak {}", audio.peak());
    assert!(audio.rms() > 300.0, "rms {}", audio.rms());
}

#[tokio::test]
async fn espeak_ng_voice_and_rate_are_passed() {
    if !require_espeak_ng() {
        return;
    }
    let text = "The quick brown fox jumps over the lazy dog.";
    let slow = CommandSpeech::espeak_ng().words_per_minute(100);
    let fast = CommandSpeech::espeak_ng()
        .voice("en-us")
        .words_per_minute(300);
    assert_eq!(fast.arguments(), ["--stdout", "-v", "en-us", "-s", "300"]);
    let slow = slow.speak(text).await.unwrap().duration_ms();
    let fast = fast.speak(text).await.unwrap().duration_ms();
    assert!(fast * 2 < slow, "300 wpm took {fast} ms, 100 wpm {slow} ms");
    // espeak-ng writes a WAV with no samples at an absurd rate: that is a failure, not
    // silence. (An unknown voice is no error to it: it speaks with its default voice.)
    let err = CommandSpeech::espeak_ng()
        .words_per_minute(99_999)
        .speak(text)
        .await
        .map(|audio| audio.duration_ms())
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::Failed, "{err}");
    assert!(err.message.contains("espeak-ng"), "{err}");
    assert!(err.message.contains("no audio"), "{err}");
}

#[tokio::test]
async fn hostile_text_is_only_spoken() {
    if !require_espeak_ng() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("pwned");
    let m = marker.display();
    let hostile =
        format!("--version; rm -rf / ; touch {m} && $(touch {m}) `touch {m}` | touch {m}");
    let audio = CommandSpeech::espeak_ng().speak(&hostile).await.unwrap();
    assert!(audio.duration_ms() > 1_000, "{} ms", audio.duration_ms());
    assert!(!audio.is_silent(1_000));
    assert!(!marker.exists(), "the text ran as a command");
    let audio = CommandSpeech::espeak_ng()
        .speak("--version; rm -rf /")
        .await
        .unwrap();
    assert!(audio.duration_ms() > 500, "{} ms", audio.duration_ms());
    assert!(!audio.is_silent(1_000));
}

#[tokio::test]
async fn the_text_goes_to_stdin_and_the_wav_comes_back_at_24_khz() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("tone.wav");
    let heard = dir.path().join("heard.txt");
    std::fs::write(&wav, Audio::tone(22_050, 440.0, 1_000, 9_000).to_wav()).unwrap();
    let speech = CommandSpeech::new(
        "sh",
        [
            "-c".to_owned(),
            r#"cat > "$0"; cat "$1""#.to_owned(),
            heard.display().to_string(),
            wav.display().to_string(),
        ],
    );
    assert_eq!(speech.name(), "sh");
    assert_eq!(speech.clone().named("tone").name(), "tone");
    let text = "--help; echo $(whoami) `id` \"quoted\" 'single'\nsecond line";
    let audio = speech.speak(text).await.unwrap();
    assert_eq!(audio.rate, REALTIME_RATE);
    assert!(audio.duration_ms().abs_diff(1_000) <= 1);
    assert!(audio.rms() > 6_000.0);
    assert_eq!(
        std::fs::read_to_string(&heard).unwrap(),
        format!("{text}\n")
    );
}

#[tokio::test]
async fn empty_text_runs_no_process() {
    let speech = CommandSpeech::new("benchcore-no-such-speech-engine", Vec::<String>::new());
    for text in ["", "   ", "\n\t"] {
        let audio = speech.speak(text).await.unwrap();
        assert_eq!(audio.rate, REALTIME_RATE);
        assert_eq!(audio.duration_ms(), EMPTY_TEXT_SILENCE_MS);
        assert!(audio.is_silent(0));
    }
}

#[tokio::test]
async fn a_missing_program_is_not_installed() {
    let err = CommandSpeech::new("benchcore-no-such-speech-engine", ["--stdout"])
        .install_hint("apt-get install benchcore-speech")
        .speak("hello")
        .await
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::NotInstalled);
    assert_eq!(
        err.to_string(),
        "speech not installed: `benchcore-no-such-speech-engine` not found on PATH; install \
         it with `apt-get install benchcore-speech`"
    );
    let mut missing = CommandSpeech::espeak_ng();
    missing.program = "/nonexistent/espeak-ng".into();
    let err = missing.speak("hello").await.unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::NotInstalled);
    assert!(err.message.contains("apt-get install espeak-ng"), "{err}");
}

#[tokio::test]
async fn a_failing_program_reports_its_stderr() {
    let err = CommandSpeech::new(
        "sh",
        ["-c", "cat >/dev/null; echo 'no such voice: xx' >&2; exit 3"],
    )
    .speak("hello")
    .await
    .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::Failed);
    assert!(err.message.contains("exit status: 3"), "{err}");
    assert!(err.message.contains("no such voice: xx"), "{err}");
    assert!(!err.to_string().contains('\n'));
}

#[tokio::test]
async fn output_that_is_not_audio_fails() {
    // `cat` echoes the text back: not a WAV.
    let err = CommandSpeech::new("cat", Vec::<String>::new())
        .speak("hello there")
        .await
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::Failed);
    assert!(err.message.contains("not audio"), "{err}");
    let err = CommandSpeech::new("true", Vec::<String>::new())
        .speak("hello")
        .await
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::Failed);
    assert!(err.message.contains("nothing"), "{err}");
}

#[tokio::test]
async fn a_slow_program_is_killed_at_the_timeout() {
    let started = Instant::now();
    let err = CommandSpeech::new("sleep", ["20"])
        .timeout(Duration::from_millis(300))
        .speak("hello")
        .await
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::Timeout);
    assert!(err.is_retryable());
    assert!(err.message.contains("300 ms"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn espeak_ng_speaks_at_a_plausible_rate() {
    if !require_espeak_ng() {
        return;
    }
    let sentence = "Hello, this is a test of the speaking rate.";
    let audio = CommandSpeech::espeak_ng().speak(sentence).await.unwrap();
    let rate = words_per_minute(sentence, audio.duration_ms()).unwrap();
    // espeak-ng's default is 175 words per minute, plus the pauses around the sentence.
    assert!((80.0..=300.0).contains(&rate), "{rate} words per minute");
    // Its leading and trailing quiet is not a pause inside the speech.
    assert!(silences_in(&audio, 500).is_empty());
}
