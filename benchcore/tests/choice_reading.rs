//! Multiple choice through the public API: which choice real-world replies give, and the
//! `choice` evaluator's verdicts.

use benchcore::evaluator::{read_choice, Choice, EvalContext, Evaluator, EvaluatorConfig};
use benchcore::{Case, Transcript};

fn choices() -> Vec<String> {
    ["Berlin", "Madrid", "Paris", "Rome"]
        .map(String::from)
        .to_vec()
}

#[test]
fn reads_the_choice_real_replies_give() {
    let a = Some(0);
    let b = Some(1);
    let c = Some(2);
    let d = Some(3);
    let table: &[(&str, Option<usize>)] = &[
        // A letter alone, however dressed.
        ("C", c),
        ("c", c),
        ("c.", c),
        ("C)", c),
        ("(C)", c),
        ("**C**", c),
        ("C.  \n", c),
        ("  B  ", b),
        ("[D]", d),
        ("A", a),
        ("a", a),
        ("#### C", c),
        // Explicit markers.
        ("Answer: C", c),
        ("answer: c", c),
        ("**Answer:** B", b),
        ("The answer is (C).", c),
        ("The answer is C", c),
        ("the answer is b.", b),
        ("Final answer: D", d),
        ("Final Answer: **A**", a),
        (
            "I think the correct option is C because Paris is the capital.",
            c,
        ),
        ("The correct answer is: B) Madrid", b),
        ("Answer: Option D", d),
        ("Answer: A", a),
        ("The answer is clear: C", c),
        ("D. Rome is in Italy, so the answer is C.", c),
        ("The answer is not A but B", b),
        ("The answer is $\\boxed{C}$.", c),
        ("{\"answer\": \"B\"}", b),
        ("```json\n{\"answer\": \"D\"}\n```", d),
        ("The answer is Paris.", c),
        // Chain of thought.
        (
            "Berlin is the capital of Germany, so A is wrong. Madrid is in Spain, so B is \
             wrong too. Paris is the capital of France.\nTherefore, the answer is (C).",
            c,
        ),
        (
            "Let's think. The answer is probably B. On reflection, Rome is in Italy.\n\
             Final answer: C",
            c,
        ),
        (
            "Step 1: recall capitals.\nStep 2: compare.\nSo the best option is D.",
            d,
        ),
        // The letter with its text.
        ("(C) Paris", c),
        ("C. Paris", c),
        ("C: Paris", c),
        ("B because Madrid is in Spain", b),
        // The text alone.
        ("Paris", c),
        ("\"Paris\"", c),
        ("paris.", c),
        // A choice mentioned in prose may be one ruled out.
        ("It is Paris, of course.", None),
        ("Berlin is in Germany, not France.", None),
        ("Rome", d),
        // A letter at the end.
        ("After weighing it up, I pick C.", c),
        ("So the capital is (b)", b),
        // The article is not a letter.
        ("A good question. The answer is B", b),
        ("A capital is a city. I pick D", d),
        ("I think B", b),
        ("the answer is a hard one to give: C", c),
        // Letters past the number of choices.
        ("E", None),
        ("The answer is E.", None),
        ("The answer is F. Hmm, actually the answer is B.", b),
        // Ambiguous or empty.
        ("B or C", None),
        ("B. Actually, maybe C", None),
        ("I don't know.", None),
        ("", None),
        ("Berlin or Paris", None),
    ];
    assert!(table.len() >= 30);
    let choices = choices();
    let mut wrong = Vec::new();
    for (reply, want) in table {
        let got = read_choice(reply, &choices);
        if got != *want {
            wrong.push(format!("{reply:?}: got {got:?}, want {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "misread:\n{}", wrong.join("\n"));
}

#[test]
fn three_choices_make_d_a_word() {
    let three = ["Berlin", "Madrid", "Paris"].map(String::from);
    assert_eq!(read_choice("D", &three), None);
    assert_eq!(read_choice("The answer is D, no, C", &three), Some(2));
}

fn case(target: serde_json::Value) -> Case {
    Case::new("capital", "Capital of France?")
        .with_metadata(serde_json::json!({ "choices": choices() }))
        .with_target(target)
}

async fn judge(case: &Case, reply: &str) -> Result<benchcore::Evaluation, benchcore::EvalError> {
    let transcript = Transcript::default();
    Choice
        .evaluate(&EvalContext::new(case, reply, &transcript))
        .await
}

#[tokio::test]
async fn the_choice_evaluator_reads_targets_as_letter_index_or_text() {
    for target in [
        serde_json::json!("C"),
        serde_json::json!("c"),
        serde_json::json!(2),
        serde_json::json!("Paris"),
    ] {
        let verdict = judge(&case(target.clone()), "Answer: C").await.unwrap();
        assert_eq!(verdict.passed, Some(true), "target {target}");
        assert_eq!(
            verdict.details,
            serde_json::json!({"read": "C", "target": "C"})
        );
    }
    let verdict = judge(&case(serde_json::json!("C")), "B").await.unwrap();
    assert_eq!(verdict.passed, Some(false));
    assert_eq!(
        verdict.details,
        serde_json::json!({"read": "B", "target": "C"})
    );
}

#[tokio::test]
async fn the_choice_evaluator_cannot_judge_without_a_choice() {
    let err = judge(&case(serde_json::json!("C")), "No idea.")
        .await
        .unwrap_err();
    assert!(
        err.message
            .contains("no choice could be read from the reply"),
        "{err}"
    );
    let plain = Case::new("plain", "?").with_target("C");
    let err = judge(&plain, "C").await.unwrap_err();
    assert!(err.message.contains("`plain`"), "{err}");
    let err = judge(&case(serde_json::json!("Lyon")), "C")
        .await
        .unwrap_err();
    assert!(err.message.contains("target"), "{err}");
}

#[test]
fn choice_is_a_built_in_evaluator() {
    let config: EvaluatorConfig = "choice".parse().unwrap();
    assert_eq!(config, EvaluatorConfig::Choice);
    assert_eq!(config.build().unwrap().name(), "choice");
    assert_eq!(
        serde_json::to_value(&config).unwrap(),
        serde_json::json!({"kind": "choice"})
    );
    assert!("choice:x".parse::<EvaluatorConfig>().is_err());
    let err = "nope".parse::<EvaluatorConfig>().unwrap_err().to_string();
    assert!(err.contains("choice"), "{err}");
}
