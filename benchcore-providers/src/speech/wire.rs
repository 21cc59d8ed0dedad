//! The body of `POST /audio/speech`, as OpenAI documents it.

use serde::Serialize;

/// What a speech request sends. `response_format` is always `pcm`: raw 24 kHz 16-bit
/// little-endian mono samples, no header.
#[derive(Debug, Serialize)]
pub(super) struct SpeechRequest<'a> {
    pub(super) model: &'a str,
    pub(super) input: &'a str,
    pub(super) voice: &'a str,
    pub(super) response_format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) instructions: Option<&'a str>,
}
