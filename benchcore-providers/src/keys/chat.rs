//! What a chat agent's config resolves from its shared keys: the API key and where it came
//! from, the default sampling, and the agent's [`Endpoint`].

use super::Keys;
use crate::http::{self, Endpoint, DEFAULT_MAX_RESPONSE_BYTES};
use crate::registry::field_error;
use benchcore::{ConfigError, Sampling, Secret};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT};
use reqwest::Url;
use std::time::Duration;

/// An API key, and where it came from (said in auth errors, never the key).
pub(crate) struct ResolvedKey {
    pub(crate) secret: Secret,
    pub(crate) source: String,
}

impl Keys<'_> {
    /// The key: `api_key`, else the variable `api_key_env` names, else `default_env`; `None`
    /// when none of them is set.
    ///
    /// # Errors
    /// The variable is unset, empty or not a usable key; the error names `api_key_env`.
    pub(crate) fn resolve_key(
        &self,
        agent: &str,
        default_env: Option<&str>,
    ) -> Result<Option<ResolvedKey>, ConfigError> {
        if let Some(key) = self.api_key {
            return Ok(Some(ResolvedKey {
                secret: key.clone(),
                source: "the API key given as api_key".to_owned(),
            }));
        }
        let Some(var) = self.api_key_env.or(default_env) else {
            return Ok(None);
        };
        let secret =
            http::key_from_env(var).map_err(|why| field_error(agent, "api_key_env", why))?;
        Ok(Some(ResolvedKey {
            secret,
            source: format!("the API key from the environment variable {var}"),
        }))
    }

    /// A credential header's value (`Bearer …`), marked sensitive.
    ///
    /// # Errors
    /// The key cannot be sent as a header; the error names `api_key`.
    pub(crate) fn key_header(agent: &str, value: &str) -> Result<HeaderValue, ConfigError> {
        http::secret_header(value)
            .ok_or_else(|| field_error(agent, "api_key", "is not a valid HTTP header value"))
    }

    /// The default sampling settings.
    pub(crate) fn sampling(&self) -> Sampling {
        let mut sampling = Sampling::default();
        sampling.temperature = self.temperature;
        sampling.max_tokens = self.max_tokens;
        sampling.seed = self.seed;
        sampling
    }

    /// The exchange a checked config's agent does: to `url`, with `headers` (the key's
    /// among them) and the `Accept` header `stream` asks for.
    ///
    /// # Errors
    /// The HTTP client cannot be built.
    pub(crate) fn endpoint(
        &self,
        name: String,
        url: Url,
        mut headers: HeaderMap,
        key: Option<ResolvedKey>,
    ) -> Result<Endpoint, ConfigError> {
        let accept = if self.stream {
            "text/event-stream"
        } else {
            "application/json"
        };
        headers.insert(ACCEPT, HeaderValue::from_static(accept));
        let (api_key, key_source) = match key {
            Some(key) => (Some(key.secret), key.source),
            None => (None, "no API key: none is configured".to_owned()),
        };
        Ok(Endpoint {
            name,
            url,
            api_key,
            key_source,
            defaults: self.sampling(),
            timeout: self.timeout_ms.map(Duration::from_millis),
            max_response_bytes: self
                .max_response_bytes
                .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
            stream: self.stream,
            system_prompt: self.system_prompt.map(str::to_owned),
            client: http::client(headers)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_the_config_then_the_environment() {
        let literal = Secret::new("sk-literal");
        let keys = Keys {
            api_key: Some(&literal),
            api_key_env: Some("BENCHCORE_TEST_SURELY_UNSET_KEY"),
            ..Keys::default()
        };
        let key = keys.resolve_key("m", None).unwrap().unwrap();
        assert_eq!(key.source, "the API key given as api_key");
        assert!(Keys::default().resolve_key("m", None).unwrap().is_none());
        let err = Keys::default()
            .resolve_key("m", Some("BENCHCORE_TEST_SURELY_UNSET_KEY"))
            .err()
            .unwrap();
        assert_eq!(err.field.as_deref(), Some("agents.m.api_key_env"));
    }
}
