//! `benchcore schema KIND`: the JSON Schema of a config, for editors and validation.

use crate::args::{SchemaArgs, SchemaKind};
use crate::output;
use benchcore::evaluator::EvaluatorConfig;
use benchcore::{Case, RunSpec};
use std::process::ExitCode;

pub(crate) fn schema(args: SchemaArgs) -> anyhow::Result<ExitCode> {
    let schema = match args.kind {
        SchemaKind::Agent => benchcore_providers::agent_config_schema(),
        SchemaKind::Judge => benchcore_providers::judge::judge_config_schema(),
        SchemaKind::Evaluator => serde_json::to_value(schemars::schema_for!(EvaluatorConfig))?,
        SchemaKind::Case => serde_json::to_value(schemars::schema_for!(Case))?,
        SchemaKind::Run => serde_json::to_value(schemars::schema_for!(RunSpec))?,
        SchemaKind::Scenario => benchcore::conversation::scenario_schema(),
        SchemaKind::Quality => benchcore_providers::quality::quality_config_schema(),
        SchemaKind::Task => {
            serde_json::to_value(schemars::schema_for!(benchcore::code_task::TaskMetadata))?
        }
    };
    output::print(&format!("{}\n", serde_json::to_string_pretty(&schema)?))?;
    Ok(ExitCode::SUCCESS)
}
