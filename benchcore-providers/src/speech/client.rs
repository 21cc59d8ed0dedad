//! The HTTP client the OpenAI speech and transcription providers share: the key checked and
//! sent as a sensitive `Authorization: Bearer` header.

use crate::http;
use benchcore::Secret;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};

/// A client that sends `api_key` with every request, and the trimmed key. The error says
/// why the key cannot be sent.
pub(super) fn bearer_client(api_key: &Secret) -> Result<(reqwest::Client, Secret), String> {
    let key = api_key.expose().trim();
    if key.is_empty() {
        return Err("the API key is empty".to_owned());
    }
    let mut bearer = HeaderValue::from_str(&format!("Bearer {key}"))
        .map_err(|_| "the API key is not a valid HTTP header value".to_owned())?;
    bearer.set_sensitive(true);
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, bearer);
    let client = http::client(headers).map_err(|err| err.to_string())?;
    Ok((client, Secret::new(key)))
}
