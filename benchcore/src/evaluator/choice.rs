//! Multiple choice: reading which choice a free-form reply gives ([`read_choice`]), and the
//! [`Choice`] evaluator that compares it with the case's target.
//!
//! A case is multiple choice when `metadata.choices` is a list of strings, shown to the model
//! as `A. …`, `B. …`; its target is the correct letter (`"C"`), a 0-based index (`2`) or the
//! choice's text.

use super::{EvalContext, EvalError, Evaluation, Evaluator};
use crate::Case;
use async_trait::async_trait;
use regex::Regex;
use std::sync::OnceLock;

/// The letter of the choice at `index` (`0` → `'A'`); choices past `Z` have none.
///
/// ```
/// assert_eq!(benchcore::evaluator::choice_letter(2), Some('C'));
/// ```
pub fn choice_letter(index: usize) -> Option<char> {
    u8::try_from(index)
        .ok()
        .filter(|i| *i < 26)
        .map(|i| char::from(b'A' + i))
}

/// The case's choices (`metadata.choices`), or `None` when it is not multiple choice.
///
/// ```
/// use benchcore::Case;
/// let case = Case::new("q", "Capital of France?")
///     .with_metadata(serde_json::json!({"choices": ["London", "Paris"]}));
/// assert_eq!(benchcore::evaluator::case_choices(&case).unwrap(), ["London", "Paris"]);
/// ```
pub fn case_choices(case: &Case) -> Option<Vec<String>> {
    let list = case.metadata.get("choices")?.as_array()?;
    list.iter()
        .map(|c| c.as_str().map(str::to_owned))
        .collect::<Option<Vec<_>>>()
        .filter(|c| !c.is_empty())
}

/// Which choice a reply gives, as a 0-based index, or `None` when it gives none or several.
///
/// In order of preference: an explicit answer marker (`Answer: C`, `The answer is (C).`,
/// `Final answer: C`, `{"answer": "C"}`, the last one winning, a `final answer` over the
/// others); then a standalone letter at the start (`C.`, `(C) Paris`, `**C**`) or end
/// (`… so C.`) of the reply, two different ones being ambiguous; then the one choice whose
/// text the reply is (`"Paris"`). Letters past the number of choices are never read, and
/// the article "A" in prose (`A good question …`) is not a letter.
///
/// ```
/// use benchcore::evaluator::read_choice;
/// let choices = ["Berlin", "Madrid", "Paris", "Rome"].map(String::from);
/// assert_eq!(read_choice("A good question. The answer is (C).", &choices), Some(2));
/// assert_eq!(read_choice("**B**", &choices), Some(1));
/// assert_eq!(read_choice("\"Paris\"", &choices), Some(2));
/// assert_eq!(read_choice("B or C", &choices), None);
/// ```
pub fn read_choice(reply: &str, choices: &[String]) -> Option<usize> {
    let n = choices.len().min(26);
    if n == 0 {
        return None;
    }
    if let Some(i) = after_markers(reply, choices, n) {
        return Some(i);
    }
    match (leading_letter(reply, n), trailing_letter(reply, n)) {
        (Some(a), Some(b)) if a != b => return None,
        (Some(a), _) | (None, Some(a)) => return Some(a),
        (None, None) => {}
    }
    by_text(reply, choices)
}

fn marker_pattern() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    PATTERN.get_or_init(|| {
        Regex::new(
            r#"(?i)\b(final\s+answer|(?:correct|right|best)\s+(?:answer|option|choice|letter|response)|answer)\b["'*_]*\s*(?:(?:is|would\s+be|should\s+be|will\s+be|must\s+be|:|=)\s*)*(?:(?:option|choice|letter)\b\s*)?"#,
        )
        .expect("marker pattern compiles")
    })
}

/// The choice given after the last answer marker that gives one; `final answer` first.
fn after_markers(reply: &str, choices: &[String], n: usize) -> Option<usize> {
    let mut last = None;
    let mut last_final = None;
    for captures in marker_pattern().captures_iter(reply) {
        let whole = captures.get(0).expect("group 0 always matches");
        let Some(index) = choice_at(&reply[whole.end()..], choices, n) else {
            continue;
        };
        last = Some(index);
        if captures[1].to_ascii_lowercase().starts_with("final") {
            last_final = Some(index);
        }
    }
    last_final.or(last)
}

