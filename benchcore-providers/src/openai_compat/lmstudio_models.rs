//! [`LmStudioModels`]: the models an LM Studio server has, and loading and unloading them,
//! over LM Studio's own REST API (LM Studio 0.4 and later), as its reference documents it:
//!
//! - list: <https://lmstudio.ai/docs/developer/rest/list> (`GET /api/v1/models`: `models[]`
//!   with `key`, `type`, `display_name`, `loaded_instances[].id` …)
//! - load: <https://lmstudio.ai/docs/developer/rest/load> (`POST /api/v1/models/load` with
//!   `{"model"}`; answers `type`, `instance_id`, `load_time_seconds`, `status: "loaded"`)
//! - unload: <https://lmstudio.ai/docs/developer/rest/unload> (`POST /api/v1/models/unload`
//!   with `{"instance_id"}`; answers `{"instance_id"}`)
//! - tokens: <https://lmstudio.ai/docs/developer/core/authentication> (`Authorization:
//!   Bearer`, when the server requires authentication)
//!
//! The REST API lives at the server's root, beside the OpenAI-compatible `/v1` an agent's
//! `base_url` names, so the root is that URL without its last `/v1`.

use super::LmStudioConfig;
use crate::http::{client_builder, header_map, ProviderError};
use benchcore::{ConfigError, Secret};
use reqwest::Url;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

/// How long listing or unloading may take.
const QUICK_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a load may take: LM Studio answers once the model is in memory, which for a large
/// model on a slow disk takes minutes.
const LOAD_TIMEOUT: Duration = Duration::from_secs(600);
/// The largest answer read.
const MAX_BODY: usize = 8 * 1024 * 1024;

/// What went wrong talking to an LM Studio server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LmStudioError {
    /// No answer: the server is not running, not reachable, or too slow.
    #[error("cannot reach the LM Studio server at {url}: {message}")]
    Unreachable {
        /// The server's root.
        url: String,
        /// Why.
        message: String,
    },
    /// The server has no model of that key.
    #[error("the LM Studio server at {url} has no model {model:?}")]
    UnknownModel {
        /// The server's root.
        url: String,
        /// The key asked for.
        model: String,
    },
    /// The server answered with an error status (a load that failed, a missing token …).
    #[error("the LM Studio server at {url} answered {status} to {what}: {message}")]
    Refused {
        /// The server's root.
        url: String,
        /// What was asked (`load of "qwen"` …).
        what: String,
        /// The HTTP status.
        status: u16,
        /// The server's own message.
        message: String,
    },
    /// The answer is not what the reference documents.
    #[error("the LM Studio server at {url} answered {what} with something unexpected: {message}")]
    Malformed {
        /// The server's root.
        url: String,
        /// What was asked.
        what: String,
        /// What is wrong with the answer.
        message: String,
    },
}

/// A model an LM Studio server has on disk, with its loaded instances.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct LocalModel {
    /// Its key: what `model` names in a chat request and a load.
    pub key: String,
    /// `llm` or `embedding`.
    #[serde(rename = "type")]
    pub model_type: String,
    /// Its name for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Its publisher.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    /// Its parameter count, for people (`7B`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params_string: Option<String>,
    /// Its size on disk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// The longest context it supports, in tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_context_length: Option<u64>,
    /// The ids of its loaded instances (none when not loaded).
    pub instances: Vec<String>,
}

impl LocalModel {
    /// Whether an instance of it is loaded.
    pub fn is_loaded(&self) -> bool {
        !self.instances.is_empty()
    }
}

/// What a load did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Loaded {
    /// The model's key.
    pub model: String,
    /// The instance that answers for it.
    pub instance_id: String,
    /// Whether it was loaded already, so nothing was loaded now.
    pub already_loaded: bool,
    /// How long the load took, as the server reports it (absent when nothing was loaded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_time_seconds: Option<f64>,
}

/// `GET /api/v1/models`.
#[derive(Deserialize)]
struct WireList {
    models: Vec<WireModel>,
}

#[derive(Deserialize)]
struct WireModel {
    key: String,
    #[serde(rename = "type", default)]
    model_type: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    publisher: Option<String>,
    #[serde(default)]
    params_string: Option<String>,
    #[serde(default)]
    size_bytes: Option<u64>,
    #[serde(default)]
    max_context_length: Option<u64>,
    #[serde(default)]
    loaded_instances: Vec<WireInstance>,
}

#[derive(Deserialize)]
struct WireInstance {
    id: String,
}

/// `POST /api/v1/models/load`'s answer. Some releases of the reference name the instance
/// `model_instance_id`; both are read.
#[derive(Deserialize)]
struct WireLoaded {
    #[serde(default)]
    instance_id: Option<String>,
    #[serde(default)]
    model_instance_id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    load_time_seconds: Option<f64>,
}

/// A client of one LM Studio server's model management.
///
/// ```
/// use benchcore_providers::openai_compat::LmStudioModels;
/// let models = LmStudioModels::new("http://10.0.0.2:1234/v1").unwrap();
/// assert_eq!(models.root(), "http://10.0.0.2:1234");
/// ```
#[derive(Clone)]
pub struct LmStudioModels {
    client: reqwest::Client,
    root: String,
    token: Option<Secret>,
}

