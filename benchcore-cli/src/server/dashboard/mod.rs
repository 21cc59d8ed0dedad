//! The dashboard: a small browser front end of the team server, bundled in the binary (plain
//! HTML, JavaScript and CSS; no build step). It reads and changes everything through the
//! public JSON API, exactly as a script would, so it needs no route of its own beyond its
//! files.
//!
//! | path | what |
//! | --- | --- |
//! | `/`, `/app/…` | the one page; the script routes by path (`/app/w/{ws}/runs/{id}` …) |
//! | `/static/{file}` | its script files and stylesheets |
//!
//! Every answer carries a strict `Content-Security-Policy`: scripts and styles only from
//! this server, no inline script, no framing, and connections only back to this server. So
//! even a model reply that got into the page as markup could neither run nor phone out; the
//! script also never builds markup from data (text nodes only).

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// What every dashboard answer may load and do.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                   img-src 'self' data:; media-src 'self'; frame-ancestors 'none'";

/// The page shell.
const INDEX: &str = include_str!("index.html");

/// The files under `/static/`: name, content type, content. The report's stylesheet is the
/// same file the report and the viewer inline, so the attempt views look alike everywhere.
const ASSETS: [(&str, &str, &str); 7] = [
    (
        "report.css",
        CSS,
        include_str!("../../report/assets/report.css"),
    ),
    ("app.css", CSS, include_str!("app.css")),
    ("app.js", JS, include_str!("app.js")),
    ("pages_runs.js", JS, include_str!("pages_runs.js")),
    ("pages_run.js", JS, include_str!("pages_run.js")),
    ("pages_results.js", JS, include_str!("pages_results.js")),
    ("pages_agents.js", JS, include_str!("pages_agents.js")),
];

const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// The dashboard's routes, merged into the server's router.
pub(crate) fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(index))
        .route("/app", get(index))
        .route("/app/", get(index))
        .route("/app/{*path}", get(index))
        .route("/static/{file}", get(asset))
}

/// The headers every dashboard answer has.
fn guarded(content_type: &'static str, cache: &'static str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers
}

/// `GET /` and `GET /app/…`: the page; the script reads the path. Never cached, so a new
/// server version is picked up at the next load.
async fn index() -> Response {
    (guarded("text/html; charset=utf-8", "no-store"), INDEX).into_response()
}

/// `GET /static/{file}`: one of [`ASSETS`], revalidated by its tag on every load (a file's
/// tag is a hash of its content, so it changes exactly when the binary's copy does).
async fn asset(
    axum::extract::Path(file): axum::extract::Path<String>,
    request: HeaderMap,
) -> Response {
    let Some((_, content_type, body)) = ASSETS.iter().find(|(name, _, _)| *name == file) else {
        return (
            StatusCode::NOT_FOUND,
            guarded("text/plain; charset=utf-8", "no-store"),
            "no such file",
        )
            .into_response();
    };
    let tag = etag(body);
    let mut headers = guarded(content_type, "no-cache");
    if let Ok(value) = HeaderValue::from_str(&tag) {
        headers.insert(header::ETAG, value);
    }
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    if fresh {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (headers, *body).into_response()
}

/// A strong entity tag of `body`: its 64-bit FNV-1a hash.
fn etag(body: &str) -> String {
    let hash = body.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("\"{hash:016x}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_script_the_page_loads_is_served_and_nothing_inline() {
        for (name, content_type, _) in ASSETS {
            let reference = if content_type == JS {
                format!("<script src=\"/static/{name}\"></script>")
            } else {
                format!("<link rel=\"stylesheet\" href=\"/static/{name}\">")
            };
            assert!(INDEX.contains(&reference), "{reference}");
        }
        assert_eq!(
            INDEX.matches("<script").count(),
            ASSETS.iter().filter(|(_, t, _)| *t == JS).count(),
            "no inline script: the policy would block it"
        );
        assert!(!INDEX.contains("style="), "no inline style");
    }

    #[test]
    fn tags_follow_the_content() {
        assert_eq!(etag("a"), etag("a"));
        assert_ne!(etag("a"), etag("b"));
        assert_eq!(etag("").len(), 18);
    }
}