/// Decoration around an answer: markdown, brackets, quotes, LaTeX.
fn is_decoration(c: char) -> bool {
    c.is_whitespace() || "*_([{\"'`$#>:".contains(c)
}

/// The choice that `text` (what follows a marker) starts with: a letter or a choice's text.
fn choice_at(text: &str, choices: &[String], n: usize) -> Option<usize> {
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(is_decoration);
        match ["\\boxed{", "\\text{", "\\textbf{", "\\mathrm{"]
            .iter()
            .find_map(|p| rest.strip_prefix(p))
        {
            Some(inner) => rest = inner,
            None => break,
        }
    }
    let mut chars = rest.chars();
    if let Some(letter) = chars.next() {
        let after = chars.as_str();
        if let Some(index) = letter_index(letter, n) {
            let bounded = !after.starts_with(|c: char| c.is_alphanumeric());
            // A lowercase `a` followed by a word is the article ("the answer is a guess").
            let article = letter == 'a' && starts_with_word(after);
            if bounded && !article {
                return Some(index);
            }
        }
    }
    let lower = rest.to_lowercase();
    choices
        .iter()
        .enumerate()
        .take(n)
        .map(|(i, c)| (i, c.trim().to_lowercase()))
        .filter(|(_, c)| !c.is_empty() && lower.starts_with(c.as_str()))
        .filter(|(_, c)| !lower[c.len()..].starts_with(|ch: char| ch.is_alphanumeric()))
        .max_by_key(|(_, c)| c.len())
        .map(|(i, _)| i)
}

/// The index of a choice letter, either case, within the first `n`.
fn letter_index(letter: char, n: usize) -> Option<usize> {
    let upper = letter.to_ascii_uppercase();
    upper
        .is_ascii_uppercase()
        .then(|| usize::from(upper as u8 - b'A'))
        .filter(|i| *i < n)
}

/// `text` is whitespace then a lowercase word (prose going on), not `or`/`and`.
fn starts_with_word(text: &str) -> bool {
    let trimmed = text.trim_start_matches([' ', '\t']);
    if trimmed.len() == text.len() {
        return false;
    }
    let word: String = trimmed.chars().take_while(|c| c.is_alphabetic()).collect();
    word.starts_with(|c: char| c.is_lowercase()) && !matches!(word.as_str(), "or" | "and")
}

/// A letter opening the reply: `C`, `C.`, `(C) Paris`, `**C**`, `C because …`.
fn leading_letter(reply: &str, n: usize) -> Option<usize> {
    let rest = reply.trim_start_matches(is_decoration);
    let mut chars = rest.chars();
    let letter = chars.next()?;
    let index = letter_index(letter, n)?;
    let after = chars.as_str();
    let next = after.chars().next();
    let ok = match next {
        None => true,
        Some(c) if c.is_alphanumeric() => false,
        Some(c) if ".):]*,'\"}\n\r".contains(c) => true,
        Some(c) if c.is_whitespace() => {
            // "A good question", "I think": the article and the pronoun, not letters.
            letter.is_ascii_uppercase() && !(matches!(letter, 'A' | 'I') && starts_with_word(after))
        }
        Some(_) => false,
    };
    ok.then_some(index)
}

/// A letter closing the reply: `… so C.`, `… is (b)`, `$\boxed{C}$`.
fn trailing_letter(reply: &str, n: usize) -> Option<usize> {
    let rest = reply.trim_end_matches(|c: char| c.is_whitespace() || ".!*_)]}\"'`$".contains(c));
    let letter = rest.chars().last()?;
    let before = rest[..rest.len() - letter.len_utf8()].chars().last();
    let index = letter_index(letter, n)?;
    let ok = match before {
        None => true,
        Some(c) if c.is_alphanumeric() => false,
        Some(c) => letter.is_ascii_uppercase() || c == '(',
    };
    ok.then_some(index)
}

