//! [`Preset`]s: the field map, template, extractor and evaluator of a common benchmark, for
//! dataset files the user already has (as its hub publishes them).

use super::DatasetOptions;
use crate::evaluator::EvaluatorConfig;
use crate::{ConfigError, RunSpec};

/// A known benchmark's settings.
///
/// ```
/// use benchcore::dataset::Preset;
/// let mmlu: Preset = "mmlu".parse().unwrap();
/// assert_eq!(mmlu.options().choices.as_deref(), Some("choices"));
/// assert!("mmlu-pro".parse::<Preset>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Preset {
    /// MMLU (`cais/mmlu`): `question`, `subject`, `choices`, `answer` (an index); examples
    /// from the `dev` split.
    Mmlu,
    /// GSM8K (`openai/gsm8k`, `main`): `question`, `answer` ending in `#### <number>`.
    Gsm8k,
    /// HellaSwag (`Rowan/hellaswag`): `activity_label`, `ctx`, `endings`, `label`; the
    /// `validation` split (the test split has no labels).
    Hellaswag,
    /// ARC (`allenai/ai2_arc`, `ARC-Challenge` or `ARC-Easy`): `question`, `choices.text`,
    /// `choices.label`, `answerKey`.
    Arc,
    /// TruthfulQA MC1 (`truthfulqa/truthful_qa`, `multiple_choice`): `question`,
    /// `mc1_targets.choices`, `mc1_targets.labels`. The right answer is always listed first
    /// in the data, so its choices are shuffled for every sample.
    TruthfulqaMc1,
}

impl Preset {
    /// Every preset, in the order the docs list them.
    pub const ALL: [Preset; 5] = [
        Preset::Mmlu,
        Preset::Gsm8k,
        Preset::Hellaswag,
        Preset::Arc,
        Preset::TruthfulqaMc1,
    ];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Mmlu => "mmlu",
            Preset::Gsm8k => "gsm8k",
            Preset::Hellaswag => "hellaswag",
            Preset::Arc => "arc",
            Preset::TruthfulqaMc1 => "truthfulqa_mc1",
        }
    }

    /// Its dataset options.
    pub fn options(self) -> DatasetOptions {
        let s = |v: &str| Some(v.to_owned());
        let base = DatasetOptions {
            preset: s(self.name()),
            ..DatasetOptions::default()
        };
        match self {
            Preset::Mmlu => DatasetOptions {
                split: s("test"),
                input: s("{question}"),
                choices: s("choices"),
                target: s("answer"),
                subject_field: s("subject"),
                fewshot_split: s("dev"),
                system: s("The following are multiple choice questions (with answers) about {{ subject }}."),
                ..base
            },
            Preset::Gsm8k => DatasetOptions {
                split: s("test"),
                template: s("Question: {{ question }}\nSolve it step by step, then give the final answer on its own line as `#### <number>`."),
                target: s("{{ answer | after(\"####\") }}"),
                fewshot_split: s("train"),
                fewshot_answer: s("{{ answer }}"),
                ..base
            },
            Preset::Hellaswag => DatasetOptions {
                split: s("validation"),
                input: s("{activity_label}: {ctx}"),
                template: s("{{ input }}\n\nWhich ending continues it best?\n{{ choices_text }}\n\nAnswer with the letter of the correct choice."),
                choices: s("endings"),
                target: s("label"),
                subject_field: s("activity_label"),
                fewshot_split: s("train"),
                ..base
            },
            Preset::Arc => DatasetOptions {
                split: s("test"),
                input: s("{question}"),
                choices: s("choices.text"),
                choice_labels: s("choices.label"),
                target: s("answerKey"),
                id_field: s("id"),
                fewshot_split: s("train"),
                ..base
            },
            Preset::TruthfulqaMc1 => DatasetOptions {
                split: s("validation"),
                input: s("{question}"),
                choices: s("mc1_targets.choices"),
                target: s("mc1_targets.labels"),
                shuffle_choices: true,
                ..base
            },
        }
    }

    /// The extractor applied to replies before judging, when any.
    pub fn extract(self) -> Option<&'static str> {
        match self {
            Preset::Gsm8k => Some("last_number"),
            _ => None,
        }
    }

    /// The evaluator that judges its replies.
    pub fn evaluator(self) -> EvaluatorConfig {
        match self {
            Preset::Gsm8k => EvaluatorConfig::Numeric {
                tolerance: 1e-6,
                relative: false,
            },
            _ => EvaluatorConfig::Choice,
        }
    }

    /// Sets a run spec up for this preset: its dataset options under the user's own
    /// (`user` wins field by field), its evaluator when the spec names none, its extractor
    /// when the spec names none.
    ///
    /// # Errors
    /// The combined options do not hold together, or the extractor does not parse.
    pub fn apply(self, spec: &mut RunSpec, user: &DatasetOptions) -> Result<(), ConfigError> {
        let options = overlay(self.options(), user);
        options.check()?;
        spec.suite.dataset = Some(options);
        if spec.evaluators.is_empty() {
            spec.evaluators.push(self.evaluator());
        }
        if spec.extract.is_none() {
            if let Some(name) = self.extract() {
                spec.extract = Some(crate::evaluator::Extractor::parse(name)?);
            }
        }
        Ok(())
    }
}

