//! Errors of the viewer's handlers: a status and a message, as JSON for the API and as a small
//! page for the pages.

use crate::report::html::{self, escape, Nav};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// A failed request.
#[derive(Debug)]
pub(crate) struct ViewError {
    status: StatusCode,
    message: String,
    page: bool,
}

impl ViewError {
    /// Nothing of that name (a run, an attempt, a path).
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
            page: false,
        }
    }

    /// A request that cannot be answered as asked.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            page: false,
        }
    }

    /// The store failed.
    pub(crate) fn internal(error: impl std::fmt::Display) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: format!("{error:#}"),
            page: false,
        }
    }

    /// Its status.
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    /// Its message.
    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    /// The same error, shown as a page.
    pub(crate) fn page(mut self) -> Self {
        self.page = true;
        self
    }
}

impl From<benchcore::StoreError> for ViewError {
    fn from(error: benchcore::StoreError) -> Self {
        Self::internal(error)
    }
}

impl From<anyhow::Error> for ViewError {
    fn from(error: anyhow::Error) -> Self {
        Self::internal(format!("{error:#}"))
    }
}

impl IntoResponse for ViewError {
    fn into_response(self) -> Response {
        if self.page {
            let body = format!(
                r#"<section><h1>{} {}</h1><p>{}</p><p><a href="/">All runs</a></p></section>"#,
                self.status.as_u16(),
                escape(self.status.canonical_reason().unwrap_or("")),
                escape(&self.message)
            );
            let page = html::page(
                "benchcore",
                Nav::Viewer(""),
                "",
                &body,
                r#"{"page":"error"}"#,
            );
            (self.status, Html(page)).into_response()
        } else {
            let body = serde_json::json!({ "error": self.message }).to_string();
            (
                self.status,
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response()
        }
    }
}

/// Any other path.
pub(crate) async fn not_found(uri: axum::http::Uri) -> ViewError {
    let error = ViewError::not_found(format!("no page at {}", uri.path()));
    if uri.path().starts_with("/api/") {
        error
    } else {
        error.page()
    }
}
