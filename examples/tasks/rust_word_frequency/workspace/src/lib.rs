//! Word frequencies.

pub fn top_words(text: &str, k: usize) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = text
        .split_whitespace()
        .map(|w| (w.to_string(), 1))
        .collect();
    out.truncate(k);
    out
}
