//! Worked examples: drawn once from another split or file with a fixed seed, the same ones
//! for every case of a subject, so prompts (and provider prompt caches) stay stable.

use super::choices::{split_mix, stable_hash};
use std::collections::BTreeMap;

/// One worked example: a question as the template renders it, and its answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Example {
    pub(crate) id: String,
    pub(crate) prompt: String,
    pub(crate) answer: String,
}

/// The examples each case is shown: `count` of them, from the case's subject when the pool
/// has examples of it (as MMLU's five dev questions per subject), else from the whole pool.
#[derive(Debug, Clone, Default)]
pub(crate) struct Examples {
    count: usize,
    all: Vec<Example>,
    by_subject: BTreeMap<String, Vec<Example>>,
}

impl Examples {
    /// Chooses from `pool` (with each example's subject) with `seed`.
    pub(crate) fn choose(count: u32, seed: u64, pool: Vec<(Example, Option<String>)>) -> Self {
        let count = count as usize;
        let mut grouped: BTreeMap<String, Vec<Example>> = BTreeMap::new();
        let mut all = Vec::with_capacity(pool.len());
        for (example, subject) in pool {
            if let Some(subject) = subject {
                grouped.entry(subject).or_default().push(example.clone());
            }
            all.push(example);
        }
        // One more than asked: a case drawn from the same split must not be its own example.
        let keep = count + 1;
        let by_subject = grouped
            .into_iter()
            .map(|(subject, examples)| {
                let chosen = seeded_first(examples, keep, seed, &subject);
                (subject, chosen)
            })
            .collect();
        Self {
            count,
            all: seeded_first(all, keep, seed, ""),
            by_subject,
        }
    }

    /// How many examples the pool could give a case at most.
    pub(crate) fn available(&self) -> usize {
        self.all.len().min(self.count)
    }

    /// The examples shown before case `id` of `subject`.
    pub(crate) fn for_case(&self, id: &str, subject: Option<&str>) -> Vec<&Example> {
        let group = subject
            .and_then(|s| self.by_subject.get(s))
            .filter(|g| g.len() > 1)
            .unwrap_or(&self.all);
        group
            .iter()
            .filter(|e| e.id != id)
            .take(self.count)
            .collect()
    }
}

/// The first `keep` of `items` after a seeded shuffle (the same on every machine).
fn seeded_first<T>(mut items: Vec<T>, keep: usize, seed: u64, salt: &str) -> Vec<T> {
    let mut state = stable_hash(seed, salt, 0);
    let n = items.len();
    for i in (1..n).rev() {
        let j = (split_mix(&mut state) % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
    items.truncate(keep);
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(n: usize, subject: Option<&str>) -> Vec<(Example, Option<String>)> {
        (0..n)
            .map(|i| {
                (
                    Example {
                        id: format!("e{i}"),
                        prompt: format!("q{i}"),
                        answer: format!("a{i}"),
                    },
                    subject.map(String::from),
                )
            })
            .collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_examples() {
        let a = Examples::choose(3, 42, pool(50, None));
        let b = Examples::choose(3, 42, pool(50, None));
        let c = Examples::choose(3, 43, pool(50, None));
        let ids = |e: &Examples| -> Vec<String> {
            e.for_case("x", None).iter().map(|e| e.id.clone()).collect()
        };
        assert_eq!(ids(&a), ids(&b));
        assert_eq!(ids(&a).len(), 3);
        assert_ne!(ids(&a), ids(&c));
    }

    #[test]
    fn a_case_is_never_its_own_example_and_subjects_keep_to_themselves() {
        let mut p = pool(4, Some("math"));
        p.extend(pool(4, Some("law")).into_iter().map(|(mut e, s)| {
            e.id = format!("law-{}", e.id);
            (e, s)
        }));
        let examples = Examples::choose(3, 1, p);
        let for_e0 = examples.for_case("e0", Some("math"));
        assert_eq!(for_e0.len(), 3);
        assert!(for_e0
            .iter()
            .all(|e| e.id != "e0" && !e.id.starts_with("law")));
        assert_eq!(examples.available(), 3);
    }
}