/// Sets a run spec up to read its suite as a dataset: with a preset, its options under the
/// user's (see [`Preset::apply`]); without, the user's options, judged by the `choice`
/// evaluator when they name choices and the spec names no evaluator. The one path the CLI,
/// Python and the server share.
///
/// # Errors
/// The options do not hold together.
pub fn configure(
    spec: &mut RunSpec,
    preset: Option<Preset>,
    user: &DatasetOptions,
) -> Result<(), ConfigError> {
    match preset {
        Some(preset) => preset.apply(spec, user),
        None => {
            user.check()?;
            if user.choices.is_some() && spec.evaluators.is_empty() {
                spec.evaluators.push(EvaluatorConfig::Choice);
            }
            spec.suite.dataset = Some(user.clone());
            Ok(())
        }
    }
}

impl std::str::FromStr for Preset {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, ConfigError> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                ConfigError::field(
                    "dataset.preset",
                    format!(
                        "unknown preset `{s}` (known: {})",
                        Preset::ALL.map(Preset::name).join(", ")
                    ),
                )
            })
    }
}

/// `user`'s options over `base`: each field the user set wins.
pub fn overlay(base: DatasetOptions, user: &DatasetOptions) -> DatasetOptions {
    let user = user.clone();
    DatasetOptions {
        preset: user.preset.or(base.preset),
        split: user.split.or(base.split),
        format: user.format.or(base.format),
        input: user.input.or(base.input),
        template: user.template.or(base.template),
        system: user.system.or(base.system),
        target: user.target.or(base.target),
        choices: user.choices.or(base.choices),
        choice_labels: user.choice_labels.or(base.choice_labels),
        id_field: user.id_field.or(base.id_field),
        subject_field: user.subject_field.or(base.subject_field),
        fewshot: if user.fewshot > 0 {
            user.fewshot
        } else {
            base.fewshot
        },
        fewshot_split: user.fewshot_split.or(base.fewshot_split),
        fewshot_path: user.fewshot_path.or(base.fewshot_path),
        fewshot_answer: user.fewshot_answer.or(base.fewshot_answer),
        seed: if user.seed != 0 { user.seed } else { base.seed },
        limit: user.limit.or(base.limit),
        shuffle: user.shuffle || base.shuffle,
        sample: user.sample.or(base.sample),
        shuffle_choices: user.shuffle_choices || base.shuffle_choices,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_holds_together() {
        for preset in Preset::ALL {
            preset.options().check().unwrap();
            assert_eq!(preset.name().parse::<Preset>().unwrap(), preset);
        }
    }

    #[test]
    fn the_users_fields_win() {
        let user = DatasetOptions {
            split: Some("validation".into()),
            limit: Some(5),
            ..DatasetOptions::default()
        };
        let merged = overlay(Preset::Mmlu.options(), &user);
        assert_eq!(merged.split.as_deref(), Some("validation"));
        assert_eq!(merged.limit, Some(5));
        assert_eq!(merged.choices.as_deref(), Some("choices"));
    }
}
