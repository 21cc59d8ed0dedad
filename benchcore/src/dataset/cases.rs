//! [`CaseBuilder`]: one dataset record becomes one case: its id, its rendered prompt (with
//! worked examples), its target and, for multiple choice, its lettered choices.

use super::choices::{choice_texts, letter, shuffled_order, target_index};
use super::fewshot::Examples;
use super::fields::{lookup, text};
use super::prompts::{Prompts, Rendered};
use super::DatasetOptions;
use crate::{Case, ConfigError, Message};
use serde_json::{json, Map, Value};

/// Builds cases from records, the same way for a run, its resume and its workers.
#[derive(Debug)]
pub(crate) struct CaseBuilder {
    prompts: Prompts,
    options: DatasetOptions,
    /// Ids of records without an id field: `<prefix>-<row>`.
    id_prefix: String,
    examples: Option<Examples>,
}

/// A record's choices, in the order shown, and which of them is right.
struct Choices {
    shown: Vec<String>,
    answer: usize,
}

impl CaseBuilder {
    /// A builder for these options; ids without an id field start with `id_prefix`.
    pub(crate) fn new(options: &DatasetOptions, id_prefix: &str) -> Result<Self, ConfigError> {
        options.check()?;
        Ok(Self {
            prompts: Prompts::new(options)?,
            options: options.clone(),
            id_prefix: id_prefix.to_owned(),
            examples: None,
        })
    }

    /// Adds the pool worked examples are drawn from.
    pub(crate) fn with_examples(mut self, examples: Examples) -> Self {
        self.examples = Some(examples);
        self
    }

    pub(crate) fn options(&self) -> &DatasetOptions {
        &self.options
    }

    /// A record's id: its id field, else `<prefix>-<row>` (row from 1, zero-padded so ids
    /// sort in file order).
    pub(crate) fn id(&self, row: u64, record: &Map<String, Value>) -> Result<String, String> {
        match &self.options.id_field {
            Some(field) => match lookup(record, field) {
                Some(Value::Null) | None => {
                    Err(format!("id_field: the record has no field `{field}`"))
                }
                Some(value) => Ok(text(value)),
            },
            None => Ok(format!("{}-{row:05}", self.id_prefix)),
        }
    }

    /// The record's subject, when the options name a subject field.
    pub(crate) fn subject(&self, record: &Map<String, Value>) -> Result<Option<String>, String> {
        match &self.options.subject_field {
            Some(field) => lookup(record, field)
                .map(|v| Some(text(v)))
                .ok_or_else(|| format!("subject_field: the record has no field `{field}`")),
            None => Ok(None),
        }
    }

    /// The record's choices in the order `order` gives (all of them, in their own order,
    /// when `None`), and the right one's position among them.
    fn choices(
        &self,
        record: &Map<String, Value>,
        order: Option<&[usize]>,
    ) -> Result<Option<Choices>, String> {
        let Some(field) = &self.options.choices else {
            return Ok(None);
        };
        let value = lookup(record, field)
            .ok_or_else(|| format!("choices: the record has no field `{field}`"))?;
        let all = choice_texts(value).map_err(|e| format!("choices: field `{field}` {e}"))?;
        let labels = match &self.options.choice_labels {
            Some(field) => Some(
                lookup(record, field)
                    .map(choice_texts)
                    .ok_or_else(|| format!("choice_labels: the record has no field `{field}`"))?
                    .map_err(|e| format!("choice_labels: field `{field}` {e}"))?,
            ),
            None => None,
        };
        let target = self.prompts.target(record)?.ok_or(
            "target: a multiple-choice record needs a target (name its field with --target)",
        )?;
        let right =
            target_index(&target, &all, labels.as_deref()).map_err(|e| format!("target: {e}"))?;
        let (shown, answer) = match order {
            Some(order) => (
                order.iter().map(|&i| all[i].clone()).collect(),
                order.iter().position(|&i| i == right).unwrap_or(right),
            ),
            None => (all, right),
        };
        Ok(Some(Choices { shown, answer }))
    }

    /// A record's subject, its choices in their own order, and its prompt.
    fn render(
        &self,
        record: &Map<String, Value>,
    ) -> Result<(Option<String>, Option<Choices>, Rendered), String> {
        let subject = self.subject(record)?;
        let choices = self.choices(record, None)?;
        let rendered = self.prompts.render(
            record,
            choices.as_ref().map(|c| c.shown.as_slice()),
            subject.as_deref(),
        )?;
        Ok((subject, choices, rendered))
    }

    /// The case for a record at `row` (1-based) of the data.
    pub(crate) fn build(&self, row: u64, record: &Map<String, Value>) -> Result<Case, String> {
        let id = self.id(row, record)?;
        let (subject, choices, rendered) = self.render(record)?;
        let target = match &choices {
            Some(c) => Some(Value::String(letter(c.answer))),
            None => self.prompts.target(record)?.filter(|t| !t.is_null()),
        };
        let mut messages = Vec::new();
        if let Some(system) = rendered.system {
            messages.push(Message::system(system));
        }
        if let Some(examples) = &self.examples {
            for example in examples.for_case(&id, subject.as_deref()) {
                messages.push(Message::user(example.prompt.clone()));
                messages.push(Message::assistant(example.answer.clone()));
            }
        }
        messages.push(Message::user(rendered.user));
        let mut metadata = Map::new();
        metadata.insert("row".into(), json!(row));
        if let Some(subject) = subject {
            metadata.insert("subject".into(), Value::String(subject));
        }
        if let Some(c) = &choices {
            metadata.insert("choices".into(), json!(c.shown));
        }
        if self.options.shuffle_choices {
            // Each sample renders the record again with its own order of choices.
            metadata.insert("record".into(), Value::Object(record.clone()));
        }
        let mut case = Case::from_messages(id, messages).with_metadata(Value::Object(metadata));
        case.target = target;
        Ok(case)
    }

