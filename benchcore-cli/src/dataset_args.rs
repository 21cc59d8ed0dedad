//! `benchcore run`'s dataset options: a published dataset file read through a field map,
//! templates and a selection, or a preset that sets them for a known benchmark.

use anyhow::{bail, Context};
use benchcore::dataset::{DatasetOptions, Preset};
use benchcore::RunSpec;

/// How a dataset file's records become cases (any of these reads the suite as a dataset).
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Datasets")]
pub struct DatasetArgs {
    /// A known benchmark's fields, template, extractor and evaluator: mmlu, gsm8k, hellaswag,
    /// arc, truthfulqa_mc1.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// The split to read from a dataset folder (train, validation, test).
    #[arg(long)]
    pub split: Option<String>,
    /// The file format when the extension does not tell it (parquet, jsonl, json, csv, tsv,
    /// arrow).
    #[arg(long, value_name = "FORMAT")]
    pub data_format: Option<String>,
    /// The question, from the record's fields: `{question}`, `{ctx_a} {ctx_b}`.
    #[arg(long, value_name = "TEMPLATE")]
    pub input: Option<String>,
    /// The target: a field (`answer`) or a Jinja template (`{{ answer | after("####") }}`).
    #[arg(long, value_name = "FIELD")]
    pub target: Option<String>,
    /// The field holding each record's choices (multiple choice).
    #[arg(long, value_name = "FIELD")]
    pub choices: Option<String>,
    /// The field holding the choices' own labels (ARC's `choices.label`).
    #[arg(long, value_name = "FIELD")]
    pub choice_labels: Option<String>,
    /// The field holding each record's id.
    #[arg(long, value_name = "FIELD")]
    pub id_field: Option<String>,
    /// The field naming each record's subject, for accuracy per subject.
    #[arg(long, value_name = "FIELD")]
    pub subject_field: Option<String>,
    /// A Jinja template for the user message (`@FILE` reads it from a file).
    #[arg(long, value_name = "TEMPLATE")]
    pub template: Option<String>,
    /// A system prompt, a Jinja template too (`@FILE` reads it from a file).
    #[arg(long, value_name = "TEMPLATE")]
    pub system_prompt: Option<String>,
    /// Worked examples before each question.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub fewshot: u32,
    /// The split examples are drawn from (default: train, validation or dev).
    #[arg(long, value_name = "SPLIT")]
    pub fewshot_split: Option<String>,
    /// Another file or folder to draw examples from.
    #[arg(long, value_name = "PATH")]
    pub fewshot_path: Option<String>,
    /// Keep the first N records (after --shuffle).
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Run the records in a seeded random order (--seed).
    #[arg(long)]
    pub shuffle: bool,
    /// Keep N records picked at random (seeded by --seed), in file order.
    #[arg(long, value_name = "N")]
    pub sample: Option<u64>,
    /// Shuffle each multiple-choice record's choices for every sample (seeded by --seed).
    #[arg(long)]
    pub shuffle_choices: bool,
}

/// `@FILE` read from the file, anything else as given.
fn text_or_file(flag: &str, value: &Option<String>) -> anyhow::Result<Option<String>> {
    match value.as_deref() {
        Some(v) if v.starts_with('@') => {
            let path = &v[1..];
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{flag} {v}: cannot read {path}"))?;
            Ok(Some(text))
        }
        other => Ok(other.map(str::to_owned)),
    }
}

impl DatasetArgs {
    /// The options given, or `None` when none were (the suite is then told by its path).
    pub(crate) fn options(&self, seed: Option<u64>) -> anyhow::Result<Option<DatasetOptions>> {
        let format = match &self.data_format {
            Some(f) => Some(
                serde_json::from_value(serde_json::Value::String(f.clone())).map_err(|_| {
                    anyhow::anyhow!(
                        "--data-format {f}: expected parquet, jsonl, json, csv, tsv or arrow"
                    )
                })?,
            ),
            None => None,
        };
        let options = DatasetOptions {
            preset: None,
            split: self.split.clone(),
            format,
            input: self.input.clone(),
            template: text_or_file("--template", &self.template)?,
            system: text_or_file("--system-prompt", &self.system_prompt)?,
            target: self.target.clone(),
            choices: self.choices.clone(),
            choice_labels: self.choice_labels.clone(),
            id_field: self.id_field.clone(),
            subject_field: self.subject_field.clone(),
            fewshot: self.fewshot,
            fewshot_split: self.fewshot_split.clone(),
            fewshot_path: self.fewshot_path.clone(),
            fewshot_answer: None,
            seed: 0,
            limit: self.limit,
            shuffle: self.shuffle,
            sample: self.sample,
            shuffle_choices: self.shuffle_choices,
        };
        if options == DatasetOptions::default() && self.preset.is_none() {
            return Ok(None);
        }
        Ok(Some(DatasetOptions {
            seed: seed.unwrap_or(0),
            ..options
        }))
    }

    /// Sets the spec's dataset options (with the preset's under them), and the preset's
    /// evaluator and extractor where the spec names none.
    pub(crate) fn apply(&self, spec: &mut RunSpec, seed: Option<u64>) -> anyhow::Result<()> {
        let Some(options) = self.options(seed)? else {
            return Ok(());
        };
        let preset = match &self.preset {
            Some(name) => Some(
                name.parse::<Preset>()
                    .map_err(|e| anyhow::anyhow!("--preset: {e}"))?,
            ),
            None => None,
        };
        benchcore::dataset::configure(spec, preset, &options)?;
        if spec.suite.path.as_deref().is_some_and(|p| p.is_empty()) {
            bail!("a dataset needs the path of its data");
        }
        Ok(())
    }
}
