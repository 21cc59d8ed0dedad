//! [`JsonBody`]: a JSON request body whose errors name the field at fault
//! (`agents.0.samples: invalid type …`), with the size limit's own answer.

use super::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

/// A request body said to be JSON, not parsed yet (for handlers that look at it first).
#[derive(Debug)]
pub(crate) struct RawJson(pub(crate) Bytes);

impl<S: Send + Sync> FromRequest<S> for RawJson {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let json = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !json {
            return Err(ApiError::bad_request(
                "the body must be JSON (Content-Type: application/json)",
            ));
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError {
                    status: e.status(),
                    code: "too_large",
                    message: format!("the body is larger than {} bytes", super::BODY_LIMIT),
                    field: None,
                }
            } else {
                ApiError::bad_request(format!("cannot read the body: {e}"))
            }
        })?;
        Ok(Self(bytes))
    }
}

/// A request body read as JSON into `T`.
#[derive(Debug)]
pub(crate) struct JsonBody<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let RawJson(bytes) = RawJson::from_request(request, state).await?;
        parse(&bytes).map(JsonBody)
    }
}

/// Parses JSON, naming the field at fault.
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        // `agents[0].config` → `agents.0.config`, as the rest of the API names fields.
        let path = e.path().to_string().replace('[', ".").replace(']', "");
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::bad_request(format!("the body is not valid JSON: {inner}"))
        } else if path == "." {
            ApiError::invalid("", inner.to_string())
        } else {
            ApiError::invalid(path, inner.to_string())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        n: u32,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Inner>,
    }

    #[test]
    fn errors_name_the_field() {
        let error = parse::<Outer>(br#"{"items":[{"n":1},{"n":"x"}]}"#).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("items.1.n"));
        let error = parse::<Outer>(b"{not json").unwrap_err();
        assert_eq!(error.code, "bad_request");
    }
}
