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

use regex::Regex;
use serde::Serialize;
use std::sync::OnceLock;

/// Longest reply read, in bytes; judges that write more are cut here.
const MAX_REPLY_BYTES: usize = 64 * 1024;

/// Most `{` tried as the start of a JSON object.
const MAX_JSON_STARTS: usize = 256;

/// Longest rationale kept, in characters.
const MAX_RATIONALE_CHARS: usize = 2000;

/// How a score was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ScoreFormat {
    /// A JSON object.
    Json,
    /// A labelled value (`Score: 7/10`, `[[7]]`).
    Labelled,
    /// A fraction in prose (`7/10`, `8.5 out of 10`).
    Fraction,
    /// A percentage in prose.
    Percent,
    /// A line that is only a value.
    Alone,
    /// An upper-case PASS or FAIL in prose.
    Verdict,
    /// Words such as `correct` or `incorrect`.
    Words,
}

/// A score read from a judge's reply.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ExtractedScore {
    /// The score, normalised to [0, 1].
    pub score: f64,
    /// What was read, as written or normalised for people: `8/10`, `85%`, `B+`, `pass`.
    pub label: String,
    /// How it was written.
    pub format: ScoreFormat,
    /// The judge's reasoning: the JSON rationale, else the reply without the score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
}

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

/// A score and how to show it.
#[derive(Debug, Clone, PartialEq)]
struct Value {
    score: f64,
    label: String,
}

/// A value found at a place in the text (byte range of the whole expression).
type Found = (Value, (usize, usize), ScoreFormat);

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

/// Drops emphasis and code markers (`**`, `*`, `__`, `` ` ``) so labels read as plain text.
fn strip_markup(text: &str) -> String {
    text.replace("**", "")
        .replace("__", "")
        .replace(['*', '`'], "")
}

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("score pattern compiles"))
}

/// A non-negative decimal number.
const NUM: &str = r"(?:\d+(?:\.\d+)?|\.\d+)";

// ---------------------------------------------------------------------------------------
// Numbers, scales and values

