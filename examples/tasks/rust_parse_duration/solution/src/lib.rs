//! Durations like `1h30m`.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    Empty,
    BadNumber,
    UnknownUnit(char),
    Order,
    Overflow,
}

const UNITS: [(char, u64); 4] = [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];

pub fn parse_duration(text: &str) -> Result<u64, ParseError> {
    if text.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    let mut total: u64 = 0;
    let mut next_unit = 0;
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(total);
        }
        let mut digits = String::new();
        let mut last = None;
        while let Some(&c) = chars.peek() {
            if c.is_ascii_digit() {
                digits.push(c);
                last = Some(c);
                chars.next();
            } else {
                break;
            }
        }
        let Some(unit) = chars.next() else {
            return Err(ParseError::UnknownUnit(last.unwrap_or(' ')));
        };
        let Some(position) = UNITS.iter().position(|(u, _)| *u == unit) else {
            return Err(ParseError::UnknownUnit(unit));
        };
        if digits.is_empty() {
            return Err(ParseError::BadNumber);
        }
        if position < next_unit {
            return Err(ParseError::Order);
        }
        next_unit = position + 1;
        let value: u64 = digits.parse().map_err(|_| ParseError::Overflow)?;
        let seconds = value.checked_mul(UNITS[position].1).ok_or(ParseError::Overflow)?;
        total = total.checked_add(seconds).ok_or(ParseError::Overflow)?;
    }
}
