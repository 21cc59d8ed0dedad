//! The Batch API's wire types, as OpenAI's reference documents them: input lines, the batch
//! object, and output and error lines.

use super::wire::ChatRequest;
use serde::{Deserialize, Serialize};

/// The endpoint every line of our input files names.
pub(crate) const CHAT_ENDPOINT: &str = "/v1/chat/completions";

/// One line of a batch input file.
#[derive(Serialize)]
pub(crate) struct InputLine<'a> {
    pub(crate) custom_id: &'a str,
    pub(crate) method: &'static str,
    pub(crate) url: &'static str,
    pub(crate) body: ChatRequest<'a>,
}

/// `POST /v1/batches`.
#[derive(Serialize)]
pub(crate) struct CreateBatch<'a> {
    pub(crate) input_file_id: &'a str,
    pub(crate) endpoint: &'static str,
    pub(crate) completion_window: &'static str,
}

/// A file object (only its id is read).
#[derive(Deserialize)]
pub(crate) struct FileObject {
    pub(crate) id: String,
}

/// A batch object: the fields read.
#[derive(Deserialize)]
pub(crate) struct BatchObject {
    pub(crate) id: String,
    pub(crate) status: String,
    #[serde(default)]
    pub(crate) output_file_id: Option<String>,
    #[serde(default)]
    pub(crate) error_file_id: Option<String>,
    #[serde(default)]
    pub(crate) errors: Option<BatchErrors>,
}

/// `errors` of a batch that failed validation.
#[derive(Deserialize)]
pub(crate) struct BatchErrors {
    #[serde(default)]
    pub(crate) data: Vec<LineError>,
}

/// One error: of a whole batch (with its input line) or of one request.
#[derive(Deserialize)]
pub(crate) struct LineError {
    #[serde(default)]
    pub(crate) code: Option<String>,
    #[serde(default)]
    pub(crate) message: Option<String>,
    #[serde(default)]
    pub(crate) line: Option<u64>,
}

impl LineError {
    /// `code: message (line N)`, with what is there.
    pub(crate) fn describe(&self) -> String {
        let mut text = match (&self.code, &self.message) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(text), None) | (None, Some(text)) => text.clone(),
            (None, None) => "no reason given".to_owned(),
        };
        if let Some(line) = self.line {
            text.push_str(&format!(" (input line {line})"));
        }
        text
    }
}

/// One line of an output or error file.
#[derive(Deserialize)]
pub(crate) struct OutputLine {
    pub(crate) custom_id: String,
    #[serde(default)]
    pub(crate) response: Option<LineResponse>,
    #[serde(default)]
    pub(crate) error: Option<LineError>,
}

/// The response a line holds: the status and body the request would have had.
#[derive(Deserialize)]
pub(crate) struct LineResponse {
    pub(crate) status_code: u16,
    #[serde(default)]
    pub(crate) body: serde_json::Value,
}
