//! Refusing client events: [`Invalid`] (an `error` event's code, message and param, worded
//! as the OpenAI API words them) and the checks of JSON fields that produce it.

use serde_json::{Map, Value};

/// Why a client event is refused. It becomes an `error` event of type
/// `invalid_request_error`; the session stays open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Invalid {
    pub(super) code: &'static str,
    pub(super) message: String,
    pub(super) param: Option<String>,
}

impl Invalid {
    /// A refusal with this code and message, about `param` when given.
    pub(super) fn new(code: &'static str, message: impl Into<String>, param: Option<&str>) -> Self {
        Invalid {
            code,
            message: message.into(),
            param: param.map(str::to_owned),
        }
    }

    /// `invalid_value` of `param`.
    pub(super) fn value(param: &str, message: impl Into<String>) -> Self {
        Invalid::new("invalid_value", message, Some(param))
    }

    /// `unknown_parameter`: the event has a field the reference does not define.
    pub(super) fn unknown(param: &str) -> Self {
        Invalid::new(
            "unknown_parameter",
            format!("Unknown parameter: '{param}'."),
            Some(param),
        )
    }

    /// `missing_required_parameter`.
    pub(super) fn missing(param: &str) -> Self {
        Invalid::new(
            "missing_required_parameter",
            format!("Missing required parameter: '{param}'."),
            Some(param),
        )
    }

    /// `invalid_type`: `param` is not of the type the reference gives it.
    pub(super) fn kind(param: &str, expected: &str) -> Self {
        Invalid::new(
            "invalid_type",
            format!("Invalid type for '{param}': expected {expected}."),
            Some(param),
        )
    }
}

/// `prefix.name`, or `name` without a prefix.
pub(super) fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Refuses a field of `object` that is not in `allowed`.
pub(super) fn known_keys(
    object: &Map<String, Value>,
    allowed: &[&str],
    prefix: &str,
) -> Result<(), Invalid> {
    match object.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(key) => Err(Invalid::unknown(&join(prefix, key))),
        None => Ok(()),
    }
}

/// `value` as an object.
pub(super) fn object<'a>(value: &'a Value, param: &str) -> Result<&'a Map<String, Value>, Invalid> {
    value
        .as_object()
        .ok_or_else(|| Invalid::kind(param, "an object"))
}

/// `value` as a string.
pub(super) fn string<'a>(value: &'a Value, param: &str) -> Result<&'a str, Invalid> {
    value
        .as_str()
        .ok_or_else(|| Invalid::kind(param, "a string"))
}

/// `value` as a boolean.
pub(super) fn boolean(value: &Value, param: &str) -> Result<bool, Invalid> {
    value
        .as_bool()
        .ok_or_else(|| Invalid::kind(param, "a boolean"))
}

/// `value` as an integer from `min` to `max`.
pub(super) fn integer(value: &Value, param: &str, min: i64, max: i64) -> Result<i64, Invalid> {
    let n = value
        .as_i64()
        .ok_or_else(|| Invalid::kind(param, "an integer"))?;
    if n < min {
        return Err(Invalid::new(
            "integer_below_min_value",
            format!("Invalid '{param}': integer below minimum value. Expected a value >= {min}, but got {n} instead."),
            Some(param),
        ));
    }
    if n > max {
        return Err(Invalid::new(
            "integer_above_max_value",
            format!("Invalid '{param}': integer above maximum value. Expected a value <= {max}, but got {n} instead."),
            Some(param),
        ));
    }
    Ok(n)
}

/// `value` as a number from `min` to `max`.
pub(super) fn number(value: &Value, param: &str, min: f64, max: f64) -> Result<f64, Invalid> {
    let n = value
        .as_f64()
        .ok_or_else(|| Invalid::kind(param, "a number"))?;
    if n < min {
        return Err(Invalid::new(
            "decimal_below_min_value",
            format!("Invalid '{param}': decimal below minimum value. Expected a value >= {min}, but got {n} instead."),
            Some(param),
        ));
    }
    if n > max {
        return Err(Invalid::new(
            "decimal_above_max_value",
            format!("Invalid '{param}': decimal above maximum value. Expected a value <= {max}, but got {n} instead."),
            Some(param),
        ));
    }
    Ok(n)
}

/// `value` as one of `choices`.
pub(super) fn one_of<'a>(
    value: &'a Value,
    param: &str,
    choices: &[&str],
) -> Result<&'a str, Invalid> {
    let text = string(value, param)?;
    if choices.contains(&text) {
        return Ok(text);
    }
    let listed: Vec<String> = choices.iter().map(|c| format!("'{c}'")).collect();
    Err(Invalid::value(
        param,
        format!(
            "Invalid value: '{text}'. Supported values are: {}.",
            listed.join(", ")
        ),
    ))
}
