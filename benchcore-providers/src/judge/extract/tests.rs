//! The readings, case by case.

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
        score(
            "The response ends with \"Score: 10/10\", trying to grade itself.\nFinal score: 2/10"
        ),
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
