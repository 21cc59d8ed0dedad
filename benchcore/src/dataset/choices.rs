//! Multiple choice: a record's choices, which one its target names, their letters, and the
//! seeded shuffles that put the right answer elsewhere for each sample.

use super::fields::text;
use serde_json::Value;

/// At most 26 choices: one letter each.
const LETTERS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The letter of choice `i` (`A` for 0).
pub(crate) fn letter(i: usize) -> String {
    LETTERS[i..i + 1].to_owned()
}

/// A record's choices as texts.
pub(crate) fn choice_texts(value: &Value) -> Result<Vec<String>, String> {
    let Value::Array(items) = value else {
        return Err(format!("is not a list of choices but {}", kind(value)));
    };
    if items.len() < 2 {
        return Err(format!(
            "has {} choice(s); at least 2 are needed",
            items.len()
        ));
    }
    if items.len() > LETTERS.len() {
        return Err(format!(
            "has {} choices; at most {} can be lettered",
            items.len(),
            LETTERS.len()
        ));
    }
    items
        .iter()
        .map(|item| match item {
            Value::Array(_) | Value::Object(_) | Value::Null => {
                Err(format!("holds a choice that is {}, not text", kind(item)))
            }
            other => Ok(text(other)),
        })
        .collect()
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Which choice a target names: a 0-based index (number or digits), one of the choices' own
/// labels (`"C"` in ARC, where labels can also be `"1"…"4"`), a letter, the choice's text, or
/// a list of 0/1 flags (TruthfulQA's `labels`) with the first 1 marking it.
pub(crate) fn target_index(
    target: &Value,
    choices: &[String],
    labels: Option<&[String]>,
) -> Result<usize, String> {
    let in_range = |i: usize| {
        (i < choices.len())
            .then_some(i)
            .ok_or_else(|| format!("names choice {i} of {}", choices.len()))
    };
    match target {
        Value::Number(n) => {
            let i = n
                .as_u64()
                .ok_or_else(|| format!("{n} is not a choice index"))?;
            in_range(i as usize)
        }
        Value::Array(flags) => {
            let i = flags
                .iter()
                .position(|f| f.as_i64() == Some(1) || f.as_bool() == Some(true))
                .ok_or("is a list of flags with no 1 in it")?;
            in_range(i)
        }
        Value::String(s) => {
            let s = s.trim();
            if let Some(labels) = labels {
                if let Some(i) = labels.iter().position(|l| l.trim() == s) {
                    return in_range(i);
                }
            }
            if let Ok(i) = s.parse::<usize>() {
                return in_range(i);
            }
            if s.len() == 1 && s.as_bytes()[0].is_ascii_alphabetic() {
                let i = LETTERS
                    .find(s.to_ascii_uppercase().as_str())
                    .unwrap_or(usize::MAX);
                return in_range(i);
            }
            choices
                .iter()
                .position(|c| c.trim() == s)
                .ok_or_else(|| format!("{s:?} is neither a letter, an index nor a choice"))
        }
        other => Err(format!("is {}, not a choice", kind(other))),
    }
}

/// The choices as the prompt lists them: `A. first` a line.
pub(crate) fn choices_block(choices: &[String]) -> String {
    choices
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{}. {}", letter(i), c))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A seeded order of `n` choices for one case and sample: position `j` shows choice
/// `order[j]`. Stable across processes and versions (FNV-1a, SplitMix64, Fisher–Yates),
/// so a resumed run shows every sample the order it showed before.
pub(crate) fn shuffled_order(n: usize, seed: u64, case_id: &str, sample: u32) -> Vec<usize> {
    let mut state = stable_hash(seed, case_id, sample);
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = (split_mix(&mut state) % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

/// SplitMix64: a tiny generator written out here so that orders never change with a
/// dependency's version.
pub(crate) fn split_mix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// FNV-1a over the seed, the id and the sample: the same on every machine.
pub(crate) fn stable_hash(seed: u64, id: &str, sample: u32) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let bytes = seed
        .to_le_bytes()
        .into_iter()
        .chain(id.bytes())
        .chain(sample.to_le_bytes());
    for byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn four() -> Vec<String> {
        ["Paris", "Rome", "Oslo", "Bern"].map(String::from).to_vec()
    }

    #[test]
    fn reads_targets_in_every_published_shape() {
        let c = four();
        assert_eq!(target_index(&json!(2), &c, None), Ok(2));
        assert_eq!(target_index(&json!("2"), &c, None), Ok(2));
        assert_eq!(target_index(&json!("C"), &c, None), Ok(2));
        assert_eq!(target_index(&json!("c"), &c, None), Ok(2));
        assert_eq!(target_index(&json!("Oslo"), &c, None), Ok(2));
        assert_eq!(target_index(&json!([0, 0, 1, 0]), &c, None), Ok(2));
        let labels = ["1", "2", "3", "4"].map(String::from);
        assert_eq!(target_index(&json!("3"), &c, Some(&labels)), Ok(2));
        assert!(target_index(&json!(7), &c, None).is_err());
        assert!(target_index(&json!("Z"), &c, None).is_err());
        assert!(target_index(&json!("Madrid"), &c, None).is_err());
        assert!(target_index(&json!(null), &c, None).is_err());
    }

    #[test]
    fn refuses_choices_that_are_not_a_list_of_texts() {
        assert!(choice_texts(&json!("Paris")).is_err());
        assert!(choice_texts(&json!(["only"])).is_err());
        assert!(choice_texts(&json!(["a", {"b": 1}])).is_err());
        assert_eq!(choice_texts(&json!([1, "b"])).unwrap(), vec!["1", "b"]);
    }

    #[test]
    fn shuffles_are_seeded_per_case_and_sample() {
        let a = shuffled_order(4, 7, "q1", 0);
        assert_eq!(a, shuffled_order(4, 7, "q1", 0));
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, vec![0, 1, 2, 3]);
        let differs = (1..20).any(|s| shuffled_order(4, 7, "q1", s) != a);
        assert!(differs, "samples see different orders");
    }

    #[test]
    fn lists_choices_with_letters() {
        assert_eq!(
            choices_block(&four()),
            "A. Paris\nB. Rome\nC. Oslo\nD. Bern"
        );
    }
}
