//! [`Selection`]: which records of a dataset a run uses, and in which order: all, the first
//! `limit`, a seeded `sample` in file order, or a seeded `shuffle`.

use super::choices::{split_mix, stable_hash};
use super::DatasetOptions;
use crate::{Case, SuiteError};
use std::collections::HashMap;

/// The records a run uses, by 1-based row over the whole dataset.
#[derive(Debug, Clone)]
pub(crate) enum Selection {
    /// The first `n` rows.
    First(u64),
    /// These rows (sorted), in file order.
    Rows(Vec<u64>),
    /// These rows, in this order (and sorted, to look rows up): the cases are held until all
    /// are read.
    Ordered(Vec<u64>, Vec<u64>),
}

impl Selection {
    /// The selection `options` ask for among `total` records. A sample or a shuffle keeps 8
    /// bytes per record while it is chosen.
    pub(crate) fn new(total: u64, options: &DatasetOptions) -> Self {
        let limit = options.limit.unwrap_or(u64::MAX);
        if !options.shuffle && options.sample.is_none() {
            return Self::First(total.min(limit));
        }
        let mut rows: Vec<u64> = (1..=total).collect();
        let mut state = stable_hash(options.seed, "records", 0);
        for i in (1..rows.len()).rev() {
            let j = (split_mix(&mut state) % (i as u64 + 1)) as usize;
            rows.swap(i, j);
        }
        if let Some(sample) = options.sample {
            rows.truncate(sample.min(total) as usize);
        }
        if options.shuffle {
            rows.truncate(limit.min(rows.len() as u64) as usize);
            let mut sorted = rows.clone();
            sorted.sort_unstable();
            Self::Ordered(rows, sorted)
        } else {
            rows.sort_unstable();
            rows.truncate(limit.min(rows.len() as u64) as usize);
            Self::Rows(rows)
        }
    }

    /// How many cases.
    pub(crate) fn len(&self) -> u64 {
        match self {
            Self::First(n) => *n,
            Self::Rows(rows) | Self::Ordered(rows, _) => rows.len() as u64,
        }
    }

    /// Whether row `row` is used.
    pub(crate) fn keeps(&self, row: u64) -> bool {
        match self {
            Self::First(n) => row <= *n,
            Self::Rows(rows) | Self::Ordered(_, rows) => rows.binary_search(&row).is_ok(),
        }
    }

    /// Whether no row after `row` is used, so reading can stop.
    pub(crate) fn done(&self, row: u64) -> bool {
        match self {
            Self::First(n) => row >= *n,
            Self::Rows(rows) | Self::Ordered(_, rows) => {
                rows.last().is_none_or(|&last| row >= last)
            }
        }
    }

    /// Where a shuffled selection keeps its cases until all are read; `None` when cases go
    /// straight to the run.
    pub(crate) fn holder(&self) -> Option<Holder> {
        match self {
            Self::Ordered(rows, _) => Some(Holder {
                position: rows.iter().enumerate().map(|(i, &r)| (r, i)).collect(),
                cases: HashMap::new(),
                errors: Vec::new(),
            }),
            _ => None,
        }
    }
}

/// The cases of a shuffled selection, until they can be sent in their order.
#[derive(Debug)]
pub(crate) struct Holder {
    position: HashMap<u64, usize>,
    cases: HashMap<usize, Case>,
    errors: Vec<SuiteError>,
}

impl Holder {
    /// Keeps a case (or its error); always `true`.
    pub(crate) fn hold(&mut self, row: u64, case: Result<Case, SuiteError>) -> bool {
        match (self.position.get(&row), case) {
            (Some(&at), Ok(case)) => {
                self.cases.insert(at, case);
            }
            (_, Err(e)) => self.errors.push(e),
            (None, Ok(_)) => {}
        }
        true
    }

    /// The held cases in the selection's order, errors first.
    pub(crate) fn in_order(mut self) -> impl Iterator<Item = Result<Case, SuiteError>> {
        let mut cases: Vec<(usize, Case)> = self.cases.drain().collect();
        cases.sort_unstable_by_key(|(at, _)| *at);
        self.errors
            .into_iter()
            .map(Err)
            .chain(cases.into_iter().map(|(_, c)| Ok(c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(v: serde_json::Value) -> DatasetOptions {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn limit_keeps_the_first_rows() {
        let s = Selection::new(10, &options(serde_json::json!({"limit": 3})));
        assert_eq!(s.len(), 3);
        assert!(s.keeps(3) && !s.keeps(4) && s.done(3));
        assert_eq!(
            Selection::new(2, &options(serde_json::json!({"limit": 3}))).len(),
            2
        );
    }

    #[test]
    fn a_sample_is_seeded_and_in_file_order() {
        let a = Selection::new(100, &options(serde_json::json!({"sample": 10, "seed": 5})));
        let b = Selection::new(100, &options(serde_json::json!({"sample": 10, "seed": 5})));
        let c = Selection::new(100, &options(serde_json::json!({"sample": 10, "seed": 6})));
        let (Selection::Rows(a), Selection::Rows(b), Selection::Rows(c)) = (a, b, c) else {
            panic!("a sample keeps rows in file order");
        };
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(a.len(), 10);
    }

    #[test]
    fn a_shuffle_orders_every_row_once() {
        let s = Selection::new(
            50,
            &options(serde_json::json!({"shuffle": true, "seed": 1, "limit": 20})),
        );
        let Selection::Ordered(rows, _) = &s else {
            panic!("a shuffle has an order")
        };
        assert_eq!(rows.len(), 20);
        let mut sorted = rows.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 20);
        assert_ne!(rows, &sorted);
    }
}