/// The one choice whose text the reply is, give or take case, quotes, markdown and a final
/// period. A choice merely mentioned in prose is not read: the prose may rule it out.
fn by_text(reply: &str, choices: &[String]) -> Option<usize> {
    let normal = |s: &str| {
        s.trim_matches(|c: char| c.is_whitespace() || ".!*_\"'`".contains(c))
            .to_lowercase()
    };
    let reply = normal(reply);
    let mut equal = choices
        .iter()
        .enumerate()
        .filter(|(_, c)| !reply.is_empty() && normal(c) == reply)
        .map(|(i, _)| i);
    match (equal.next(), equal.next()) {
        (Some(i), None) => Some(i),
        _ => None,
    }
}

/// The indices the case's target names: a letter, a 0-based index, or a choice's text (or
/// a list of them).
fn target_indices(case: &Case, choices: &[String]) -> Result<Vec<usize>, EvalError> {
    let values = match &case.target {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(serde_json::Value::Array(items)) => items.clone(),
        Some(other) => vec![other.clone()],
    };
    let read = |value: &serde_json::Value| -> Option<usize> {
        match value {
            serde_json::Value::Number(n) => n
                .as_u64()
                .and_then(|i| usize::try_from(i).ok())
                .filter(|i| *i < choices.len()),
            serde_json::Value::String(s) => {
                let s = s.trim();
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) if letter_index(c, choices.len()).is_some() => {
                        letter_index(c, choices.len())
                    }
                    _ => choices
                        .iter()
                        .position(|c| c.trim().eq_ignore_ascii_case(s)),
                }
            }
            _ => None,
        }
    };
    if values.is_empty() {
        return Err(EvalError::new(format!(
            "choice: case `{}` has no target",
            case.id
        )));
    }
    values
        .iter()
        .map(|v| {
            read(v).ok_or_else(|| {
                EvalError::new(format!(
                    "choice: case `{}` target {v} is not a letter, an index or the text of one \
                     of its {} choices",
                    case.id,
                    choices.len()
                ))
            })
        })
        .collect()
}

fn letter_text(index: usize) -> String {
    choice_letter(index).map_or_else(|| index.to_string(), String::from)
}

/// Passes when the choice the reply gives (see [`read_choice`]) is the case's target. A reply
/// from which no choice can be read makes the attempt `invalid`, as does a case without
/// choices.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use benchcore::evaluator::{Choice, EvalContext, Evaluator};
/// use benchcore::{Case, Transcript};
/// let case = Case::new("q", "Capital of France?")
///     .with_metadata(serde_json::json!({"choices": ["Berlin", "Madrid", "Paris"]}))
///     .with_target("C");
/// let transcript = Transcript::default();
/// let cx = EvalContext::new(&case, "The answer is (C).", &transcript);
/// let verdict = Choice.evaluate(&cx).await.unwrap();
/// assert_eq!(verdict.passed, Some(true));
/// assert_eq!(verdict.details["read"], "C");
/// # });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Choice;

#[async_trait]
impl Evaluator for Choice {
    fn name(&self) -> &str {
        "choice"
    }

    async fn evaluate(&self, cx: &EvalContext<'_>) -> Result<Evaluation, EvalError> {
        let choices = case_choices(cx.case).ok_or_else(|| {
            EvalError::new(format!(
                "choice: case `{}` is not multiple choice (it needs metadata.choices, a list \
                 of strings)",
                cx.case.id
            ))
        })?;
        let targets = target_indices(cx.case, &choices)?;
        let target = letter_text(targets[0]);
        let Some(read) = read_choice(cx.reply, &choices) else {
            return Err(EvalError::new(format!(
                "no choice could be read from the reply (choices A–{}, target {target})",
                letter_text(choices.len().min(26) - 1)
            )));
        };
        let passed = targets.contains(&read);
        let read_letter = letter_text(read);
        Ok(Evaluation::binary("choice", passed)
            .with_label(if passed { "match" } else { "mismatch" })
            .with_rationale(format!(
                "the reply gives {read_letter} ({:?}); the target is {target}",
                choices[read]
            ))
            .with_details(serde_json::json!({ "read": read_letter, "target": target })))
    }
}
