//! [`Span`]: a stretch of a timeline, in milliseconds.

use serde::{Deserialize, Serialize};

/// A stretch of a timeline from `start_ms` (inclusive) to `end_ms` (exclusive), in
/// milliseconds from the start of the recording or clip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// Where it starts.
    pub start_ms: u64,
    /// Where it ends.
    pub end_ms: u64,
}

impl Span {
    /// The span from `start_ms` to `end_ms`.
    pub fn new(start_ms: u64, end_ms: u64) -> Self {
        Self { start_ms, end_ms }
    }

    /// How long it lasts (0 if it ends before it starts).
    pub fn duration_ms(&self) -> u64 {
        self.end_ms.saturating_sub(self.start_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_and_json() {
        let span = Span::new(1_200, 2_000);
        assert_eq!(span.duration_ms(), 800);
        assert_eq!(Span::new(5, 3).duration_ms(), 0);
        let json = serde_json::to_string(&span).unwrap();
        assert_eq!(json, r#"{"start_ms":1200,"end_ms":2000}"#);
        assert_eq!(serde_json::from_str::<Span>(&json).unwrap(), span);
    }
}
