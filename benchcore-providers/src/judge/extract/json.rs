//! Reading 1: a JSON object with a score key, anywhere in the reply.

use super::rationale::{rationale_around, shorten};
use super::score::{ExtractedScore, ScoreFormat};
use super::value::{bare, out_of, parse_num, verdict, whole_value, Context};

/// Most `{` tried as the start of a JSON object.
const MAX_JSON_STARTS: usize = 256;

pub(super) enum JsonReading {
    Found(ExtractedScore),
    /// An object has a score key, but its score cannot be read.
    Invalid,
    Absent,
}

/// Every top-level JSON object in `text`, with its byte range.
pub(super) fn json_objects(
    text: &str,
) -> Vec<(usize, usize, serde_json::Map<String, serde_json::Value>)> {
    let mut found = Vec::new();
    let mut from = 0;
    let mut tries = 0;
    while let Some(offset) = text[from..].find('{') {
        let start = from + offset;
        tries += 1;
        if tries > MAX_JSON_STARTS {
            break;
        }
        let mut stream =
            serde_json::Deserializer::from_str(&text[start..]).into_iter::<serde_json::Value>();
        match stream.next() {
            Some(Ok(serde_json::Value::Object(map))) => {
                let end = start + stream.byte_offset();
                found.push((start, end, map));
                from = end;
            }
            _ => from = start + 1,
        }
    }
    found
}

/// A key without case, `_`, `-` or spaces.
pub(super) fn squash(key: &str) -> String {
    key.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

pub(super) const SCORE_KEYS: &[&str] = &[
    "finalscore",
    "overallscore",
    "score",
    "rating",
    "finalrating",
    "grade",
    "finalgrade",
    "points",
    "verdict",
    "finalverdict",
    "judgment",
    "judgement",
    "pass",
    "passed",
    "correct",
    "iscorrect",
];
pub(super) const MAX_KEYS: &[&str] = &["max", "maxscore", "outof", "scale", "maximum", "scalemax"];
pub(super) const RATIONALE_KEYS: &[&str] = &[
    "rationale",
    "reasoning",
    "reason",
    "explanation",
    "justification",
    "feedback",
    "comment",
    "comments",
    "critique",
    "analysis",
];

/// The first key of `keys` (in their order) that `map` has, searching nested objects too.
pub(super) fn find_key<'a>(
    map: &'a serde_json::Map<String, serde_json::Value>,
    keys: &[&str],
    depth: usize,
) -> Option<&'a serde_json::Value> {
    let squashed: Vec<(String, &serde_json::Value)> =
        map.iter().map(|(k, v)| (squash(k), v)).collect();
    for key in keys {
        if let Some((_, value)) = squashed.iter().find(|(k, _)| k == key) {
            return Some(value);
        }
    }
    if depth == 0 {
        return None;
    }
    map.values()
        .filter_map(serde_json::Value::as_object)
        .find_map(|inner| find_key(inner, keys, depth - 1))
}

pub(super) fn from_json(text: &str, scale: Option<f64>) -> JsonReading {
    let objects = json_objects(text);
    let Some((start, end, map, score)) = objects
        .iter()
        .rev()
        .find_map(|(s, e, m)| find_key(m, SCORE_KEYS, 2).map(|v| (*s, *e, m, v)))
    else {
        return JsonReading::Absent;
    };
    let max = find_key(map, MAX_KEYS, 2).and_then(|m| match m {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => parse_num(s.trim()),
        _ => None,
    });
    let value = match score {
        serde_json::Value::Number(n) => n.as_f64().and_then(|n| match max {
            Some(max) => out_of(n, max),
            None => bare(n, scale),
        }),
        serde_json::Value::Bool(b) => verdict(if *b { "pass" } else { "fail" }),
        serde_json::Value::String(s) => whole_value(s.trim(), scale, max, Context::Grade),
        _ => None,
    };
    let Some(value) = value else {
        return JsonReading::Invalid;
    };
    let rationale = find_key(map, RATIONALE_KEYS, 2)
        .and_then(|r| match r {
            serde_json::Value::String(s) => Some(s.trim().to_owned()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        })
        .filter(|r| !r.is_empty())
        .map(|r| shorten(&r))
        .or_else(|| rationale_around(text, (start, end)));
    JsonReading::Found(ExtractedScore {
        score: value.score,
        label: value.label,
        format: ScoreFormat::Json,
        rationale,
    })
}
