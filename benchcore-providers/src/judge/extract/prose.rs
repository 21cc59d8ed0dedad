//! Readings 2 to 7, in prose: labelled scores, fractions, percentages, a value alone on a
//! line, upper-case verdicts and, last, words.

use super::score::{regex, Found, ScoreFormat, Value, NUM};
use super::value::{
    is_definition, negative_before, out_of, parse_num, percent, value_at, verdict, whole_value,
    Context,
};
use regex::Regex;
use std::sync::OnceLock;

pub(super) fn from_labels(text: &str, scale: Option<f64>) -> Option<Found> {
    static FINAL: OnceLock<Regex> = OnceLock::new();
    static PLAIN: OnceLock<Regex> = OnceLock::new();
    static BRACKETED: OnceLock<Regex> = OnceLock::new();
    let final_label = regex(
        &FINAL,
        r"(?i)\b(?:final|overall|total)\s+(?P<kind>score|rating|grade|verdict|judge?ment|evaluation)s?\b|\b(?:final|overall)[ \t]*[:=]",
    );
    let plain_label = regex(
        &PLAIN,
        r"(?i)\b(?P<kind>score|rating|grade|verdict|judge?ment)s?\b",
    );
    let bracketed = regex(&BRACKETED, r"\[\[\s*(?P<v>[^\[\]\n]{1,24}?)\s*\]\]");

    let mut best: Option<(u8, Found)> = None;
    let mut consider = |strength: u8, found: Found| {
        let replace = match &best {
            None => true,
            Some((s, (_, (start, _), _))) => {
                strength > *s || (strength == *s && found.1 .0 >= *start)
            }
        };
        if replace {
            best = Some((strength, found));
        }
    };
    for c in bracketed.captures_iter(text) {
        let whole = c.get(0)?;
        if let Some(value) = whole_value(&c["v"], scale, None, Context::Grade) {
            consider(
                3,
                (value, (whole.start(), whole.end()), ScoreFormat::Labelled),
            );
        }
    }
    for (strength, label) in [(3, final_label), (2, plain_label)] {
        for c in label.captures_iter(text) {
            let whole = c.get(0)?;
            let context = match c.name("kind").map(|k| k.as_str().to_ascii_lowercase()) {
                Some(k) if k == "grade" => Context::Grade,
                _ => Context::Other,
            };
            if let Some((value, end)) = labelled_value(text, whole.end(), scale, context) {
                consider(
                    strength,
                    (value, (whole.start(), end), ScoreFormat::Labelled),
                );
            }
        }
    }
    best.map(|(_, found)| found)
}

/// The value after a label ending at `at`: an optional `(0-10)` or `(out of 5)`, a
/// separator (`:`, `=`, `-`, `is`, `of`), then the value.
pub(super) fn labelled_value(
    text: &str,
    at: usize,
    scale: Option<f64>,
    context: Context,
) -> Option<(Value, usize)> {
    static PRELUDE: OnceLock<Regex> = OnceLock::new();
    static PAREN_MAX: OnceLock<Regex> = OnceLock::new();
    let prelude = regex(
        &PRELUDE,
        r#"(?i)^(?:[ \t]*\((?P<paren>[^()\n]{0,24})\))?[ \t]*["']?[ \t]*(?:[:=\-–—]+|is\b|of\b|would\s+be\b)?[ \t]*["'\[\(]*[ \t]*"#,
    );
    let paren_max = regex(
        &PAREN_MAX,
        &format!(r"(?i)(?:\d\s*(?:-|–|to)|out\s+of|/)\s*(?P<max>{NUM})\s*$"),
    );
    let rest = &text[at..];
    let lead = prelude.captures(rest)?;
    let value_start = at + lead.get(0)?.end();
    if negative_before(text, value_start) {
        return None;
    }
    let max_hint = lead
        .name("paren")
        .and_then(|p| paren_max.captures(p.as_str()))
        .and_then(|c| parse_num(&c["max"]));
    let (value, len) = value_at(&text[value_start..], scale, max_hint, context)?;
    let end = value_start + len;
    if is_definition(&text[end..]) {
        return None;
    }
    // Close what the prelude opened: `[[8]]`, `(7/10)`, `"B"`.
    let closing = text[end..]
        .chars()
        .take_while(|c| "]\")'".contains(*c))
        .map(char::len_utf8)
        .sum::<usize>();
    Some((value, end + closing))
}

// ---------------------------------------------------------------------------------------
// 3–4. Fractions and percentages in prose

