//! [`Prompts`]: a dataset's templates, compiled once, rendered for each record.

use super::choices::{choices_block, letter};
use super::fields::{check_format, format_fields, lookup, text};
use super::DatasetOptions;
use crate::ConfigError;
use minijinja::{Environment, UndefinedBehavior};
use serde_json::{Map, Value};

/// Fuel for one rendering: plenty for any prompt, and a template that loops without end (a
/// `range(10**12)`) stops with an error instead of hanging the run.
const FUEL: u64 = 1_000_000;

/// The user message when no template is given: the question, then the lettered choices of a
/// multiple-choice record.
const DEFAULT_TEMPLATE: &str = "{{ input }}{% if choices %}\n\n{{ choices_text }}\n\nAnswer with the letter of the correct choice.{% endif %}";

/// What a record renders to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rendered {
    pub(crate) system: Option<String>,
    pub(crate) user: String,
}

/// A dataset's templates, compiled once.
#[derive(Debug)]
pub(crate) struct Prompts {
    env: Environment<'static>,
    input: Option<String>,
    target: Target,
    has_system: bool,
    has_fewshot_answer: bool,
}

/// Where a record's target comes from.
#[derive(Debug, Clone)]
enum Target {
    None,
    Field(String),
    Template,
}

impl Prompts {
    /// Compiles the options' templates.
    pub(crate) fn new(options: &DatasetOptions) -> Result<Self, ConfigError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        // `{{ answer | after("####") }}`: GSM8K writes its final answer after `####`.
        env.add_filter("after", |value: String, marker: String| -> String {
            match value.rfind(&marker) {
                Some(at) => value[at + marker.len()..].trim().to_owned(),
                None => value.trim().to_owned(),
            }
        });
        env.add_filter("letter", |i: usize| -> String {
            if i < 26 {
                letter(i)
            } else {
                i.to_string()
            }
        });
        let add = |env: &mut Environment<'static>, name: &'static str, source: &str| {
            env.add_template_owned(name, source.to_owned())
                .map_err(|e| ConfigError::field(format!("dataset.{name}"), jinja_error(&e)))
        };
        add(
            &mut env,
            "template",
            options.template.as_deref().unwrap_or(DEFAULT_TEMPLATE),
        )?;
        if let Some(system) = &options.system {
            add(&mut env, "system", system)?;
        }
        if let Some(answer) = &options.fewshot_answer {
            add(&mut env, "fewshot_answer", answer)?;
        }
        let target = match &options.target {
            None => Target::None,
            Some(t) if t.contains("{{") || t.contains("{%") => {
                add(&mut env, "target", t)?;
                Target::Template
            }
            Some(field) => Target::Field(field.trim().to_owned()),
        };
        if let Some(input) = &options.input {
            check_format(input).map_err(|e| ConfigError::field("dataset.input", e.to_string()))?;
        }
        Ok(Self {
            env,
            input: options.input.clone(),
            target,
            has_system: options.system.is_some(),
            has_fewshot_answer: options.fewshot_answer.is_some(),
        })
    }

    /// The question text of a record: `--input`, else its `input` or `question` field.
    fn input(&self, record: &Map<String, Value>) -> Result<String, String> {
        match &self.input {
            Some(format) => format_fields(format, record).map_err(|e| format!("input: {e}")),
            None => ["input", "question", "prompt"]
                .iter()
                .find_map(|f| record.get(*f).map(text))
                .ok_or_else(|| {
                    let fields: Vec<&str> = record.keys().map(String::as_str).collect();
                    format!(
                        "input: the record has no `input` or `question` field (it has {}); name one with --input '{{field}}'",
                        fields.join(", ")
                    )
                }),
        }
    }

    /// What templates see: the record's fields, and `input`, `choices`, `letters`,
    /// `choices_text` and `subject`.
    fn context(
        &self,
        record: &Map<String, Value>,
        choices: Option<&[String]>,
        subject: Option<&str>,
    ) -> Result<minijinja::Value, String> {
        let mut context = record.clone();
        context.insert("input".into(), Value::String(self.input(record)?));
        let choices = choices.unwrap_or_default();
        context.insert("choices".into(), Value::from(choices.to_vec()));
        context.insert(
            "letters".into(),
            Value::from((0..choices.len()).map(letter).collect::<Vec<_>>()),
        );
        context.insert("choices_text".into(), Value::String(choices_block(choices)));
        if let Some(subject) = subject {
            context.insert("subject".into(), Value::String(subject.replace('_', " ")));
        }
        Ok(minijinja::Value::from(minijinja::value::Serde(&context)))
    }

    fn render_named(&self, name: &str, context: &minijinja::Value) -> Result<String, String> {
        let template = self
            .env
            .get_template(name)
            .map_err(|e| format!("{name}: {}", jinja_error(&e)))?;
        template
            .render(context.clone())
            .map_err(|e| format!("{name}: {}", jinja_error(&e)))
    }

    /// The system prompt and user message of a record.
    pub(crate) fn render(
        &self,
        record: &Map<String, Value>,
        choices: Option<&[String]>,
        subject: Option<&str>,
    ) -> Result<Rendered, String> {
        let context = self.context(record, choices, subject)?;
        let system = if self.has_system {
            Some(self.render_named("system", &context)?)
        } else {
            None
        };
        Ok(Rendered {
            system,
            user: self.render_named("template", &context)?,
        })
    }

    /// The record's raw target: a field's value or the target template's text; `None` when
    /// the options name no target.
    pub(crate) fn target(&self, record: &Map<String, Value>) -> Result<Option<Value>, String> {
        match &self.target {
            Target::None => Ok(None),
            Target::Field(field) => lookup(record, field)
                .cloned()
                .map(Some)
                .ok_or_else(|| format!("target: the record has no field `{field}`")),
            Target::Template => {
                let context = minijinja::Value::from(minijinja::value::Serde(record));
                let text = self.render_named("target", &context)?;
                Ok(Some(Value::String(text.trim().to_owned())))
            }
        }
    }

    /// How a worked example's answer is written: the `fewshot_answer` template, else `answer`.
    pub(crate) fn example_answer(
        &self,
        record: &Map<String, Value>,
        answer: &str,
    ) -> Result<String, String> {
        if !self.has_fewshot_answer {
            return Ok(answer.to_owned());
        }
        let context = minijinja::Value::from(minijinja::value::Serde(record));
        self.render_named("fewshot_answer", &context)
    }
}