    /// A worked example from a record: its prompt (no system prompt, no examples of its own)
    /// and its answer.
    pub(crate) fn example(
        &self,
        record: &Map<String, Value>,
    ) -> Result<(String, String, Option<String>), String> {
        let (subject, choices, rendered) = self.render(record)?;
        let answer = match &choices {
            Some(c) => letter(c.answer),
            None => self
                .prompts
                .target(record)?
                .map(|t| text(&t))
                .ok_or("fewshot: an example needs a target (name its field with --target)")?,
        };
        let answer = self.prompts.example_answer(record, &answer)?;
        Ok((rendered.user, answer, subject))
    }

    /// The case as sample `sample` sees it: its choices in that sample's seeded order, its
    /// question rendered again and its target letter remapped. Other cases are unchanged.
    pub(crate) fn for_sample(&self, case: &Case, sample: u32) -> Result<Option<Case>, String> {
        if !self.options.shuffle_choices {
            return Ok(None);
        }
        let Some(Value::Object(record)) = case.metadata.get("record") else {
            return Ok(None);
        };
        let Some(n) = case
            .metadata
            .get("choices")
            .and_then(Value::as_array)
            .map(Vec::len)
        else {
            return Ok(None);
        };
        let order = shuffled_order(n, self.options.seed, &case.id, sample);
        let choices = self
            .choices(record, Some(&order))?
            .ok_or("choices: the record has none")?;
        let subject = self.subject(record)?;
        let rendered = self
            .prompts
            .render(record, Some(&choices.shown), subject.as_deref())?;
        let mut shuffled = case.clone();
        if let Some(last) = shuffled.messages.last_mut() {
            last.content = rendered.user;
        }
        shuffled.target = Some(Value::String(letter(choices.answer)));
        if let Value::Object(metadata) = &mut shuffled.metadata {
            metadata.insert("choices".into(), json!(choices.shown));
            metadata.insert("choice_order".into(), json!(order));
        }
        Ok(Some(shuffled))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn mmlu() -> DatasetOptions {
        serde_json::from_value(json!({
            "input": "{question}",
            "choices": "choices",
            "target": "answer",
            "subject_field": "subject",
            "shuffle_choices": true,
            "seed": 3
        }))
        .unwrap()
    }

    #[test]
    fn builds_a_multiple_choice_case_with_a_letter_target() {
        let builder = CaseBuilder::new(&mmlu(), "test").unwrap();
        let r = record(
            json!({"question": "Capital of Norway?", "choices": ["Paris", "Oslo", "Rome"], "answer": 1, "subject": "geography"}),
        );
        let case = builder.build(7, &r).unwrap();
        assert_eq!(case.id, "test-00007");
        assert_eq!(case.target, Some(json!("B")));
        assert_eq!(case.metadata["subject"], "geography");
        assert!(case.input_text().contains("B. Oslo"));
    }

    #[test]
    fn each_sample_sees_its_own_order_with_the_target_remapped() {
        let builder = CaseBuilder::new(&mmlu(), "test").unwrap();
        let r = record(
            json!({"question": "Q", "choices": ["w", "x", "y", "z"], "answer": "C", "subject": "s"}),
        );
        let case = builder.build(1, &r).unwrap();
        let mut orders = std::collections::HashSet::new();
        for sample in 0..12 {
            let shown = builder.for_sample(&case, sample).unwrap().unwrap();
            let letter = shown.target.as_ref().unwrap().as_str().unwrap().to_owned();
            let i = usize::from(letter.as_bytes()[0] - b'A');
            assert_eq!(shown.metadata["choices"][i], "y", "sample {sample}");
            assert!(shown.input_text().contains(&format!("{letter}. y")));
            orders.insert(shown.metadata["choice_order"].to_string());
            assert_eq!(builder.for_sample(&case, sample).unwrap().unwrap(), shown);
        }
        assert!(orders.len() > 1);
    }

    #[test]
    fn errors_name_the_field() {
        let builder = CaseBuilder::new(&mmlu(), "test").unwrap();
        let err = builder
            .build(
                1,
                &record(json!({"question": "Q", "choices": "abc", "answer": 0, "subject": "s"})),
            )
            .unwrap_err();
        assert!(err.contains("choices: field `choices`"), "{err}");
        let err = builder
            .build(
                1,
                &record(
                    json!({"question": "Q", "choices": ["a", "b"], "answer": 5, "subject": "s"}),
                ),
            )
            .unwrap_err();
        assert!(err.starts_with("target:"), "{err}");
    }
}
