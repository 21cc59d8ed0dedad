//! [`Band`]: the thresholds that turn a measured value into a [`Status`].

use crate::{ConfigError, Status};
use serde::{Deserialize, Serialize};

/// Where a metric's value is `good`, `warning` or `poor`: good inside the good bounds, a
/// warning inside the warning bounds, poor outside both. A missing bound is open, so
/// `{ good_max = 0.4, warning_max = 0.6 }` reads "at most 0.4 is good, at most 0.6 a warning,
/// more is poor".
///
/// ```
/// use benchcore::transcript::builtin::Band;
/// use benchcore::Status;
/// let band = Band::at_most(0.4, 0.6);
/// assert_eq!(band.status(0.3), Status::Good);
/// assert_eq!(band.status(0.5), Status::Warning);
/// assert_eq!(band.status(0.9), Status::Poor);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Band {
    /// The least good value (none: no lower bound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub good_min: Option<f64>,
    /// The greatest good value (none: no upper bound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub good_max: Option<f64>,
    /// The least value that is still a warning rather than poor (none: no lower bound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning_min: Option<f64>,
    /// The greatest value that is still a warning rather than poor (none: no upper bound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning_max: Option<f64>,
}

impl Band {
    /// Lower is better: good up to `good`, a warning up to `warning`, poor above.
    pub fn at_most(good: f64, warning: f64) -> Self {
        Self {
            good_max: Some(good),
            warning_max: Some(warning),
            ..Self::default()
        }
    }

    /// Higher is better: good from `good` up, a warning from `warning` up, poor below.
    pub fn at_least(good: f64, warning: f64) -> Self {
        Self {
            good_min: Some(good),
            warning_min: Some(warning),
            ..Self::default()
        }
    }

    /// Good inside `good`, a warning inside `warning`, poor outside (both inclusive).
    pub fn between(good: (f64, f64), warning: (f64, f64)) -> Self {
        Self {
            good_min: Some(good.0),
            good_max: Some(good.1),
            warning_min: Some(warning.0),
            warning_max: Some(warning.1),
        }
    }

    /// The status of `value`.
    pub fn status(&self, value: f64) -> Status {
        let within = |min: Option<f64>, max: Option<f64>| {
            min.is_none_or(|m| value >= m) && max.is_none_or(|m| value <= m)
        };
        if within(self.good_min, self.good_max) {
            Status::Good
        } else if within(self.warning_min, self.warning_max) {
            Status::Warning
        } else {
            Status::Poor
        }
    }

    /// Checks the bounds: finite numbers, each minimum at most its maximum, and the good
    /// range inside the warning range. Errors name the field as `<field>.<bound>`.
    pub fn validate(&self, field: &str) -> Result<(), ConfigError> {
        let bounds = [
            ("good_min", self.good_min),
            ("good_max", self.good_max),
            ("warning_min", self.warning_min),
            ("warning_max", self.warning_max),
        ];
        for (name, bound) in bounds {
            if bound.is_some_and(|b| !b.is_finite()) {
                return Err(ConfigError::field(
                    format!("{field}.{name}"),
                    "must be a finite number",
                ));
            }
        }
        let ordered = |lo: Option<f64>, hi: Option<f64>| match (lo, hi) {
            (Some(lo), Some(hi)) => lo <= hi,
            _ => true,
        };
        if !ordered(self.good_min, self.good_max) {
            return Err(ConfigError::field(
                format!("{field}.good_min"),
                "is above good_max",
            ));
        }
        if !ordered(self.warning_min, self.warning_max) {
            return Err(ConfigError::field(
                format!("{field}.warning_min"),
                "is above warning_max",
            ));
        }
        if !ordered(self.warning_min, self.good_min)
            || (self.good_min.is_none() && self.warning_min.is_some())
        {
            return Err(ConfigError::field(
                format!("{field}.warning_min"),
                "must not be above good_min: the good range lies inside the warning range",
            ));
        }
        if !ordered(self.good_max, self.warning_max)
            || (self.good_max.is_none() && self.warning_max.is_some())
        {
            return Err(ConfigError::field(
                format!("{field}.warning_max"),
                "must not be below good_max: the good range lies inside the warning range",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_grade_both_ways() {
        let band = Band::at_least(0.5, 0.25);
        assert_eq!(band.status(0.5), Status::Good);
        assert_eq!(band.status(0.3), Status::Warning);
        assert_eq!(band.status(0.1), Status::Poor);
        let band = Band::between((0.5, 1.5), (0.2, 2.5));
        assert_eq!(band.status(1.0), Status::Good);
        assert_eq!(band.status(0.3), Status::Warning);
        assert_eq!(band.status(2.0), Status::Warning);
        assert_eq!(band.status(3.0), Status::Poor);
        assert_eq!(band.status(0.0), Status::Poor);
    }

    #[test]
    fn bad_bounds_name_the_field() {
        let err = Band::at_most(0.6, 0.4)
            .validate("flow.agent_word_share")
            .unwrap_err();
        assert_eq!(
            err.field.as_deref(),
            Some("flow.agent_word_share.warning_max")
        );
        let err = Band::between((2.0, 1.0), (0.0, 3.0))
            .validate("x")
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("x.good_min"));
        let band = Band {
            good_max: Some(f64::NAN),
            ..Band::default()
        };
        assert!(band.validate("x").is_err());
        assert!(Band::at_least(0.5, 0.25).validate("x").is_ok());
        assert!(Band::default().validate("x").is_ok());
    }
}
