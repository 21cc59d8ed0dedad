//! [`ToolCallMatch`]: function-call matching in the manner of the Berkeley Function Calling
//! Leaderboard's AST checker. A case's target lists the expected calls as BFCL writes its
//! ground truth, `[{"function": {"param": [acceptable values…]}}]` (an empty list: no call
//! expected); every expected call must be matched by a distinct call the agent made, in any
//! order (parallel and multiple calls), with no call left over.
//!
//! Values are compared by type: numbers as numbers (an integer where a float is expected
//! matches), strings case-insensitively without spaces and punctuation, lists item by item,
//! objects key by key; a parameter whose acceptable values include `""` may be left out.

use crate::agent::ToolCall;
use crate::evaluator::{EvalContext, EvalError, Evaluation, Evaluator};
use crate::Speaker;
use async_trait::async_trait;
use serde_json::{Map, Value};

/// Scores the tool calls of an attempt against its case's expected calls.
#[derive(Debug, Clone, Copy, Default)]
pub struct ToolCallMatch;

/// One expected call: the function and each parameter's acceptable values.
struct Expected<'a> {
    name: &'a str,
    params: &'a Map<String, Value>,
}

fn expected_calls(target: &Value) -> Result<Vec<Expected<'_>>, String> {
    let list = target.as_array().ok_or(
        "the target must be a list of expected calls, [{\"function\": {\"param\": [values]}}]",
    )?;
    list.iter()
        .enumerate()
        .map(|(i, entry)| {
            let object = entry.as_object().filter(|o| o.len() == 1).ok_or(format!(
                "target[{i}]: expected one function name mapped to its parameters"
            ))?;
            let (name, params) = object.iter().next().ok_or("empty call")?;
            let params = params.as_object().ok_or(format!(
                "target[{i}].{name}: expected an object of parameters"
            ))?;
            Ok(Expected { name, params })
        })
        .collect()
}

/// A string as BFCL compares it: lower case, without white space and punctuation.
fn standardize(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !",./-_*^'\"".contains(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether `actual` equals one acceptable value `expected`, by type.
fn same(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Number(a), Value::Number(e)) => a.as_f64() == e.as_f64(),
        (Value::String(a), Value::String(e)) => standardize(a) == standardize(e),
        (Value::Array(a), Value::Array(e)) => {
            a.len() == e.len() && a.iter().zip(e).all(|(a, e)| same(a, e))
        }
        (Value::Object(a), Value::Object(e)) => {
            // Nested objects in BFCL answers list acceptable values per key, too.
            e.iter().all(|(key, acceptable)| match a.get(key) {
                Some(value) => acceptable_value(value, acceptable),
                None => optional(acceptable),
            }) && a.keys().all(|k| e.contains_key(k))
        }
        (a, e) => a == e,
    }
}

/// Whether the acceptable values allow leaving the parameter out.
fn optional(acceptable: &Value) -> bool {
    acceptable
        .as_array()
        .is_some_and(|values| values.iter().any(|v| v == ""))
}

/// Whether `value` is one of `acceptable` (a list of values, or one value).
fn acceptable_value(value: &Value, acceptable: &Value) -> bool {
    match acceptable {
        Value::Array(values) => values.iter().any(|e| same(value, e)),
        single => same(value, single),
    }
}

/// Why `call` does not match `expected`, or `None` when it does.
fn mismatch(call: &ToolCall, expected: &Expected<'_>) -> Option<String> {
    if call.name != expected.name {
        return Some(format!(
            "called `{}`, expected `{}`",
            call.name, expected.name
        ));
    }
    if call.invalid_arguments.is_some() {
        return Some(format!("`{}`: arguments are not valid JSON", call.name));
    }
    let args = call.arguments.as_object()?;
    for (param, acceptable) in expected.params {
        match args.get(param) {
            None if optional(acceptable) => {}
            None => return Some(format!("`{}`: missing `{param}`", call.name)),
            Some(value) if !acceptable_value(value, acceptable) => {
                return Some(format!(
                    "`{}`: `{param}` is {value}, expected one of {acceptable}",
                    call.name
                ))
            }
            Some(_) => {}
        }
    }
    args.keys()
        .find(|k| !expected.params.contains_key(*k))
        .map(|extra| format!("`{}`: unexpected parameter `{extra}`", call.name))
}

