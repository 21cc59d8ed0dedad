//! [`Keys`]: the shared keys of one config, borrowed, and their checks; how configured
//! headers print.

use crate::http;
use crate::registry::{check_name, field_error};
use benchcore::{ConfigError, Secret};
use reqwest::header::HeaderMap;
use std::collections::BTreeMap;
use std::fmt;

/// The shared keys of one config, borrowed; a key the config does not take is `None`.
#[derive(Clone, Copy, Default)]
#[cfg_attr(not(feature = "_chat"), allow(dead_code))]
pub(crate) struct Keys<'a> {
    pub(crate) name: Option<&'a str>,
    pub(crate) api_key_env: Option<&'a str>,
    pub(crate) api_key: Option<&'a Secret>,
    pub(crate) headers: Option<&'a BTreeMap<String, String>>,
    pub(crate) temperature: Option<f64>,
    pub(crate) max_tokens: Option<u32>,
    pub(crate) seed: Option<u64>,
    pub(crate) timeout_ms: Option<u64>,
    pub(crate) max_response_bytes: Option<u64>,
    pub(crate) system_prompt: Option<&'a str>,
    pub(crate) stream: bool,
}

/// Prints a header map with credential values as `***`.
pub(crate) struct RedactedHeaders<'a>(pub(crate) &'a BTreeMap<String, String>);

impl fmt::Debug for RedactedHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(name, value)| {
                let value = if http::is_sensitive_header(name) {
                    "***"
                } else {
                    value.as_str()
                };
                (name, value)
            }))
            .finish()
    }
}

impl Keys<'_> {
    /// Checks every shared key the config has, without reading the environment, and returns
    /// the extra headers as a [`HeaderMap`]. `agent` names the agent in errors;
    /// `max_temperature` is the top of the provider's range.
    pub(crate) fn check(
        &self,
        agent: &str,
        max_temperature: f64,
    ) -> Result<HeaderMap, ConfigError> {
        let error = |field: &str, why: String| field_error(agent, field, why);
        if let Some(name) = self.name {
            check_name(name).map_err(|why| error("name", why))?;
        }
        if let Some(var) = self.api_key_env {
            http::check_env_name(var).map_err(|why| error("api_key_env", why))?;
        }
        if let Some(key) = self.api_key {
            http::check_key(key).map_err(|why| error("api_key", why))?;
        }
        let headers = match self.headers {
            Some(headers) => http::header_map(headers).map_err(|why| error("headers", why))?,
            None => HeaderMap::new(),
        };
        if let Some(t) = self.temperature {
            if !(0.0..=max_temperature).contains(&t) {
                return Err(error(
                    "temperature",
                    format!("{t} is outside 0 to {max_temperature}"),
                ));
            }
        }
        for (field, value) in [
            ("max_tokens", self.max_tokens.map(u64::from)),
            ("timeout_ms", self.timeout_ms),
            ("max_response_bytes", self.max_response_bytes),
        ] {
            if value == Some(0) {
                return Err(error(field, "must be at least 1".to_owned()));
            }
        }
        Ok(headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shared_key_is_checked_and_named() {
        let check = |keys: Keys<'_>| keys.check("m", 2.0).unwrap_err().to_string();
        let bad_name = BTreeMap::from([("bad header".to_owned(), "v".to_owned())]);
        let bad_value = BTreeMap::from([("x-a".to_owned(), "line\nbreak".to_owned())]);
        let empty = Secret::new("");
        let cases: [(Keys<'_>, &str); 9] = [
            (
                Keys {
                    name: Some(" "),
                    ..Keys::default()
                },
                "agents.m.name: ` ` is not a usable name",
            ),
            (
                Keys {
                    api_key_env: Some("A=B"),
                    ..Keys::default()
                },
                "agents.m.api_key_env: `A=B`",
            ),
            (
                Keys {
                    api_key: Some(&empty),
                    ..Keys::default()
                },
                "agents.m.api_key: is empty",
            ),
            (
                Keys {
                    headers: Some(&bad_name),
                    ..Keys::default()
                },
                "agents.m.headers: `bad header`",
            ),
            (
                Keys {
                    headers: Some(&bad_value),
                    ..Keys::default()
                },
                "agents.m.headers: the value of `x-a`",
            ),
            (
                Keys {
                    temperature: Some(3.0),
                    ..Keys::default()
                },
                "agents.m.temperature: 3 is outside 0 to 2",
            ),
            (
                Keys {
                    max_tokens: Some(0),
                    ..Keys::default()
                },
                "agents.m.max_tokens: must be at least 1",
            ),
            (
                Keys {
                    timeout_ms: Some(0),
                    ..Keys::default()
                },
                "agents.m.timeout_ms: must be at least 1",
            ),
            (
                Keys {
                    max_response_bytes: Some(0),
                    ..Keys::default()
                },
                "agents.m.max_response_bytes: must be at least 1",
            ),
        ];
        for (keys, expected) in cases {
            let err = check(keys);
            assert!(
                err.starts_with(expected),
                "{err} does not start with {expected}"
            );
        }
        let unnamed = Keys {
            name: Some("\u{7}"),
            ..Keys::default()
        }
        .check("", 1.0);
        assert!(unnamed
            .unwrap_err()
            .to_string()
            .starts_with("agents.<unnamed>.name"));
        assert!(Keys::default().check("m", 1.0).unwrap().is_empty());
    }
}
