//! Question sets uploaded as YAML: a list of cases, or a mapping whose `cases` is that list,
//! each case the same fields as a JSONL line. They are turned into JSONL (one case a line) and
//! from there read exactly as a JSONL upload, so both forms obey the same rules.
//!
//! ```yaml
//! - id: capital-fr
//!   input: What is the capital of France?
//!   target: Paris
//! ```

use serde_json::Value;

/// Why a YAML upload is refused, and where.
#[derive(Debug, PartialEq)]
pub(crate) struct YamlError {
    /// The request field at fault (`body.line.3`, `body.cases.2`).
    pub(crate) field: String,
    pub(crate) message: String,
}

/// The cases of a YAML document, as JSONL.
pub(crate) fn to_jsonl(bytes: &[u8]) -> Result<Vec<u8>, YamlError> {
    // The parser refuses documents whose aliases would expand without bound (and deep
    // nesting), so a small hostile document cannot take the server's memory.
    let document: Value = serde_yaml_ng::from_slice(bytes).map_err(|e| YamlError {
        field: e
            .location()
            .map_or_else(|| "body".to_owned(), |l| format!("body.line.{}", l.line())),
        message: format!("not a YAML question set: {e}"),
    })?;
    let cases = match document {
        Value::Array(cases) => cases,
        Value::Object(mut map) => match map.remove("cases") {
            Some(Value::Array(cases)) => cases,
            _ => return Err(shape()),
        },
        _ => return Err(shape()),
    };
    let mut jsonl = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        if !case.is_object() {
            return Err(YamlError {
                field: format!("body.cases.{i}"),
                message: format!("case {} is not a mapping of fields", i + 1),
            });
        }
        serde_json::to_writer(&mut jsonl, case).map_err(|e| YamlError {
            field: format!("body.cases.{i}"),
            message: e.to_string(),
        })?;
        jsonl.push(b'\n');
    }
    Ok(jsonl)
}

fn shape() -> YamlError {
    YamlError {
        field: "body".into(),
        message: "a YAML question set is a list of cases, or a mapping whose `cases` is one".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_mappings_of_cases_become_jsonl() {
        let list = b"- id: a\n  input: one\n  target: '1'\n- id: b\n  input: two\n";
        let jsonl = String::from_utf8(to_jsonl(list).unwrap()).unwrap();
        assert_eq!(
            jsonl,
            "{\"id\":\"a\",\"input\":\"one\",\"target\":\"1\"}\n{\"id\":\"b\",\"input\":\"two\"}\n"
        );
        let mapping = b"cases:\n  - id: a\n    input: one\n";
        assert_eq!(
            to_jsonl(mapping).unwrap(),
            b"{\"id\":\"a\",\"input\":\"one\"}\n"
        );
    }

    #[test]
    fn bad_documents_name_where() {
        assert_eq!(
            to_jsonl(b"- id: a\n  input: [unclosed\n")
                .unwrap_err()
                .field,
            "body.line.3"
        );
        assert_eq!(
            to_jsonl(b"- id: a\n- just text\n").unwrap_err().field,
            "body.cases.1"
        );
        assert_eq!(to_jsonl(b"title: no cases\n").unwrap_err().field, "body");
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut bomb = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let names: Vec<char> = "bcdefghij".chars().collect();
        let mut previous = 'a';
        for name in names {
            let refs = vec![format!("*{previous}"); 9].join(",");
            bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
            previous = name;
        }
        bomb.push_str("cases: *j\n");
        let error = to_jsonl(bomb.as_bytes()).unwrap_err();
        assert!(error.message.contains("repetition limit"), "{error:?}");
    }
}
