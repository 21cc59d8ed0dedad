use parse_duration::{parse_duration, ParseError};

#[test]
fn single_units() {
    assert_eq!(parse_duration("90s"), Ok(90));
    assert_eq!(parse_duration("2m"), Ok(120));
    assert_eq!(parse_duration("1h"), Ok(3600));
    assert_eq!(parse_duration("1d"), Ok(86400));
}

#[test]
fn combinations_and_spaces() {
    assert_eq!(parse_duration("1h30m"), Ok(5400));
    assert_eq!(parse_duration("2d 4h"), Ok(2 * 86400 + 4 * 3600));
    assert_eq!(parse_duration(" 1h 0m 5s "), Ok(3605));
}

#[test]
fn errors() {
    assert_eq!(parse_duration(""), Err(ParseError::Empty));
    assert_eq!(parse_duration("   "), Err(ParseError::Empty));
    assert_eq!(parse_duration("h"), Err(ParseError::BadNumber));
    assert_eq!(parse_duration("5x"), Err(ParseError::UnknownUnit('x')));
    assert_eq!(parse_duration("5"), Err(ParseError::UnknownUnit('5')));
    assert_eq!(parse_duration("1m1h"), Err(ParseError::Order));
    assert_eq!(parse_duration("1s1s"), Err(ParseError::Order));
    assert_eq!(parse_duration("99999999999999999999d"), Err(ParseError::Overflow));
    assert_eq!(parse_duration("213503982334602d"), Err(ParseError::Overflow));
}
