//! Reads a score from a judge's free-form reply, normalised to [0, 1].
//!
//! Judges rarely answer exactly as asked, so [`extract_score`] tries the readings below in
//! order and takes the first that finds a score:
//!
//! 1. **JSON**: an object with a `score` (or `rating`, `grade`, `final_score`, `verdict`,
//!    `pass`, `correct` …) key, anywhere in the reply (inside a ```` ```json ```` fence or with
//!    prose around it), with an optional `max`/`out_of`/`scale` and a
//!    `rationale`/`reasoning`/`explanation`. With several, the last wins. An object that has
//!    a score key but an unreadable or out-of-range score makes the reply unreadable.
//! 2. **Labelled scores**: `Final score: 9/10`, `Overall: 8`, `[[7]]` (MT-Bench style) first,
//!    then `Score: 7/10`, `Rating (1-5): 4`, `Grade: B+`, `Verdict: PASS`; the last of the
//!    strongest kind wins, so `7/10 at first … final score: 9/10` reads 9/10. A labelled value
//!    followed by `=`, `means` or `if` is a rubric definition (`a score of 10 means
//!    flawless`) and is skipped.
//! 3. **Fractions** anywhere: `7/10`, `7 / 10`, `8.5 out of 10` (the last one; never a date).
//! 4. **Percentages**: `85%`, `85 percent` (the last one).
//! 5. **A line that is only a value**: `8`, `0.8`, `B+`, `PASS`, `yes` (the last such line).
//! 6. **An upper-case verdict** anywhere: `PASS`, `FAIL` (the last one).
//! 7. **Words**, as a last resort: `correct`, `accurate` against `incorrect`, `wrong`,
//!    `not correct`; only when the reply says one and not the other.
//!
//! Numbers without a stated maximum are read on the `scale` the judge was asked to use when
//! they fit it (a non-integer below 1 is read as 0–1 even then); otherwise a number up to 1
//! is 0–1, up to 10 is 0–10 and up to 100 is 0–100. Letter grades take the lower bound of
//! the usual US percentage band (A 0.93, B 0.83, C- 0.70 …), with A+ at 1 and F (or E) at 0.
//! PASS, yes and correct are 1; FAIL, no and incorrect are 0. A negative score, one above
//! its maximum, or a number above 100 is never read.

mod json;
mod prose;
mod rationale;
mod score;
#[cfg(test)]
mod tests;
mod value;

use json::{from_json, JsonReading};
use prose::{from_fractions, from_labels, from_lines, from_percents, from_verdicts, from_words};
use rationale::rationale_around;
use score::strip_markup;
pub use score::{ExtractedScore, ScoreFormat};

/// Longest reply read, in bytes; judges that write more are cut here.
const MAX_REPLY_BYTES: usize = 64 * 1024;

/// Reads a score from `reply`; `scale` is the top of the range the judge was asked to use
/// (10 for 0–10), which decides how bare numbers are read. `None` when no reading finds a
/// score: the caller must treat that as "could not judge", never as zero.
///
/// ```
/// use benchcore_providers::judge::extract_score;
/// let s = extract_score("7/10 at first glance … final score: 9/10", Some(10.0)).unwrap();
/// assert_eq!(s.score, 0.9);
/// assert_eq!(extract_score("```json\n{\"score\": 4, \"max\": 5}\n```", None).unwrap().score, 0.8);
/// assert!(extract_score("I cannot tell.", Some(10.0)).is_none());
/// ```
pub fn extract_score(reply: &str, scale: Option<f64>) -> Option<ExtractedScore> {
    let scale = scale.filter(|s| s.is_finite() && *s > 0.0);
    let text = cut(reply, MAX_REPLY_BYTES);
    match from_json(text, scale) {
        JsonReading::Found(found) => return Some(found),
        JsonReading::Invalid => return None,
        JsonReading::Absent => {}
    }
    let plain = strip_markup(text);
    let plain = plain.as_str();
    let found = from_labels(plain, scale)
        .or_else(|| from_fractions(plain))
        .or_else(|| from_percents(plain))
        .or_else(|| from_lines(plain, scale))
        .or_else(|| from_verdicts(plain))
        .or_else(|| from_words(plain))?;
    let (value, span, format) = found;
    Some(ExtractedScore {
        score: value.score,
        label: value.label,
        format,
        rationale: rationale_around(plain, span),
    })
}

fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