/// A template error with its line, without minijinja's debug dump.
fn jinja_error(error: &minijinja::Error) -> String {
    match error.line() {
        Some(line) => format!(
            "{} (template line {line})",
            error.detail().unwrap_or(&error.to_string())
        ),
        None => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn options(v: Value) -> DatasetOptions {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn renders_multiple_choice_by_default() {
        let p = Prompts::new(&options(json!({"input": "{question}"}))).unwrap();
        let choices = vec!["4".to_owned(), "5".to_owned()];
        let r = record(json!({"question": "2+2?"}));
        let out = p.render(&r, Some(&choices), None).unwrap();
        assert_eq!(
            out.user,
            "2+2?\n\nA. 4\nB. 5\n\nAnswer with the letter of the correct choice."
        );
        assert_eq!(p.render(&r, None, None).unwrap().user, "2+2?");
    }

    #[test]
    fn templates_see_fields_subject_and_filters() {
        let p = Prompts::new(&options(json!({
            "template": "[{{ subject }}] {{ question }} {% for l in letters %}{{ l }}{% endfor %}",
            "system": "You are an expert in {{ subject }}.",
            "target": "{{ answer | after(\"####\") }}"
        })))
        .unwrap();
        let r = record(json!({"question": "Q", "answer": "work\n#### 72"}));
        let choices = vec!["a".to_owned(), "b".to_owned()];
        let out = p
            .render(&r, Some(&choices), Some("high_school_math"))
            .unwrap();
        assert_eq!(out.user, "[high school math] Q AB");
        assert_eq!(
            out.system.as_deref(),
            Some("You are an expert in high school math.")
        );
        assert_eq!(p.target(&r).unwrap(), Some(json!("72")));
    }

    #[test]
    fn a_missing_field_is_named() {
        let p = Prompts::new(&options(json!({"template": "{{ nope }}"}))).unwrap();
        let err = p
            .render(&record(json!({"question": "x"})), None, None)
            .unwrap_err();
        assert!(
            err.contains("template") && err.contains("undefined"),
            "{err}"
        );
        let p = Prompts::new(&options(json!({"target": "answer"}))).unwrap();
        let err = p.target(&record(json!({"question": "x"}))).unwrap_err();
        assert!(err.contains("`answer`"), "{err}");
        let p = Prompts::new(&DatasetOptions::default()).unwrap();
        let err = p
            .render(&record(json!({"ctx": "x"})), None, None)
            .unwrap_err();
        assert!(err.contains("--input") && err.contains("ctx"), "{err}");
    }

    #[test]
    fn bad_templates_and_endless_loops_are_refused() {
        let err = Prompts::new(&options(json!({"template": "{% for %}"}))).unwrap_err();
        assert!(err.to_string().contains("dataset.template"), "{err}");
        assert!(Prompts::new(&options(json!({"input": "{question"}))).is_err());
        let p = Prompts::new(&options(json!({
            "template": "{% for i in range(100000000) %}x{% endfor %}"
        })))
        .unwrap();
        assert!(p
            .render(&record(json!({"question": "x"})), None, None)
            .is_err());
    }
}
