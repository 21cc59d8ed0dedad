use serde::{Deserialize, Serialize};

/// How text is normalised before comparison.
///
/// ```
/// use benchcore::evaluator::Normalize;
/// let n = Normalize::default().ignoring_case().stripping_punctuation();
/// assert_eq!(n.apply("  Paris.\n"), "paris");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Normalize {
    /// Trim leading and trailing white space (default on).
    pub trim: bool,
    /// Fold runs of white space into one space (default on).
    pub collapse_whitespace: bool,
    /// Compare without regard to case (default off).
    pub ignore_case: bool,
    /// Drop punctuation (default off).
    pub strip_punctuation: bool,
}

impl Default for Normalize {
    fn default() -> Self {
        Self {
            trim: true,
            collapse_whitespace: true,
            ignore_case: false,
            strip_punctuation: false,
        }
    }
}

impl Normalize {
    /// Compares without regard to case.
    pub fn ignoring_case(mut self) -> Self {
        self.ignore_case = true;
        self
    }

    /// Drops punctuation before comparing.
    pub fn stripping_punctuation(mut self) -> Self {
        self.strip_punctuation = true;
        self
    }

    /// No normalisation at all: byte-for-byte comparison.
    pub fn none() -> Self {
        Self {
            trim: false,
            collapse_whitespace: false,
            ignore_case: false,
            strip_punctuation: false,
        }
    }

    /// Applies the options to `text`.
    pub fn apply(&self, text: &str) -> String {
        let mut out: String = if self.strip_punctuation {
            text.chars().filter(|c| !c.is_ascii_punctuation()).collect()
        } else {
            text.to_owned()
        };
        if self.ignore_case {
            out = out.to_lowercase();
        }
        if self.collapse_whitespace {
            out = out.split_whitespace().collect::<Vec<_>>().join(" ");
        } else if self.trim {
            out = out.trim().to_owned();
        }
        out
    }
}