impl std::fmt::Debug for LmStudioModels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LmStudioModels")
            .field("root", &self.root)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish()
    }
}

impl LmStudioModels {
    /// A client of the server whose OpenAI-compatible root is `base_url` (`http://HOST:PORT/v1`;
    /// the server's root itself works too).
    ///
    /// # Errors
    /// `base_url` is not an `http(s)` URL, or carries a password.
    pub fn new(base_url: &str) -> Result<Self, ConfigError> {
        Self::with_headers(base_url, &Default::default())
    }

    /// A client of the server an LM Studio agent talks to: its `base_url` (or the default),
    /// with its token (`api_key`, else the variable `api_key_env` names) and `headers`, as
    /// its chat requests carry them.
    ///
    /// # Errors
    /// As [`new`](Self::new), or a header that is not valid.
    pub fn from_config(config: &LmStudioConfig) -> Result<Self, ConfigError> {
        let compat = config.to_compat();
        let mut client = Self::with_headers(&compat.base_url, &compat.headers)?;
        client.token = compat.api_key.clone().or_else(|| {
            compat
                .api_key_env
                .as_deref()
                .and_then(|var| std::env::var(var).ok())
                .filter(|key| !key.trim().is_empty())
                .map(Secret::new)
        });
        Ok(client)
    }

    fn with_headers(
        base_url: &str,
        headers: &std::collections::BTreeMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let field = |message: String| ConfigError::field("base_url", message);
        let url = Url::parse(base_url.trim())
            .map_err(|e| field(format!("`{base_url}` is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(field(format!("`{base_url}` is not an http(s) URL")));
        }
        crate::http::check_no_password(&url).map_err(field)?;
        let headers = header_map(headers).map_err(|e| ConfigError::field("headers", e))?;
        let client = client_builder()
            .default_headers(headers)
            .build()
            .map_err(|e| ConfigError::new(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            client,
            root: server_root(&url),
            token: None,
        })
    }

    /// Sends `Authorization: Bearer TOKEN` (for a server that requires authentication).
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Secret::new(token));
        self
    }

    /// The server's root (`http://HOST:PORT`), where its REST API lives.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// Every model the server has, loaded or not.
    ///
    /// # Errors
    /// The server cannot be reached, refuses, or answers something else than a model list.
    pub async fn list_models(&self) -> Result<Vec<LocalModel>, LmStudioError> {
        let what = "the model list";
        let body = self
            .exchange(reqwest::Method::GET, "models", None, QUICK_TIMEOUT, what)
            .await?;
        let list: WireList = serde_json::from_slice(&body).map_err(|e| self.malformed(what, e))?;
        Ok(list
            .models
            .into_iter()
            .map(|m| LocalModel {
                key: m.key,
                model_type: m.model_type,
                display_name: m.display_name,
                publisher: m.publisher,
                params_string: m.params_string,
                size_bytes: m.size_bytes,
                max_context_length: m.max_context_length,
                instances: m.loaded_instances.into_iter().map(|i| i.id).collect(),
            })
            .collect())
    }

    /// The model of key `model` (an `lmstudio/` prefix is dropped, as agents drop it).
    ///
    /// # Errors
    /// As [`list_models`](Self::list_models), or [`LmStudioError::UnknownModel`].
    pub async fn model(&self, model: &str) -> Result<LocalModel, LmStudioError> {
        let key = model_key(model);
        self.list_models()
            .await?
            .into_iter()
            .find(|m| m.key == key)
            .ok_or_else(|| LmStudioError::UnknownModel {
                url: self.root.clone(),
                model: key.to_owned(),
            })
    }

    /// Loads `model` unless an instance of it is loaded already: LM Studio answers a load of
    /// a loaded model with a second instance, which would hold its memory twice.
    ///
    /// # Errors
    /// As [`model`](Self::model); a load the server refuses carries its message.
    pub async fn load(&self, model: &str) -> Result<Loaded, LmStudioError> {
        let found = self.model(model).await?;
        if let Some(instance) = found.instances.first() {
            return Ok(Loaded {
                instance_id: instance.clone(),
                model: found.key,
                already_loaded: true,
                load_time_seconds: None,
            });
        }
        let what = format!("the load of {:?}", found.key);
        let body = self
            .exchange(
                reqwest::Method::POST,
                "models/load",
                Some(json!({ "model": found.key })),
                LOAD_TIMEOUT,
                &what,
            )
            .await?;
        let loaded: WireLoaded =
            serde_json::from_slice(&body).map_err(|e| self.malformed(&what, e))?;
        if let Some(status) = loaded.status.as_deref().filter(|s| *s != "loaded") {
            return Err(self.malformed(&what, format!("status {status:?}, not \"loaded\"")));
        }
        let instance_id = loaded
            .instance_id
            .or(loaded.model_instance_id)
            .unwrap_or_else(|| found.key.clone());
        Ok(Loaded {
            model: found.key,
            instance_id,
            already_loaded: false,
            load_time_seconds: loaded.load_time_seconds,
        })
    }

