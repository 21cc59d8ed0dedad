//! Plain-text measurements the built-in tests share: words, questions, content words.

use std::collections::HashSet;

/// Words of a text: whitespace-separated tokens holding a letter or a digit.
pub(super) fn word_count(text: &str) -> usize {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

/// The sentences of a text that end with a question mark, trimmed.
pub(super) fn questions(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        current.push(c);
        let ends = matches!(c, '.' | '!' | '?' | '\n')
            && chars
                .peek()
                .is_none_or(|next| next.is_whitespace() || matches!(next, '"' | '\'' | ')'));
        // An ellipsis (`why... was it`) does not end a sentence.
        let ends = ends && !(c == '.' && current.ends_with(".."));
        if ends || chars.peek().is_none() {
            let sentence = current.trim();
            if sentence
                .trim_end_matches(['"', '\'', ')', '!'])
                .ends_with('?')
            {
                found.push(sentence.to_owned());
            }
            current.clear();
        }
    }
    found
}

/// A text lowercased to its words, for comparing questions.
pub(super) fn normalized(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Words that carry no topic of their own.
const STOPWORDS: &[&str] = &[
    "about",
    "above",
    "after",
    "again",
    "also",
    "always",
    "am",
    "and",
    "any",
    "are",
    "because",
    "been",
    "before",
    "being",
    "both",
    "but",
    "can",
    "could",
    "did",
    "does",
    "doing",
    "done",
    "down",
    "during",
    "each",
    "even",
    "ever",
    "every",
    "from",
    "further",
    "going",
    "have",
    "having",
    "here",
    "hers",
    "herself",
    "himself",
    "into",
    "its",
    "itself",
    "just",
    "know",
    "like",
    "made",
    "make",
    "many",
    "maybe",
    "more",
    "most",
    "much",
    "must",
    "myself",
    "never",
    "only",
    "other",
    "ours",
    "ourselves",
    "over",
    "really",
    "same",
    "should",
    "some",
    "such",
    "than",
    "that",
    "that's",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "thing",
    "things",
    "think",
    "this",
    "those",
    "through",
    "under",
    "until",
    "very",
    "want",
    "well",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "will",
    "with",
    "would",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "i'm",
    "it's",
    "don't",
    "didn't",
    "you're",
    "we're",
    "they're",
    "i've",
    "you've",
    "can't",
    "won't",
    "isn't",
    "aren't",
    "wasn't",
    "thanks",
    "thank",
    "okay",
    "yeah",
    "sure",
    "great",
    "good",
    "tell",
    "said",
    "say",
    "says",
    "quite",
    "pretty",
    "lot",
    "lots",
    "still",
    "kind",
    "sort",
];

/// The topic words of a text: lowercased words of four letters or more that are not
/// stopwords, a plural `s` dropped.
pub(super) fn content_words(text: &str) -> HashSet<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.trim_matches('\''))
        .filter(|w| w.chars().count() >= 4 && !STOPWORDS.contains(w))
        .map(|w| {
            if w.len() > 4 && w.ends_with('s') && !w.ends_with("ss") {
                w[..w.len() - 1].to_owned()
            } else {
                w.to_owned()
            }
        })
        .collect()
}

/// Whether `text` holds `phrase` as whole words (both already lowercase).
pub(super) fn has_phrase(text: &str, phrase: &str) -> bool {
    let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
    !phrase.is_empty()
        && text.match_indices(phrase).any(|(at, _)| {
            edge(text[..at].chars().next_back()) && edge(text[at + phrase.len()..].chars().next())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_words_and_finds_questions() {
        assert_eq!(word_count("Hello there - how are you?"), 5);
        assert_eq!(
            questions("Thanks! How did it start? Tell me more. And why... was it hard?"),
            vec!["How did it start?", "And why... was it hard?"]
        );
        assert_eq!(
            questions("What is 3.5 times 2?"),
            vec!["What is 3.5 times 2?"]
        );
        assert_eq!(questions("No questions here."), Vec::<String>::new());
        assert_eq!(questions("Really?!"), vec!["Really?!"]);
    }

    #[test]
    fn content_words_skip_stopwords_and_plurals() {
        let words = content_words("I drink coffees every morning, it's really my ritual.");
        assert!(words.contains("coffee") && words.contains("morning") && words.contains("ritual"));
        assert!(!words.contains("really") && !words.contains("every"));
    }

    #[test]
    fn phrases_match_whole_words() {
        assert!(has_phrase("well, goodbye now", "goodbye"));
        assert!(!has_phrase("maybe", "bye"));
        assert!(has_phrase("i see.", "i see"));
    }
}
