//! pass@k by the unbiased estimator, pass^k, and flaky tasks.

/// The samples of one task: `n` judged, `c` of them passed.
///
/// ```
/// use benchcore::code_task::PassAtK;
/// let s = PassAtK::new(10, 3);
/// assert!((s.pass_at(1).unwrap() - 0.3).abs() < 1e-12);
/// // 1 - C(7,2)/C(10,2) = 1 - 21/45
/// assert!((s.pass_at(2).unwrap() - (1.0 - 21.0 / 45.0)).abs() < 1e-12);
/// // C(3,2)/C(10,2) = 3/45
/// assert!((s.pass_all(2).unwrap() - 3.0 / 45.0).abs() < 1e-12);
/// assert!(s.is_flaky());
/// assert_eq!(PassAtK::new(2, 1).pass_at(3), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassAtK {
    /// Samples judged.
    pub n: u64,
    /// Samples that passed.
    pub c: u64,
}

impl PassAtK {
    /// `c` of `n` samples passed.
    pub fn new(n: u64, c: u64) -> Self {
        Self { n, c: c.min(n) }
    }

    /// pass@k: the chance that at least one of `k` samples drawn without replacement from
    /// the `n` passes, `1 - C(n-c, k) / C(n, k)` (computed as a stable product). `None` when
    /// `k` is 0 or more than `n`.
    pub fn pass_at(&self, k: u64) -> Option<f64> {
        if k == 0 || k > self.n {
            return None;
        }
        if self.n - self.c < k {
            return Some(1.0);
        }
        // C(n-c, k) / C(n, k) = prod_{i = n-c+1}^{n} (1 - k / i)
        let fail: f64 = (self.n - self.c + 1..=self.n)
            .map(|i| 1.0 - k as f64 / i as f64)
            .product();
        Some(1.0 - fail)
    }

    /// pass^k: the chance that all of `k` samples drawn without replacement pass,
    /// `C(c, k) / C(n, k)`. `None` when `k` is 0 or more than `n`.
    pub fn pass_all(&self, k: u64) -> Option<f64> {
        if k == 0 || k > self.n {
            return None;
        }
        if self.c < k {
            return Some(0.0);
        }
        // C(c, k) / C(n, k) = prod_{i=0}^{k-1} (c - i) / (n - i)
        Some(
            (0..k)
                .map(|i| (self.c - i) as f64 / (self.n - i) as f64)
                .product(),
        )
    }

    /// Some samples passed and some failed.
    pub fn is_flaky(&self) -> bool {
        self.c > 0 && self.c < self.n
    }
}

/// The `k` worth reporting for `samples` samples: every k up to 10, then 10, 20, 50, 100 …
/// and `samples` itself.
pub fn report_ks(samples: u64) -> Vec<u64> {
    let mut ks: Vec<u64> = (1..=samples.min(10)).collect();
    let mut k = 20;
    while k < samples {
        ks.push(k);
        k = if k.to_string().starts_with('2') {
            k / 2 * 5
        } else {
            k * 2
        };
    }
    if samples > 10 {
        ks.push(samples);
    }
    ks.dedup();
    ks
}

/// The mean of pass@k (or pass^k with `all`) over tasks with at least `k` samples; `None`
/// when no task has that many.
pub fn mean_over_tasks(tasks: &[PassAtK], k: u64, all: bool) -> Option<f64> {
    let values: Vec<f64> = tasks
        .iter()
        .filter_map(|t| if all { t.pass_all(k) } else { t.pass_at(k) })
        .collect();
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binomial(n: u64, k: u64) -> f64 {
        (0..k).map(|i| (n - i) as f64 / (i + 1) as f64).product()
    }

    #[test]
    fn matches_the_closed_form_everywhere() {
        for n in 1..=12u64 {
            for c in 0..=n {
                for k in 1..=n {
                    let s = PassAtK::new(n, c);
                    let at = if n - c < k {
                        1.0
                    } else {
                        1.0 - binomial(n - c, k) / binomial(n, k)
                    };
                    let all = if c < k {
                        0.0
                    } else {
                        binomial(c, k) / binomial(n, k)
                    };
                    assert!(
                        (s.pass_at(k).unwrap() - at).abs() < 1e-9,
                        "pass@{k} n={n} c={c}"
                    );
                    assert!(
                        (s.pass_all(k).unwrap() - all).abs() < 1e-9,
                        "pass^{k} n={n} c={c}"
                    );
                }
            }
        }
        assert_eq!(PassAtK::new(5, 5).pass_at(1), Some(1.0));
        assert_eq!(PassAtK::new(5, 0).pass_at(5), Some(0.0));
        assert_eq!(PassAtK::new(5, 5).pass_all(5), Some(1.0));
        assert!(!PassAtK::new(3, 3).is_flaky() && !PassAtK::new(3, 0).is_flaky());
    }

    #[test]
    fn ks_reported() {
        assert_eq!(report_ks(1), [1]);
        assert_eq!(report_ks(3), [1, 2, 3]);
        assert_eq!(report_ks(100), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 50, 100]);
        let tasks = [PassAtK::new(2, 1), PassAtK::new(1, 1)];
        assert_eq!(mean_over_tasks(&tasks, 1, false), Some(0.75));
        assert_eq!(mean_over_tasks(&tasks, 2, false), Some(1.0));
        assert_eq!(mean_over_tasks(&tasks, 3, false), None);
    }
}
