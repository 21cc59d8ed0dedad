//! Measures of one spoken turn: speaking rate, word error rate of a transcription against
//! what was said, and the pauses inside a clip.

use super::activity::{audible_frames, inner_silences};
use super::audio::Audio;
use super::span::Span;
use regex::Regex;
use std::sync::LazyLock;

/// Letters (with their combining marks) and digits: a word in any script.
static WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[\p{L}\p{M}\p{N}]+").expect("the word pattern is valid"));

/// Apostrophes inside words (`don't`, `l’homme`): removed, so a word is not split at them.
static APOSTROPHE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"['’ʼ]").expect("the apostrophe pattern is valid"));

/// The words of `text` as transcripts are compared: lowercased, apostrophes removed, split
/// at anything that is not a letter, a combining mark or a digit (punctuation, symbols,
/// spaces), in any script.
pub fn words(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let joined = APOSTROPHE.replace_all(&lower, "");
    WORD.find_iter(&joined)
        .map(|m| m.as_str().to_owned())
        .collect()
}

/// The speaking rate: the words of `text` per minute of `audio_ms` milliseconds of audio.
/// `None` when `audio_ms` is 0.
pub fn words_per_minute(text: &str, audio_ms: u64) -> Option<f64> {
    if audio_ms == 0 {
        return None;
    }
    Some(words(text).len() as f64 * 60_000.0 / audio_ms as f64)
}

/// The word error rate of `hypothesis` (what a transcriber heard) against `reference`
/// (what was said): the fewest word substitutions, insertions and deletions that turn one
/// into the other, over the number of reference words. Both are normalised by [`words`].
///
/// Both empty is 0.0; an empty reference with a non-empty hypothesis is 1.0. The rate can
/// exceed 1.0 when the hypothesis has many extra words.
pub fn word_error_rate(reference: &str, hypothesis: &str) -> f64 {
    let reference = words(reference);
    let hypothesis = words(hypothesis);
    if reference.is_empty() {
        return if hypothesis.is_empty() { 0.0 } else { 1.0 };
    }
    edit_distance(&reference, &hypothesis) as f64 / reference.len() as f64
}

/// Levenshtein distance over words, in one row of memory.
fn edit_distance(a: &[String], b: &[String]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, word_a) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, word_b) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(word_a != word_b);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// The pauses inside one clip: stretches of at least `min_ms` where it is not audible
/// (20 ms frames at or under [`AUDIBLE_RMS`](super::AUDIBLE_RMS)), between its first and
/// last sound.
pub fn silences_in(audio: &Audio, min_ms: u64) -> Vec<Span> {
    let audible = audible_frames(&audio.samples, audio.rate);
    inner_silences(&audible, audio.duration_ms(), min_ms)
}

#[cfg(test)]
mod tests {
    use super::super::audio::REALTIME_RATE;
    use super::*;

    #[test]
    fn words_are_normalised_in_any_script() {
        assert_eq!(
            words("Hello, World! It's 5 o'clock."),
            ["hello", "world", "its", "5", "oclock"]
        );
        assert_eq!(words("Ça va? Über-groß…"), ["ça", "va", "über", "groß"]);
        assert_eq!(words("Привет, мир"), ["привет", "мир"]);
        // Decomposed accents (letter + combining mark) stay one word.
        assert_eq!(words("cafe\u{301} noir"), ["cafe\u{301}", "noir"]);
        assert!(words(" ,.;— ").is_empty());
    }

    #[test]
    fn word_error_rate_cases() {
        assert_eq!(word_error_rate("", ""), 0.0);
        assert_eq!(word_error_rate("  ", "..."), 0.0);
        assert_eq!(word_error_rate("", "hello"), 1.0);
        assert_eq!(word_error_rate("hello world", ""), 1.0);
        assert_eq!(word_error_rate("Hello, world!", "hello world"), 0.0);
        // One substitution in four words.
        assert_eq!(
            word_error_rate("the cat sat down", "the bat sat down"),
            0.25
        );
        // One deletion, one insertion.
        assert_eq!(word_error_rate("the cat sat down", "cat sat down now"), 0.5);
        // More errors than reference words.
        assert_eq!(word_error_rate("yes", "no no no"), 3.0);
        assert_eq!(
            word_error_rate("I don't know.", "i dont know"),
            0.0,
            "apostrophes do not split words"
        );
    }

    #[test]
    fn words_per_minute_cases() {
        assert_eq!(words_per_minute("one two three", 0), None);
        assert_eq!(words_per_minute("one two three", 1_000), Some(180.0));
        assert_eq!(words_per_minute("", 1_000), Some(0.0));
        assert_eq!(words_per_minute("a b c d e f g h i j", 4_000), Some(150.0));
    }

    #[test]
    fn silences_in_a_clip() {
        let tone = |ms| Audio::tone(REALTIME_RATE, 300.0, ms, 6_000);
        let mut clip = Audio::silence(REALTIME_RATE, 300);
        clip.append(&tone(500));
        clip.append(&Audio::silence(REALTIME_RATE, 400));
        clip.append(&tone(200));
        clip.append(&Audio::silence(REALTIME_RATE, 100));
        clip.append(&tone(200));
        clip.append(&Audio::silence(REALTIME_RATE, 700));
        let found = silences_in(&clip, 0);
        assert_eq!(found, [Span::new(800, 1_200), Span::new(1_400, 1_500)]);
        assert_eq!(silences_in(&clip, 200), [Span::new(800, 1_200)]);
        assert_eq!(silences_in(&Audio::silence(REALTIME_RATE, 1_000), 0), []);
        assert_eq!(silences_in(&Audio::default(), 0), []);
    }
}
