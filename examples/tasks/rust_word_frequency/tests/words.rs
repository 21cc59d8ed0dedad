use word_frequency::top_words;

fn owned(v: &[(&str, usize)]) -> Vec<(String, usize)> {
    v.iter().map(|(w, n)| (w.to_string(), *n)).collect()
}

#[test]
fn counts_case_insensitively() {
    assert_eq!(
        top_words("The cat and the hat. THE END", 2),
        owned(&[("the", 3), ("and", 1)])
    );
}

#[test]
fn ties_are_alphabetical() {
    assert_eq!(top_words("b a c b a c", 3), owned(&[("a", 2), ("b", 2), ("c", 2)]));
}

#[test]
fn apostrophes_and_punctuation() {
    assert_eq!(
        top_words("'quoted' don't, DON'T; '' x-ray", 10),
        owned(&[("don't", 2), ("quoted", 1), ("ray", 1), ("x", 1)])
    );
}

#[test]
fn fewer_words_than_k() {
    assert_eq!(top_words("one", 5), owned(&[("one", 1)]));
    assert!(top_words("  ...  ", 5).is_empty());
}