    /// Unloads every loaded instance of `model`; returns their ids (none when it was not
    /// loaded).
    ///
    /// # Errors
    /// As [`model`](Self::model); an unload the server refuses carries its message.
    pub async fn unload(&self, model: &str) -> Result<Vec<String>, LmStudioError> {
        let found = self.model(model).await?;
        let mut unloaded = Vec::new();
        for instance in found.instances {
            let what = format!("the unload of {instance:?}");
            let body = self
                .exchange(
                    reqwest::Method::POST,
                    "models/unload",
                    Some(json!({ "instance_id": instance })),
                    QUICK_TIMEOUT,
                    &what,
                )
                .await?;
            // The answer names the instance; its absence is no reason to fail the unload.
            let _: serde_json::Value =
                serde_json::from_slice(&body).map_err(|e| self.malformed(&what, e))?;
            unloaded.push(instance);
        }
        Ok(unloaded)
    }

    /// One request to `/api/v1/{path}`; the body of a success.
    async fn exchange(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
        timeout: Duration,
        what: &str,
    ) -> Result<Vec<u8>, LmStudioError> {
        let mut request = self
            .client
            .request(method, format!("{}/api/v1/{path}", self.root))
            .timeout(timeout);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose());
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let unreachable = |e: reqwest::Error| LmStudioError::Unreachable {
            url: self.root.clone(),
            message: if e.is_timeout() {
                format!("no answer to {what} within {} s", timeout.as_secs())
            } else {
                crate::http::error_from_reqwest(e).message
            },
        };
        let mut response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
            if bytes.len() + chunk.len() > MAX_BODY {
                return Err(self.malformed(what, format!("longer than {MAX_BODY} bytes")));
            }
            bytes.extend_from_slice(&chunk);
        }
        if status.is_success() {
            return Ok(bytes);
        }
        let message = ProviderError::from_body(&bytes)
            .message
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("no message").to_owned());
        Err(LmStudioError::Refused {
            url: self.root.clone(),
            what: what.to_owned(),
            status: status.as_u16(),
            message,
        })
    }

    fn malformed(&self, what: &str, message: impl std::fmt::Display) -> LmStudioError {
        LmStudioError::Malformed {
            url: self.root.clone(),
            what: what.to_owned(),
            message: message.to_string(),
        }
    }
}

/// The key a model is known by on the server: without the `lmstudio/` prefix agents accept.
pub fn model_key(model: &str) -> &str {
    let model = model.trim();
    model
        .strip_prefix(LmStudioConfig::MODEL_PREFIX)
        .unwrap_or(model)
}

/// The server's root: the URL without query, fragment, trailing `/` and a last `/v1`.
fn server_root(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    let text = url.as_str().trim_end_matches('/');
    text.strip_suffix("/v1").unwrap_or(text).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_the_base_url_without_its_v1() {
        for (base, root) in [
            ("http://127.0.0.1:1234/v1", "http://127.0.0.1:1234"),
            ("http://127.0.0.1:1234/v1/", "http://127.0.0.1:1234"),
            ("http://127.0.0.1:1234", "http://127.0.0.1:1234"),
            (
                "https://gpu.example/lmstudio/v1?x=1",
                "https://gpu.example/lmstudio",
            ),
        ] {
            assert_eq!(LmStudioModels::new(base).unwrap().root(), root, "{base}");
        }
    }

    #[test]
    fn bad_urls_name_the_field() {
        for base in ["not a url", "ftp://host/v1", "http://user:pw@host/v1"] {
            let err = LmStudioModels::new(base).unwrap_err();
            assert_eq!(err.field.as_deref(), Some("base_url"), "{base}: {err}");
        }
    }

    #[test]
    fn the_config_gives_url_and_token_and_debug_hides_it() {
        let config = LmStudioConfig::new("qwen")
            .with_base_url("http://10.0.0.2:1234/v1")
            .with_api_key("lm-secret-token");
        let models = LmStudioModels::from_config(&config).unwrap();
        assert_eq!(models.root(), "http://10.0.0.2:1234");
        assert_eq!(
            models.token.as_ref().map(Secret::expose),
            Some("lm-secret-token")
        );
        assert!(!format!("{models:?}").contains("lm-secret-token"));
    }

    #[test]
    fn keys_drop_the_agent_prefix() {
        assert_eq!(model_key("lmstudio/qwen/qwen3-4b"), "qwen/qwen3-4b");
        assert_eq!(model_key(" qwen/qwen3-4b "), "qwen/qwen3-4b");
    }

    #[tokio::test]
    async fn an_unreachable_server_says_so() {
        // A port nothing listens on: bind one, then free it.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let models = LmStudioModels::new(&format!("http://{addr}/v1")).unwrap();
        let err = models.list_models().await.unwrap_err();
        assert!(
            matches!(&err, LmStudioError::Unreachable { url, .. } if *url == format!("http://{addr}")),
            "{err}"
        );
    }
}
