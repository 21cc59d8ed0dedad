//! Durations like `1h30m`.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    Empty,
    BadNumber,
    UnknownUnit(char),
    Order,
    Overflow,
}

pub fn parse_duration(text: &str) -> Result<u64, ParseError> {
    text.trim_end_matches('s').parse().map_err(|_| ParseError::BadNumber)
}