/// Matches every expected call to a distinct actual call (backtracking: calls are few).
fn assign(expected: &[Expected<'_>], calls: &[&ToolCall], used: &mut Vec<bool>) -> bool {
    let Some((first, rest)) = expected.split_first() else {
        return true;
    };
    for (i, call) in calls.iter().enumerate() {
        if !used[i] && mismatch(call, first).is_none() {
            used[i] = true;
            if assign(rest, calls, used) {
                return true;
            }
            used[i] = false;
        }
    }
    false
}

/// Checks `calls` against expected calls written as BFCL's ground truth: `Ok` with a label
/// and what matched, or `Err` with a label and why not.
///
/// # Errors
/// The calls do not match; the target is not a list of expected calls (label `bad_target`).
pub(crate) fn check_calls(
    target: &Value,
    calls: &[&ToolCall],
) -> Result<(&'static str, String), (&'static str, String)> {
    let expected = expected_calls(target).map_err(|e| ("bad_target", e))?;
    if expected.is_empty() {
        return if calls.is_empty() {
            Ok(("no_call", "no call expected and none made".into()))
        } else {
            Err((
                "irrelevant_call",
                format!("no call expected, {} made", calls.len()),
            ))
        };
    }
    if calls.len() != expected.len() {
        return Err((
            "wrong_count",
            format!("{} calls expected, {} made", expected.len(), calls.len()),
        ));
    }
    if assign(&expected, calls, &mut vec![false; calls.len()]) {
        return Ok(("match", format!("{} calls matched", calls.len())));
    }
    // Name the first expected call no actual call matches, with the closest reason.
    let why = expected
        .iter()
        .find_map(|e| {
            let reasons: Vec<String> = calls.iter().filter_map(|c| mismatch(c, e)).collect();
            (reasons.len() == calls.len()).then(|| {
                reasons
                    .iter()
                    .find(|r| !r.starts_with("called"))
                    .or(reasons.first())
                    .cloned()
                    .unwrap_or_default()
            })
        })
        .unwrap_or_else(|| "the calls match the expected ones only in part".into());
    Err(("mismatch", why))
}

/// Every tool call the agent under test made, in order.
pub(crate) fn agent_calls(transcript: &crate::Transcript) -> Vec<&ToolCall> {
    transcript
        .turns
        .iter()
        .filter(|t| t.speaker == Speaker::Agent)
        .flat_map(|t| &t.tool_calls)
        .collect()
}

#[async_trait]
impl Evaluator for ToolCallMatch {
    fn name(&self) -> &str {
        "tool_call_match"
    }

    async fn evaluate(&self, cx: &EvalContext<'_>) -> Result<Evaluation, EvalError> {
        let target = cx.case.target.as_ref().ok_or_else(|| {
            EvalError::new("tool_call_match needs the expected calls as the case's target")
        })?;
        let calls = agent_calls(cx.transcript);
        let verdict = |passed: bool, (label, why): (&str, String)| {
            Evaluation::binary("tool_call_match", passed)
                .with_label(label)
                .with_rationale(why)
        };
        match check_calls(target, &calls) {
            Ok(matched) => Ok(verdict(true, matched)),
            Err(("bad_target", why)) => Err(EvalError::new(why)),
            Err(failed) => Ok(verdict(false, failed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(name: &str, args: Value) -> ToolCall {
        ToolCall::new("c", name, args)
    }

    fn matches(target: Value, calls: &[ToolCall]) -> bool {
        let expected = expected_calls(&target).unwrap();
        let calls: Vec<&ToolCall> = calls.iter().collect();
        calls.len() == expected.len() && assign(&expected, &calls, &mut vec![false; calls.len()])
    }

    #[test]
    fn values_are_compared_by_type_and_order_does_not_matter() {
        let target = json!([{"area": {"base": [10], "unit": ["units", ""]}},
                            {"area": {"base": [5.5], "unit": ["cm"]}}]);
        assert!(matches(
            target.clone(),
            &[
                call("area", json!({"base": 5.5, "unit": "CM"})),
                call("area", json!({"base": 10.0}))
            ]
        ));
        assert!(!matches(
            target.clone(),
            &[
                call("area", json!({"base": "10"})),
                call("area", json!({"base": 5.5, "unit": "cm"}))
            ]
        ));
        assert!(!matches(
            target.clone(),
            &[
                call("area", json!({"base": 10, "extra": 1})),
                call("area", json!({"base": 5.5, "unit": "cm"}))
            ]
        ));
        assert!(!matches(
            target,
            &[
                call("area", json!({"unit": "cm"})),
                call("area", json!({"base": 10}))
            ]
        ));
        let nested =
            json!([{"book": {"when": [{"day": ["mon"], "hour": [9, ""]}], "seats": [[1, 2]]}}]);
        assert!(matches(
            nested.clone(),
            &[call(
                "book",
                json!({"when": {"day": "Mon"}, "seats": [1, 2]})
            )]
        ));
        assert!(!matches(
            nested,
            &[call(
                "book",
                json!({"when": {"day": "Mon"}, "seats": [2, 1]})
            )]
        ));
    }
}
