//! [`DatasetOptions`]: how a published dataset's records become cases. Stored with the run's
//! spec, so a resume (or a worker) rebuilds exactly the same cases.

use super::DataFormat;
use crate::ConfigError;
use serde::{Deserialize, Serialize};

/// How a dataset file's records become cases: which split, which fields, which prompt, which
/// records. Every field is optional; a [preset](super::Preset) fills the usual ones for a
/// known benchmark.
///
/// ```
/// use benchcore::dataset::DatasetOptions;
/// let options = DatasetOptions {
///     input: Some("{question}".into()),
///     target: Some("answer".into()),
///     limit: Some(100),
///     ..DatasetOptions::default()
/// };
/// options.check().unwrap();
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DatasetOptions {
    /// The preset these options started from (`mmlu`, `gsm8k` …), for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// The split to read from a folder (`train`, `validation`, `test`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split: Option<String>,
    /// The file format, when the extension does not tell it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<DataFormat>,
    /// The question, from the record's fields: `{question}`, `{ctx_a} {ctx_b}` (dotted paths
    /// reach nested fields: `{choices.text}`). Default: the `input`, else the `question` field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// A Jinja template for the whole user message, over the record's fields and `input`,
    /// `choices`, `letters`, `choices_text` and `subject`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// A system prompt (a Jinja template over the same names).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The target: a field path (`answer`), or a Jinja template (`{{ answer | after("####") }}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The field holding the choices of a multiple-choice record (a list of texts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choices: Option<String>,
    /// The field holding the choices' own labels (`choices.label` in ARC), which a target
    /// such as `"C"` or `"3"` names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choice_labels: Option<String>,
    /// The field holding each record's id. Default: the split (or file stem) and row number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_field: Option<String>,
    /// The field naming a record's subject, for accuracy per subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_field: Option<String>,
    /// How many worked examples precede each question.
    #[serde(skip_serializing_if = "is_zero")]
    pub fewshot: u32,
    /// The split the examples come from (same file or folder). Default: `train`, else
    /// `validation`, else `dev`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fewshot_split: Option<String>,
    /// Another file or folder to draw examples from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fewshot_path: Option<String>,
    /// How an example's answer is written (a Jinja template). Default: the target (its
    /// letter for multiple choice).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fewshot_answer: Option<String>,
    /// Seed of every random choice: examples, shuffling, sampling.
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub seed: u64,
    /// Keep the first this many records (after shuffling, when shuffled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Run the records in a seeded random order (the chosen cases are held in memory).
    #[serde(skip_serializing_if = "is_false")]
    pub shuffle: bool,
    /// Keep this many records picked at random (seeded), in file order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample: Option<u64>,
    /// Shuffle a multiple-choice record's choices for each sample, the target remapped.
    #[serde(skip_serializing_if = "is_false")]
    pub shuffle_choices: bool,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn is_zero_u64(n: &u64) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl DatasetOptions {
    /// Checks what can be checked without reading the data.
    ///
    /// # Errors
    /// A template that does not parse, an empty field name, `limit` or `sample` of 0,
    /// `shuffle_choices` without `choices`, examples without a split or file to draw from.
    pub fn check(&self) -> Result<(), ConfigError> {
        let field = |name: &str, value: &Option<String>| -> Result<(), ConfigError> {
            match value {
                Some(v) if v.trim().is_empty() => Err(ConfigError::field(
                    format!("dataset.{name}"),
                    "is empty: name a field of the records",
                )),
                _ => Ok(()),
            }
        };
        field("target", &self.target)?;
        field("choices", &self.choices)?;
        field("choice_labels", &self.choice_labels)?;
        field("id_field", &self.id_field)?;
        field("subject_field", &self.subject_field)?;
        field("split", &self.split)?;
        if self.limit == Some(0) {
            return Err(ConfigError::field("dataset.limit", "must be at least 1"));
        }
        if self.sample == Some(0) {
            return Err(ConfigError::field("dataset.sample", "must be at least 1"));
        }
        if self.shuffle_choices && self.choices.is_none() {
            return Err(ConfigError::field(
                "dataset.shuffle_choices",
                "needs `choices`: the field holding each record's choices",
            ));
        }
        if self.choice_labels.is_some() && self.choices.is_none() {
            return Err(ConfigError::field(
                "dataset.choice_labels",
                "needs `choices`: the field holding each record's choices",
            ));
        }
        super::Prompts::new(self).map(|_| ())
    }
}
