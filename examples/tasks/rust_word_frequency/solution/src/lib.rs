//! Word frequencies.

use std::collections::HashMap;

pub fn top_words(text: &str, k: usize) -> Vec<(String, usize)> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for run in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '\'')) {
        let word = run.trim_matches('\'');
        if word.is_empty() {
            continue;
        }
        *counts.entry(word.to_ascii_lowercase()).or_insert(0) += 1;
    }
    let mut out: Vec<(String, usize)> = counts.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out.truncate(k);
    out
}
