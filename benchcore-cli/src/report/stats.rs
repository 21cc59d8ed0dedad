//! The statistics the report shows: Wilson intervals for accuracy, five numbers for latency.

use benchcore::store::percentile_of_counts;

/// The z value of a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

/// A 95% Wilson score interval of a proportion: `passed` successes out of `n` trials.
/// Unlike the normal approximation it stays inside [0, 1] and is honest for small `n` and for
/// proportions near 0 or 1. `None` for `n == 0`.
pub(crate) fn wilson(passed: u64, n: u64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let n = n as f64;
    let p = passed as f64 / n;
    let z2 = Z95 * Z95;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z95 / denominator * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// The five numbers of a box plot: whiskers at the 5th and 95th percentiles, the box from the
/// first to the third quartile, the median, with the count and the extremes beside them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FiveNumbers {
    /// How many values.
    pub(crate) n: usize,
    /// The smallest value.
    pub(crate) min: u64,
    /// The 5th percentile (lower whisker).
    pub(crate) p5: u64,
    /// The first quartile.
    pub(crate) q1: u64,
    /// The median.
    pub(crate) median: u64,
    /// The third quartile.
    pub(crate) q3: u64,
    /// The 95th percentile (upper whisker).
    pub(crate) p95: u64,
    /// The largest value.
    pub(crate) max: u64,
}

impl FiveNumbers {
    /// The numbers of `values` (sorted here), by nearest rank as the stores compute p50 and
    /// p95; `None` when there are none.
    #[cfg(test)]
    pub(crate) fn of(values: &mut [u64]) -> Option<Self> {
        values.sort_unstable();
        let mut counts: Vec<(u64, u64)> = Vec::new();
        for &v in values.iter() {
            match counts.last_mut() {
                Some((last, n)) if *last == v => *n += 1,
                _ => counts.push((v, 1)),
            }
        }
        Self::of_counts(&counts)
    }

    /// The numbers of a distribution given as `(value, how many)` in ascending value order
    /// (what [`RunStore::latency_counts`](benchcore::RunStore::latency_counts) returns), by
    /// nearest rank; `None` when it is empty.
    pub(crate) fn of_counts(counts: &[(u64, u64)]) -> Option<Self> {
        let n: u64 = counts.iter().map(|(_, c)| c).sum();
        let at = |p: f64| percentile_of_counts(counts, p);
        Some(Self {
            n: usize::try_from(n).unwrap_or(usize::MAX),
            min: counts.first()?.0,
            p5: at(0.05)?,
            q1: at(0.25)?,
            median: at(0.5)?,
            q3: at(0.75)?,
            p95: at(0.95)?,
            max: counts.last()?.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_published_values() {
        // 8 of 10: the textbook Wilson interval is [0.490, 0.943].
        let (lo, hi) = wilson(8, 10).unwrap();
        assert!((lo - 0.4902).abs() < 1e-3, "{lo}");
        assert!((hi - 0.9433).abs() < 1e-3, "{hi}");
        // All or nothing still gets a width; bounds stay in [0, 1].
        let (lo, hi) = wilson(0, 5).unwrap();
        assert_eq!(lo, 0.0);
        assert!(hi > 0.4 && hi < 0.5, "{hi}");
        let (lo, hi) = wilson(5, 5).unwrap();
        assert!(lo > 0.5 && lo < 0.6, "{lo}");
        assert!((hi - 1.0).abs() < 1e-12, "{hi}");
        assert_eq!(wilson(0, 0), None);
    }

    #[test]
    fn wilson_narrows_with_more_trials() {
        let (lo_small, hi_small) = wilson(50, 100).unwrap();
        let (lo_big, hi_big) = wilson(5000, 10_000).unwrap();
        assert!(hi_big - lo_big < hi_small - lo_small);
        assert!(lo_big < 0.5 && hi_big > 0.5);
    }

    #[test]
    fn five_numbers_by_nearest_rank() {
        let mut values: Vec<u64> = (1..=100).rev().collect();
        let five = FiveNumbers::of(&mut values).unwrap();
        assert_eq!(
            five,
            FiveNumbers {
                n: 100,
                min: 1,
                p5: 5,
                q1: 25,
                median: 50,
                q3: 75,
                p95: 95,
                max: 100
            }
        );
        assert_eq!(FiveNumbers::of(&mut []), None);
        let one = FiveNumbers::of(&mut [7]).unwrap();
        assert_eq!((one.min, one.median, one.max), (7, 7, 7));
        // Counts give what the values they stand for give.
        let counted = FiveNumbers::of_counts(&[(1, 5), (2, 90), (9, 5)]).unwrap();
        let mut values: Vec<u64> = [vec![1; 5], vec![2; 90], vec![9; 5]].concat();
        assert_eq!(Some(counted), FiveNumbers::of(&mut values));
        assert_eq!(
            (counted.n, counted.p5, counted.median, counted.p95),
            (100, 1, 2, 2)
        );
        assert_eq!(FiveNumbers::of_counts(&[]), None);
    }
}