/// The last match of `pattern` whose value reads, is not negative and is not a definition.
pub(super) fn last_in_prose(
    text: &str,
    pattern: &Regex,
    read: impl Fn(&regex::Captures<'_>) -> Option<Value>,
    format: ScoreFormat,
) -> Option<Found> {
    pattern
        .captures_iter(text)
        .filter_map(|c| {
            let whole = c.get(0)?;
            let (start, end) = (whole.start(), whole.end());
            let before = text[..start].chars().next_back();
            if negative_before(text, start)
                || before.is_some_and(|b| b.is_ascii_digit() || b == '/' || b == '.')
                || text[end..].starts_with(|c: char| c.is_ascii_digit() || c == '/')
                || is_definition(&text[end..])
            {
                return None;
            }
            Some((read(&c)?, (start, end), format))
        })
        .last()
}

pub(super) fn from_fractions(text: &str) -> Option<Found> {
    static FRACTION: OnceLock<Regex> = OnceLock::new();
    let pattern = regex(
        &FRACTION,
        &format!(r"(?i)(?P<n>{NUM})\s*(?:/|\bout\s+of\b)\s*(?P<d>{NUM})"),
    );
    last_in_prose(
        text,
        pattern,
        |c| out_of(parse_num(&c["n"])?, parse_num(&c["d"])?),
        ScoreFormat::Fraction,
    )
}

pub(super) fn from_percents(text: &str) -> Option<Found> {
    static PERCENT: OnceLock<Regex> = OnceLock::new();
    let pattern = regex(&PERCENT, &format!(r"(?i)(?P<n>{NUM})\s*(?:%|percent\b)"));
    last_in_prose(
        text,
        pattern,
        |c| percent(parse_num(&c["n"])?),
        ScoreFormat::Percent,
    )
}

// ---------------------------------------------------------------------------------------
// 5. A line that is only a value

pub(super) fn from_lines(text: &str, scale: Option<f64>) -> Option<Found> {
    let mut offset = 0;
    let mut found = None;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim().trim_start_matches(['#', '>']).trim_start();
        let trimmed = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("• "))
            .unwrap_or(trimmed)
            .trim_matches(|c: char| c.is_whitespace() || "\"'([{".contains(c));
        if trimmed.is_empty() {
            continue;
        }
        // A lower-case `a` alone is a word, not a grade.
        if trimmed.len() == 1 && trimmed.chars().all(|c| c.is_ascii_lowercase()) {
            continue;
        }
        if let Some(value) = whole_value(trimmed, scale, None, Context::Grade) {
            found = Some((value, (start, offset), ScoreFormat::Alone));
        }
    }
    found
}

// ---------------------------------------------------------------------------------------
// 6–7. Verdicts and words

pub(super) fn from_verdicts(text: &str) -> Option<Found> {
    static VERDICT: OnceLock<Regex> = OnceLock::new();
    let pattern = regex(&VERDICT, r"\b(?P<w>PASS(?:ED)?|FAIL(?:ED)?)\b");
    pattern
        .captures_iter(text)
        .filter_map(|c| {
            let whole = c.get(0)?;
            Some((
                verdict(&c["w"])?,
                (whole.start(), whole.end()),
                ScoreFormat::Verdict,
            ))
        })
        .last()
}

pub(super) fn from_words(text: &str) -> Option<Found> {
    static NEGATIVE: OnceLock<Regex> = OnceLock::new();
    static POSITIVE: OnceLock<Regex> = OnceLock::new();
    let negative = regex(
        &NEGATIVE,
        r"(?i)\b(?:incorrect|inaccurate|wrong|(?:is\s+)?not\s+(?:correct|accurate)|isn't\s+(?:correct|accurate))\b",
    );
    let positive = regex(&POSITIVE, r"(?i)\b(?:correct|accurate)\b");
    let negatives: Vec<_> = negative.find_iter(text).collect();
    let without_negatives = negative.replace_all(text, " ");
    let positives = positive.find_iter(&without_negatives).count();
    match (negatives.last(), positives) {
        (Some(last), 0) => Some((
            Value {
                score: 0.0,
                label: "incorrect".into(),
            },
            (last.end(), last.end()),
            ScoreFormat::Words,
        )),
        (None, n) if n > 0 => Some((
            Value {
                score: 1.0,
                label: "correct".into(),
            },
            (text.len(), text.len()),
            ScoreFormat::Words,
        )),
        _ => None,
    }
}