fn parse_num(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// `n` as people write it: `7`, `8.5`.
fn show(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        let text = format!("{n:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// `n` out of an explicit maximum.
fn out_of(n: f64, max: f64) -> Option<Value> {
    (max > 0.0 && (0.0..=max).contains(&n)).then(|| Value {
        score: n / max,
        label: format!("{}/{}", show(n), show(max)),
    })
}

/// A number with no stated maximum: on `scale` when it fits (a non-integer below 1 is read
/// as 0–1 even then), else 0–1, 0–10 or 0–100 by size.
fn bare(n: f64, scale: Option<f64>) -> Option<Value> {
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

fn percent(n: f64) -> Option<Value> {
    (0.0..=100.0).contains(&n).then(|| Value {
        score: n / 100.0,
        label: format!("{}%", show(n)),
    })
}

/// A letter grade's score: the lower bound of its usual US percentage band, A+ at 1, F and
/// E at 0.
fn grade(letter: char, modifier: &str) -> Option<Value> {
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
fn verdict(word: &str) -> Option<Value> {
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
enum Context {
    /// After a `grade` label: a bare letter is a grade even with words after it.
    Grade,
    /// After another label, or alone on a line.
    Other,
}

/// Reads a value at the very start of `text`: a fraction, a percentage, a number, a letter
/// grade or a verdict word. Returns it and the bytes it took.
fn value_at(
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
fn is_definition(rest: &str) -> bool {
    static DEFINITION: OnceLock<Regex> = OnceLock::new();
    regex(
        &DEFINITION,
        r"(?i)^\s*(?:=|→|->|means\b|if\b|indicates\b|is\s+(?:given|for|awarded|assigned|reserved)\b)",
    )
    .is_match(rest)
}

/// Whether the number starting at `at` is written negative (`-2`, `−2`).
fn negative_before(text: &str, at: usize) -> bool {
    text[..at].ends_with(['-', '−'])
}

// ---------------------------------------------------------------------------------------
// 1. JSON

enum JsonReading {
    Found(ExtractedScore),
    /// An object has a score key, but its score cannot be read.
    Invalid,
    Absent,
}

/// Every top-level JSON object in `text`, with its byte range.
fn json_objects(text: &str) -> Vec<(usize, usize, serde_json::Map<String, serde_json::Value>)> {
    let mut found = Vec::new();
    let mut from = 0;
    let mut tries = 0;
    while let Some(offset) = text[from..].find('{') {
        let start = from + offset;
        tries += 1;
        if tries > MAX_JSON_STARTS {
            break;
        }
        let mut stream =
            serde_json::Deserializer::from_str(&text[start..]).into_iter::<serde_json::Value>();
        match stream.next() {
            Some(Ok(serde_json::Value::Object(map))) => {
                let end = start + stream.byte_offset();
                found.push((start, end, map));
                from = end;
            }
            _ => from = start + 1,
        }
    }
    found
}

/// A key without case, `_`, `-` or spaces.
fn squash(key: &str) -> String {
    key.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

const SCORE_KEYS: &[&str] = &[
    "finalscore",
    "overallscore",
    "score",
    "rating",
    "finalrating",
    "grade",
    "finalgrade",
    "points",
    "verdict",
    "finalverdict",
    "judgment",
    "judgement",
    "pass",
    "passed",
    "correct",
    "iscorrect",
];
const MAX_KEYS: &[&str] = &["max", "maxscore", "outof", "scale", "maximum", "scalemax"];
const RATIONALE_KEYS: &[&str] = &[
    "rationale",
    "reasoning",
    "reason",
    "explanation",
    "justification",
    "feedback",
    "comment",
    "comments",
    "critique",
    "analysis",
];

/// The first key of `keys` (in their order) that `map` has, searching nested objects too.
fn find_key<'a>(
    map: &'a serde_json::Map<String, serde_json::Value>,
    keys: &[&str],
    depth: usize,
) -> Option<&'a serde_json::Value> {
    let squashed: Vec<(String, &serde_json::Value)> =
        map.iter().map(|(k, v)| (squash(k), v)).collect();
    for key in keys {
        if let Some((_, value)) = squashed.iter().find(|(k, _)| k == key) {
            return Some(value);
        }
    }
    if depth == 0 {
        return None;
    }
    map.values()
        .filter_map(serde_json::Value::as_object)
        .find_map(|inner| find_key(inner, keys, depth - 1))
}

fn from_json(text: &str, scale: Option<f64>) -> JsonReading {
    let objects = json_objects(text);
    let Some((start, end, map, score)) = objects
        .iter()
        .rev()
        .find_map(|(s, e, m)| find_key(m, SCORE_KEYS, 2).map(|v| (*s, *e, m, v)))
    else {
        return JsonReading::Absent;
    };
    let max = find_key(map, MAX_KEYS, 2).and_then(|m| match m {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => parse_num(s.trim()),
        _ => None,
    });
    let value = match score {
        serde_json::Value::Number(n) => n.as_f64().and_then(|n| match max {
            Some(max) => out_of(n, max),
            None => bare(n, scale),
        }),
        serde_json::Value::Bool(b) => verdict(if *b { "pass" } else { "fail" }),
        serde_json::Value::String(s) => whole_value(s.trim(), scale, max, Context::Grade),
        _ => None,
    };
    let Some(value) = value else {
        return JsonReading::Invalid;
    };
    let rationale = find_key(map, RATIONALE_KEYS, 2)
        .and_then(|r| match r {
            serde_json::Value::String(s) => Some(s.trim().to_owned()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        })
        .filter(|r| !r.is_empty())
        .map(|r| shorten(&r))
        .or_else(|| rationale_around(text, (start, end)));
    JsonReading::Found(ExtractedScore {
        score: value.score,
        label: value.label,
        format: ScoreFormat::Json,
        rationale,
    })
}

/// `text` read as one value and nothing else (bar trailing punctuation).
fn whole_value(
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

// ---------------------------------------------------------------------------------------
// 2. Labels

fn from_labels(text: &str, scale: Option<f64>) -> Option<Found> {
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
fn labelled_value(
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
fn last_in_prose(
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

fn from_fractions(text: &str) -> Option<Found> {
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

fn from_percents(text: &str) -> Option<Found> {
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

fn from_lines(text: &str, scale: Option<f64>) -> Option<Found> {
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

fn from_verdicts(text: &str) -> Option<Found> {
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

fn from_words(text: &str) -> Option<Found> {
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

// ---------------------------------------------------------------------------------------
// Rationale

/// The reply without the score expression at `span`, without fences, headings and a
/// leading `Rationale:` label; `None` when nothing worded is left.
fn rationale_around(text: &str, span: (usize, usize)) -> Option<String> {
    static LABEL: OnceLock<Regex> = OnceLock::new();
    static FENCE: OnceLock<Regex> = OnceLock::new();
    let label = regex(
        &LABEL,
        r"(?i)^\s*(?:rationale|reasoning|reason|explanation|justification|feedback)\s*[:\-–—]\s*",
    );
    let fence = regex(&FENCE, r"(?m)^[ \t]*(?:```|~~~)[\w-]*[ \t]*$");
    let before = text[..span.0].trim_end();
    let after = text[span.1..]
        .trim_start_matches(|c: char| c.is_whitespace() || "-–—:,.;)]}*\"'".contains(c));
    let joined = match (before.is_empty(), after.is_empty()) {
        (false, false) => format!("{before}\n{after}"),
        (false, true) => before.to_owned(),
        (true, _) => after.to_owned(),
    };
    let without_fences = fence.replace_all(&joined, "");
    let cleaned = without_fences
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(|l| label.replace(l, "").into_owned())
        .collect::<Vec<_>>()
        .join("\n");
    let cleaned = cleaned.trim();
    cleaned
        .chars()
        .any(char::is_alphabetic)
        .then(|| shorten(cleaned))
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_RATIONALE_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The score read from `reply` on a 0–10 request.
    fn score(reply: &str) -> Option<f64> {
        extract_score(reply, Some(10.0)).map(|s| (s.score * 10_000.0).round() / 10_000.0)
    }

    fn read(reply: &str, scale: Option<f64>) -> ExtractedScore {
        extract_score(reply, scale).unwrap_or_else(|| panic!("no score in {reply:?}"))
    }

    #[test]
    fn json_objects_with_max_and_rationale() {
        let s = read(
            r#"{"score": 7, "max": 10, "rationale": "Mostly right."}"#,
            None,
        );
        assert_eq!((s.score, s.format), (0.7, ScoreFormat::Json));
        assert_eq!(s.label, "7/10");
        assert_eq!(s.rationale.as_deref(), Some("Mostly right."));
    }

    #[test]
    fn json_in_a_fence_with_prose_around() {
        let reply = "Here is my evaluation.\n\n```json\n{\n  \"score\": 4,\n  \"out_of\": 5,\n  \"reasoning\": \"Clear and correct, a little terse.\"\n}\n```\nHope this helps!";
        let s = read(reply, Some(10.0));
        assert_eq!(s.score, 0.8);
        assert_eq!(
            s.rationale.as_deref(),
            Some("Clear and correct, a little terse.")
        );
    }

    #[test]
    fn json_without_a_rationale_keeps_the_prose() {
        let s = read(
            "The reply misses the second part.\n{\"rating\": 3}",
            Some(10.0),
        );
        assert_eq!(s.score, 0.3);
        assert_eq!(
            s.rationale.as_deref(),
            Some("The reply misses the second part.")
        );
    }

    #[test]
    fn json_nested_string_letter_and_boolean_scores() {
        assert_eq!(
            score(r#"{"evaluation": {"final_score": 9, "scale": 10}}"#),
            Some(0.9)
        );
        assert_eq!(score(r#"{"score": "8/10"}"#), Some(0.8));
        assert_eq!(score(r#"{"Score": "85%"}"#), Some(0.85));
        assert_eq!(score(r#"{"grade": "B+"}"#), Some(0.87));
        assert_eq!(score(r#"{"verdict": "PASS"}"#), Some(1.0));
        assert_eq!(
            score(r#"{"correct": false, "why": "off by one"}"#),
            Some(0.0)
        );
        assert_eq!(score(r#"{"is_correct": true}"#), Some(1.0));
    }

    #[test]
    fn the_last_json_object_with_a_score_wins() {
        let reply = r#"First draft: {"score": 3}. Revised: {"score": 6, "rationale": "on reflection"} {"note": "no score here"}"#;
        let s = read(reply, Some(10.0));
        assert_eq!(s.score, 0.6);
        assert_eq!(s.rationale.as_deref(), Some("on reflection"));
    }

    #[test]
    fn an_invalid_json_score_is_unreadable_not_guessed() {
        assert_eq!(score(r#"{"score": 12, "max": 10}"#), None);
        assert_eq!(score(r#"{"score": -1}"#), None);
        assert_eq!(
            score(r#"{"score": "N/A", "rationale": "Score: 7/10"}"#),
            None
        );
        assert_eq!(score(r#"{"score": null}"#), None);
    }

    #[test]
    fn json_without_a_score_falls_through_to_prose() {
        assert_eq!(score("{\"notes\": [1, 2, 3]}\nScore: 6/10"), Some(0.6));
        // Python-style dicts are not JSON, but their label still reads.
        assert_eq!(score("{'score': 8, 'rationale': 'fine'}"), Some(0.8));
    }

    #[test]
    fn labelled_fractions_in_every_spacing() {
        assert_eq!(score("Score: 7/10"), Some(0.7));
        assert_eq!(score("Score: 7 / 10"), Some(0.7));
        assert_eq!(score("score = 3 out of 4"), Some(0.75));
        assert_eq!(score("Rating: 4 of 5"), Some(0.8));
        assert_eq!(score("Score: 0/10 - nothing right"), Some(0.0));
        let s = read("The score is 8.5/10.", Some(10.0));
        assert_eq!((s.score, s.label.as_str()), (0.85, "8.5/10"));
    }

    #[test]
    fn prose_fractions_and_out_of() {
        assert_eq!(score("I would give it 8.5 out of 10."), Some(0.85));
        assert_eq!(score("I'd rate it 4 out of 5."), Some(0.8));
        assert_eq!(score("Solid work: 7 / 10"), Some(0.7));
        // The last fraction is the conclusion.
        assert_eq!(
            score("I'd give this a 7/10. On reflection, 6/10 is fairer."),
            Some(0.6)
        );
    }

    #[test]
    fn an_explicit_final_score_beats_earlier_ones() {
        let s = read(
            "7/10 is what I'd give at first glance, since the derivation is long. \
             But every step checks out.\nFinal score: 9/10",
            Some(10.0),
        );
        assert_eq!(s.score, 0.9);
        assert_eq!(s.format, ScoreFormat::Labelled);
        assert!(
            s.rationale.as_deref().unwrap().starts_with("7/10 is what"),
            "{:?}",
            s.rationale
        );
        assert_eq!(
            score("Overall: 8/10\nAccuracy score: 10/10, style score: 4/10"),
            Some(0.8)
        );
        assert_eq!(score("Final verdict: PASS"), Some(1.0));
        assert_eq!(score("Verdict: FAIL"), Some(0.0));
        // Restating the task's final answer is not a score.
        assert_eq!(
            score("There are in total 3 steps; the model's final answer is 42.\nScore: 7/10"),
            Some(0.7)
        );
    }

    #[test]
    fn several_plain_labels_take_the_last() {
        assert_eq!(score("Accuracy score: 8/10\nStyle score: 4/10"), Some(0.4));
    }

    #[test]
    fn mt_bench_brackets() {
        assert_eq!(score("Rating: [[8]]"), Some(0.8));
        assert_eq!(score("The answer is thorough.\n\n[[3]]"), Some(0.3));
        assert_eq!(score("[[7]] now, but Score: 2/10 earlier"), Some(0.7));
    }

    #[test]
    fn percentages() {
        assert_eq!(score("85%"), Some(0.85));
        assert_eq!(score("Score: 72 %"), Some(0.72));
        assert_eq!(score("I'd say it deserves 90 percent."), Some(0.9));
        assert_eq!(score("Score: 150%"), None);
    }

    #[test]
    fn bare_numbers_on_the_requested_scale() {
        assert_eq!(score("8"), Some(0.8));
        assert_eq!(score("8."), Some(0.8));
        assert_eq!(score("1"), Some(0.1));
        assert_eq!(extract_score("1", Some(1.0)).unwrap().score, 1.0);
        assert_eq!(extract_score("80", Some(100.0)).unwrap().score, 0.8);
        assert_eq!(score("0"), Some(0.0));
        // Beyond the scale, the size decides.
        assert_eq!(score("85"), Some(0.85));
        assert_eq!(extract_score("7", Some(5.0)).unwrap().score, 0.7);
        // A non-integer below 1 is 0–1 even on a 0–10 request.
        assert_eq!(score("0.7"), Some(0.7));
        // Without a scale: 0–1, 0–10, 0–100 by size.
        assert_eq!(extract_score("0.25", None).unwrap().score, 0.25);
        assert_eq!(extract_score("6", None).unwrap().score, 0.6);
        assert_eq!(extract_score("42", None).unwrap().score, 0.42);
        assert_eq!(score("250"), None);
    }

    #[test]
    fn a_number_alone_on_a_line_with_reasons_around_it() {
        let s = read("9\nThe answer is right and well argued.", Some(10.0));
        assert_eq!((s.score, s.format), (0.9, ScoreFormat::Alone));
        assert_eq!(
            s.rationale.as_deref(),
            Some("The answer is right and well argued.")
        );
        assert_eq!(
            score("The reply is mostly right but skips a case.\n\n**6**"),
            Some(0.6)
        );
        assert_eq!(score("- 7"), Some(0.7));
    }

    #[test]
    fn letter_grades() {
        assert_eq!(score("A+"), Some(1.0));
        assert_eq!(score("A"), Some(0.93));
        assert_eq!(score("Grade: B"), Some(0.83));
        assert_eq!(score("Grade: C- (below average)"), Some(0.7));
        assert_eq!(score("Grade: B because the proof has a gap."), Some(0.83));
        assert_eq!(score("F"), Some(0.0));
        assert_eq!(score(r#"{"grade": "E"}"#), Some(0.0));
        // An article is not a grade.
        assert_eq!(score("Verdict: A good answer overall."), None);
        assert_eq!(score("a"), None);
    }

    #[test]
    fn pass_and_fail() {
        assert_eq!(score("PASS"), Some(1.0));
        assert_eq!(score("Fail."), Some(0.0));
        assert_eq!(score("Verdict: fail"), Some(0.0));
        assert_eq!(score("The sum is off by one. FAIL"), Some(0.0));
        assert_eq!(score("PASS? No. The units are wrong: FAILED"), Some(0.0));
        assert_eq!(score("yes"), Some(1.0));
        assert_eq!(score("No."), Some(0.0));
    }

    #[test]
    fn words_only_as_a_last_resort() {
        assert_eq!(score("The response is correct."), Some(1.0));
        assert_eq!(score("The response is incorrect."), Some(0.0));
        assert_eq!(
            score("It is not correct: the capital is Canberra."),
            Some(0.0)
        );
        assert_eq!(score("Partly correct, partly wrong."), None);
        // A score wins over words.
        assert_eq!(
            score("Incorrect reasoning, correct result. Score: 6/10"),
            Some(0.6)
        );
        let s = read("The response is accurate.", Some(10.0));
        assert_eq!((s.score, s.format), (1.0, ScoreFormat::Words));
        assert_eq!(read("Correct.", Some(10.0)).format, ScoreFormat::Alone);
    }

    #[test]
    fn numbers_in_an_echoed_rubric_are_not_scores() {
        let echo = "Rubric: a score of 10 means flawless, a score of 0 means wrong; \
                    5 = partially right.";
        assert_eq!(score(&format!("{echo}\nScore: 6")), Some(0.6));
        assert_eq!(score(&format!("Score: 6\n{echo}")), Some(0.6));
        assert_eq!(
            score("Score 10 if perfect, 0 if wrong. My score: 4"),
            Some(0.4)
        );
        assert_eq!(score("I give a score of 8 for this response."), Some(0.8));
        assert_eq!(score("Rate on a scale of 1 to 10."), None);
        assert_eq!(score("Scores range from 0 to 10."), None);
        assert_eq!(score("Score (0-10): 7"), Some(0.7));
        assert_eq!(score("Score (out of 5): 4"), Some(0.8));
        assert_eq!(score("Rating (1-5): 5"), Some(1.0));
    }

    #[test]
    fn a_quoted_score_loses_to_the_judges_own() {
        assert_eq!(
            score("The response ends with \"Score: 10/10\", trying to grade itself.\nFinal score: 2/10"),
            Some(0.2)
        );
    }

    #[test]
    fn markdown_is_read_through() {
        let s = read(
            "## Evaluation\n**Score:** 9/10\n\n**Rationale:** precise and complete.",
            Some(10.0),
        );
        assert_eq!(s.score, 0.9);
        assert_eq!(s.rationale.as_deref(), Some("precise and complete."));
        assert_eq!(score("*Rating*: `7`"), Some(0.7));
    }

    #[test]
    fn the_rationale_is_what_surrounds_the_score() {
        let s = read("Score: 8/10 — good", Some(10.0));
        assert_eq!(s.rationale.as_deref(), Some("good"));
        let s = read("The answer is right.\nScore: 8/10", Some(10.0));
        assert_eq!(s.rationale.as_deref(), Some("The answer is right."));
        assert_eq!(read("Score: 8/10", Some(10.0)).rationale, None);
    }

    #[test]
    fn unreadable_replies() {
        for reply in [
            "",
            "   \n ",
            "I cannot evaluate this response.",
            "The answer lists 3 approaches and 2 caveats.",
            "Score: N/A",
            "Score: -2",
            "Score:-1",
            "Score: 11/10",
            "The meeting is on 12/05/2024.",
            "Version 1.2.3 of the spec",
            "The response mentions 1/2/3 as a sequence.",
            "{\"score\": \"excellent\"}",
            "Score: high",
        ] {
            assert_eq!(score(reply), None, "{reply:?}");
        }
    }

    #[test]
    fn very_long_and_odd_replies_do_not_panic() {
        let long = format!("{}Score: 5/10", "{ not json ".repeat(20_000));
        let _ = extract_score(&long, Some(10.0));
        let unicode = "Évaluation : très bien ✓ — note 8/10 ✓✓";
        assert_eq!(score(unicode), Some(0.8));
        let _ = extract_score("−5 ½ ⅞ 10/0 0/0 .5/ /5 5/ %", Some(10.0));
        assert_eq!(score("10/0"), None);
    }
}
