//! Reading one value: numbers on a scale, fractions, percentages, letter grades and verdict
//! words, and what around a value makes it a definition rather than a score.

use super::score::{regex, Value, NUM};
use regex::Regex;
use std::sync::OnceLock;

pub(super) fn parse_num(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// `n` as people write it: `7`, `8.5`.
pub(super) fn show(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        let text = format!("{n:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// `n` out of an explicit maximum.
pub(super) fn out_of(n: f64, max: f64) -> Option<Value> {
    (max > 0.0 && (0.0..=max).contains(&n)).then(|| Value {
        score: n / max,
        label: format!("{}/{}", show(n), show(max)),
    })
}

/// A number with no stated maximum: on `scale` when it fits (a non-integer below 1 is read
/// as 0–1 even then), else 0–1, 0–10 or 0–100 by size.
pub(super) fn bare(n: f64, scale: Option<f64>) -> Option<Value> {
    if !(n.is_finite() && n >= 0.0) {
        return None;
    }
    let unit_fraction = n < 1.0 && n.fract() != 0.0;
    let max = match scale {
        Some(s) if n <= s && !(unit_fraction && s > 1.0) => s,
        _ if n <= 1.0 => 1.0,
        _ if n <= 10.0 => 10.0,
        _ if n <= 100.0 => 100.0,
        _ => return None,
    };
    Some(Value {
        score: n / max,
        label: if max == 1.0 {
            show(n)
        } else {
            format!("{}/{}", show(n), show(max))
        },
    })
}

pub(super) fn percent(n: f64) -> Option<Value> {
    (0.0..=100.0).contains(&n).then(|| Value {
        score: n / 100.0,
        label: format!("{}%", show(n)),
    })
}

/// A letter grade's score: the lower bound of its usual US percentage band, A+ at 1, F and
/// E at 0.
pub(super) fn grade(letter: char, modifier: &str) -> Option<Value> {
    let base = match letter.to_ascii_uppercase() {
        'A' => 0.93,
        'B' => 0.83,
        'C' => 0.73,
        'D' => 0.63,
        'E' | 'F' => 0.0,
        _ => return None,
    };
    let score: f64 = match (letter.to_ascii_uppercase(), modifier) {
        ('E' | 'F', _) => 0.0,
        ('A', "+") => 1.0,
        (_, "+") => base + 0.04,
        (_, "-" | "−") => base - 0.03,
        _ => base,
    };
    let modifier = if modifier == "−" { "-" } else { modifier };
    Some(Value {
        score: (score * 100.0).round() / 100.0,
        label: format!("{}{modifier}", letter.to_ascii_uppercase()),
    })
}

/// A verdict word's score.
pub(super) fn verdict(word: &str) -> Option<Value> {
    let word = word.to_ascii_lowercase();
    let (score, label) = match word.as_str() {
        "pass" | "passed" => (1.0, "pass"),
        "fail" | "failed" => (0.0, "fail"),
        "correct" | "right" => (1.0, "correct"),
        "incorrect" | "wrong" => (0.0, "incorrect"),
        "yes" => (1.0, "yes"),
        "no" => (0.0, "no"),
        _ => return None,
    };
    Some(Value {
        score,
        label: label.to_owned(),
    })
}

/// How strictly a value is read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Context {
    /// After a `grade` label: a bare letter is a grade even with words after it.
    Grade,
    /// After another label, or alone on a line.
    Other,
}

/// Reads a value at the very start of `text`: a fraction, a percentage, a number, a letter
/// grade or a verdict word. Returns it and the bytes it took.
pub(super) fn value_at(
    text: &str,
    scale: Option<f64>,
    max_hint: Option<f64>,
    context: Context,
) -> Option<(Value, usize)> {
    static FRACTION: OnceLock<Regex> = OnceLock::new();
    static PERCENT: OnceLock<Regex> = OnceLock::new();
    static NUMBER: OnceLock<Regex> = OnceLock::new();
    static RANGE: OnceLock<Regex> = OnceLock::new();
    static GRADE: OnceLock<Regex> = OnceLock::new();
    static WORD: OnceLock<Regex> = OnceLock::new();
    let fraction = regex(
        &FRACTION,
        &format!(r"(?i)^(?P<n>{NUM})\s*(?:/|out\s+of\b|of\b)\s*(?P<d>{NUM})"),
    );
    let pct = regex(&PERCENT, &format!(r"(?i)^(?P<n>{NUM})\s*(?:%|percent\b)"));
    let number = regex(&NUMBER, &format!(r"^(?P<n>{NUM})"));
    let range = regex(&RANGE, r"(?i)^\s*(?:-|–|to\b)\s*\d");
    let letter = regex(&GRADE, r"^(?P<g>[A-F])(?P<m>[+\-−]?)");
    let word = regex(
        &WORD,
        r"(?i)^(?P<w>pass(?:ed)?|fail(?:ed)?|correct|incorrect|right|wrong|yes|no)\b",
    );

    if let Some(c) = fraction.captures(text) {
        let (n, d) = (parse_num(&c["n"])?, parse_num(&c["d"])?);
        let end = c.get(0)?.end();
        if text[end..].starts_with(['/', '.'])
            && text[end + 1..].starts_with(|c: char| c.is_ascii_digit())
        {
            return None; // a date or a version, not a score
        }
        return out_of(n, d).map(|v| (v, end));
    }
    if let Some(c) = pct.captures(text) {
        let end = c.get(0)?.end();
        return percent(parse_num(&c["n"])?).map(|v| (v, end));
    }
    if let Some(c) = number.captures(text) {
        let end = c.get(0)?.end();
        if range.is_match(&text[end..]) {
            return None; // `0 to 10`, `1-5`: a range, not a score
        }
        let n = parse_num(&c["n"])?;
        let value = match max_hint {
            Some(max) => out_of(n, max),
            None => bare(n, scale),
        };
        return value.map(|v| (v, end));
    }
    if let Some(c) = letter.captures(text) {
        let end = c.get(0)?.end();
        let rest = &text[end..];
        let modifier = &c["m"];
        let standalone = !rest.starts_with(|c: char| c.is_alphanumeric())
            && (context == Context::Grade
                || !modifier.is_empty()
                || !rest.trim_start().starts_with(|c: char| c.is_alphabetic()));
        if standalone {
            let g = c["g"].chars().next()?;
            return grade(g, modifier).map(|v| (v, end));
        }
        // `FAIL`, `Correct`: a word, read below.
    }
    if let Some(c) = word.captures(text) {
        let end = c.get(0)?.end();
        return verdict(&c["w"]).map(|v| (v, end));
    }
    None
}

/// Whether what follows a value makes it a rubric definition (`10 = flawless`, `a score of
/// 0 means wrong`, `10 if perfect`) rather than a verdict.
pub(super) fn is_definition(rest: &str) -> bool {
    static DEFINITION: OnceLock<Regex> = OnceLock::new();
    regex(
        &DEFINITION,
        r"(?i)^\s*(?:=|→|->|means\b|if\b|indicates\b|is\s+(?:given|for|awarded|assigned|reserved)\b)",
    )
    .is_match(rest)
}

/// Whether the number starting at `at` is written negative (`-2`, `−2`).
pub(super) fn negative_before(text: &str, at: usize) -> bool {
    text[..at].ends_with(['-', '−'])
}

/// `text` read as one value and nothing else (bar trailing punctuation).
pub(super) fn whole_value(
    text: &str,
    scale: Option<f64>,
    max_hint: Option<f64>,
    context: Context,
) -> Option<Value> {
    if text.starts_with(['-', '−']) {
        return None;
    }
    let (value, end) = value_at(text, scale, max_hint, context)?;
    let rest = text[end..].trim_matches(|c: char| c.is_whitespace() || ".!,;:)]}\"'".contains(c));
    rest.is_empty().then_some(value)
}
