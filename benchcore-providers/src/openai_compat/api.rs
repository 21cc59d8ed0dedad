//! [`Api`]: which of OpenAI's APIs an agent's requests go to, decided once by its config.

use std::collections::BTreeMap;

/// Which API the agent speaks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Api {
    /// `POST {base_url}/chat/completions`.
    ChatCompletions,
    /// `POST {base_url}/responses` with this managed prompt.
    Responses(Prompt),
}

/// A prompt managed on OpenAI's platform, checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Prompt {
    pub(crate) id: String,
    pub(crate) version: Option<String>,
    pub(crate) variables: BTreeMap<String, String>,
}
