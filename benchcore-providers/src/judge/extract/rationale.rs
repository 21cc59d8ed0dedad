//! The judge's reasoning around the score: the reply without the score expression, fences,
//! headings and a `Rationale:` label.

use super::score::regex;
use regex::Regex;
use std::sync::OnceLock;

/// Longest rationale kept, in characters.
const MAX_RATIONALE_CHARS: usize = 2000;

/// The reply without the score expression at `span`, without fences, headings and a
/// leading `Rationale:` label; `None` when nothing worded is left.
pub(super) fn rationale_around(text: &str, span: (usize, usize)) -> Option<String> {
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

pub(super) fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_RATIONALE_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
