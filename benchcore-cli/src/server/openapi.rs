//! `GET /openapi.json`: the API described as OpenAPI 3.0, generated from the code: the
//! endpoint table below names each route's request and answer types, whose JSON Schemas
//! come from the types themselves (`schemars`), the same types the handlers read and write.
//! A test checks that every route of the table answers (so the table and the router agree).

use super::live::messages::LiveMessage;
use axum::Json;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{json, Map, Value};

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Access {
    /// Anyone.
    Public,
    /// Any signed-in user.
    User,
    /// A member of the workspace with at least this role.
    Role(&'static str),
    /// A server administrator.
    Admin,
}

/// A schema made by the generator (a `$ref` to a component for named types).
type SchemaOf = fn(&mut SchemaGenerator) -> Value;

fn of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Value {
    generator.subschema_for::<T>().to_value()
}

/// One operation.
pub(crate) struct Endpoint {
    pub(crate) method: &'static str,
    pub(crate) path: &'static str,
    pub(crate) summary: &'static str,
    pub(crate) access: Access,
    pub(crate) request: Option<SchemaOf>,
    /// The success status and what it answers (`None`: no body, or not JSON).
    pub(crate) answer: (u16, Option<SchemaOf>),
}

const fn op(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    access: Access,
    request: Option<SchemaOf>,
    answer: (u16, Option<SchemaOf>),
) -> Endpoint {
    Endpoint {
        method,
        path,
        summary,
        access,
        request,
        answer,
    }
}

/// Any JSON object (answers whose shape is documented in docs/server.md).
fn object(_: &mut SchemaGenerator) -> Value {
    json!({ "type": "object" })
}

fn objects(_: &mut SchemaGenerator) -> Value {
    json!({ "type": "array", "items": { "type": "object" } })
}

use super::accounts_api as accounts;
use Access::{Admin, Public, Role, User};

/// Every route of the API.
pub(crate) fn endpoints() -> Vec<Endpoint> {
    let ws = "/api/workspaces/{ws}";
    let _ = ws;
    vec![
        op("post", "/api/login", "Sign in; sets the session cookie and returns the CSRF token", Public, Some(of::<super::auth::login::Login>), (200, Some(object))),
        op("post", "/api/logout", "Sign out", User, None, (204, None)),
        op("get", "/api/me", "The caller, their workspaces and roles (and CSRF token)", User, None, (200, Some(object))),
        op("put", "/api/me/password", "Change the caller's password", User, Some(of::<accounts::NewPassword>), (204, None)),
        op("get", "/api/users", "Every user", Admin, None, (200, Some(objects))),
        op("post", "/api/users", "Create a user", Admin, Some(of::<accounts::NewUser>), (201, Some(object))),
        op("get", "/api/tokens", "The caller's API tokens (never their secrets)", User, None, (200, Some(objects))),
        op("post", "/api/tokens", "Create an API token; its secret is in this answer only", User, Some(of::<accounts::NewToken>), (201, Some(object))),
        op("delete", "/api/tokens/{id}", "Revoke one of the caller's tokens", User, None, (204, None)),
        op("get", "/api/workspaces", "The caller's workspaces", User, None, (200, Some(objects))),
        op("post", "/api/workspaces", "Create a workspace (the caller owns it)", User, Some(of::<accounts::NewWorkspace>), (201, Some(object))),
        op("get", "/api/workspaces/{ws}/members", "Members and roles", Role("viewer"), None, (200, Some(objects))),
        op("post", "/api/workspaces/{ws}/members", "Add a member or change their role", Role("owner"), Some(of::<accounts::NewMember>), (204, None)),
        op("delete", "/api/workspaces/{ws}/members/{user}", "Remove a member (or leave)", Role("owner"), None, (204, None)),
        op("get", "/api/workspaces/{ws}/runs", "Runs, newest first (filters: status, suite, agent, limit)", Role("viewer"), None, (200, Some(objects))),
        op("post", "/api/workspaces/{ws}/runs", "Launch a run from a run spec", Role("editor"), Some(of::<benchcore::RunSpec>), (201, Some(object))),
        op("get", "/api/workspaces/{ws}/runs/{id}", "A run, its spec and its per-agent summary", Role("viewer"), None, (200, Some(object))),
        op("delete", "/api/workspaces/{ws}/runs/{id}", "Delete a stopped run, its attempts and artifacts", Role("editor"), None, (204, None)),
        op("post", "/api/workspaces/{ws}/runs/{id}/cancel", "Cancel a running run", Role("editor"), None, (202, None)),
        op("post", "/api/workspaces/{ws}/runs/{id}/resume", "Run what was not recorded", Role("editor"), None, (202, None)),
        op("post", "/api/workspaces/{ws}/runs/{id}/rerun-failed", "Resume, running errors again", Role("editor"), None, (202, None)),
        op("get", "/api/workspaces/{ws}/runs/{id}/events", "Live progress as server-sent events (text/event-stream of LiveMessage)", Role("viewer"), None, (200, None)),
        op("get", "/api/workspaces/{ws}/runs/{id}/ws", "Live progress over WebSocket (text frames of LiveMessage)", Role("viewer"), None, (101, None)),
        op("get", "/api/workspaces/{ws}/runs/{id}/attempt", "One attempt: transcript, tool calls, evaluations, artifacts, audio", Role("viewer"), None, (200, Some(object))),
        op("get", "/api/workspaces/{ws}/runs/{id}/rows", "The next window of a run's attempts", Role("viewer"), None, (200, Some(object))),
        op("get", "/api/workspaces/{ws}/runs/{id}/audio", "A WAV clip of a voice attempt", Role("viewer"), None, (200, None)),
        op("get", "/api/workspaces/{ws}/compare", "Two runs compared (?a=RUN&b=RUN)", Role("viewer"), None, (200, Some(object))),
        op("get", "/api/workspaces/{ws}/leaderboard", "Per agent, its best run", Role("viewer"), None, (200, Some(objects))),
        op("get", "/api/workspaces/{ws}/agents", "Saved agents (never their keys)", Role("viewer"), None, (200, Some(objects))),
        op("get", "/api/workspaces/{ws}/agents/{name}", "A saved agent's config without its secrets", Role("viewer"), None, (200, Some(object))),
        op("put", "/api/workspaces/{ws}/agents/{name}", "Save an agent config; its key is sealed", Role("editor"), Some(of::<benchcore_providers::AgentConfig>), (204, None)),
        op("delete", "/api/workspaces/{ws}/agents/{name}", "Delete a saved agent", Role("editor"), None, (204, None)),
        op("post", "/api/workspaces/{ws}/agents/{name}/test", "Send one prompt to a saved agent", Role("editor"), Some(of::<super::agents_api::TestPrompt>), (200, Some(object))),
        op("get", "/api/workspaces/{ws}/suites", "The suites runs may use: the server's and the workspace's uploads", Role("viewer"), None, (200, Some(objects))),
        op("post", "/api/workspaces/{ws}/suites/{name}", "Upload a question set (JSONL body, application/x-ndjson, or YAML, application/yaml); a new version unless identical to the latest", Role("editor"), None, (201, Some(object))),
        op("get", "/api/workspaces/{ws}/suites/{name}", "An uploaded suite's versions", Role("viewer"), None, (200, Some(object))),
        op("delete", "/api/workspaces/{ws}/suites/{name}", "Delete an uploaded suite, every version", Role("editor"), None, (204, None)),
        op("get", "/api/workspaces/{ws}/suites/{name}/versions/{version}", "One version's content, as uploaded", Role("viewer"), None, (200, None)),
        op("get", "/api/workspaces/{ws}/suites/{name}/settings", "Per-agent settings of a suite", Role("viewer"), None, (200, Some(of::<super::suite_store::SuiteSettings>))),
        op("put", "/api/workspaces/{ws}/suites/{name}/settings", "Set per-agent settings of a suite", Role("editor"), Some(of::<super::suite_store::SuiteSettings>), (200, Some(of::<super::suite_store::SuiteSettings>))),
        op("get", "/api/workspaces/{ws}/agents/{name}/models", "The models of a saved lmstudio agent's server, loaded or not", Role("viewer"), None, (200, Some(object))),
        op("post", "/api/workspaces/{ws}/agents/{name}/models/load", "Load a model on a saved lmstudio agent's server", Role("editor"), Some(of::<super::local_models::ModelBody>), (200, Some(object))),
        op("post", "/api/workspaces/{ws}/agents/{name}/models/unload", "Unload a model on a saved lmstudio agent's server", Role("editor"), Some(of::<super::local_models::ModelBody>), (200, Some(object))),
        op("get", "/api/admin/encryption", "The encryption key's state (never the key)", Admin, None, (200, Some(object))),
        op("get", "/api/schema/run-spec", "The JSON Schema of a launch body", Public, None, (200, Some(object))),
        op("get", "/api/schema/live-message", "The JSON Schema of a live message", Public, None, (200, Some(object))),
        op("get", "/openapi.json", "This document", Public, None, (200, Some(object))),
        op("get", "/health", "The process answers", Public, None, (200, Some(object))),
        op("get", "/ready", "The store answers (503 otherwise)", Public, None, (200, Some(object))),
        op("get", "/metrics", "Prometheus metrics (text)", Public, None, (200, None)),
    ]
}

/// The document.
pub(crate) fn document(extra: &[Endpoint]) -> Value {
    let mut generator = SchemaSettings::openapi3().into_generator();
    let mut paths = Map::new();
    for endpoint in endpoints().iter().chain(extra) {
        let mut operation = json!({
            "summary": endpoint.summary,
            "operationId": operation_id(endpoint),
            "x-access": access(endpoint.access),
            "responses": {},
        });
        let parameters: Vec<Value> = endpoint
            .path
            .split('/')
            .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        if !parameters.is_empty() {
            operation["parameters"] = parameters.into();
        }
        if let Some(request) = endpoint.request {
            operation["requestBody"] = json!({
                "required": true,
                "content": { "application/json": { "schema": request(&mut generator) } },
            });
        }
        let (status, answer) = endpoint.answer;
        let mut response = json!({ "description": "success" });
        if let Some(answer) = answer {
            response["content"] =
                json!({ "application/json": { "schema": answer(&mut generator) } });
        }
        operation["responses"][status.to_string()] = response;
        operation["responses"]["default"] = json!({
            "description": "an error: 400 bad body, 401 not signed in, 403 role too low or no CSRF token, 404 not found (also another workspace's), 409 state, 413 too large, 422 invalid field, 429 rate limited",
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } },
        });
        if !matches!(endpoint.access, Access::Public) {
            operation["security"] = json!([{ "token": [] }, { "session": [] }]);
        }
        let item = paths.entry(endpoint.path).or_insert_with(|| json!({}));
        item[endpoint.method] = operation;
    }
    let _ = generator.subschema_for::<LiveMessage>();
    let mut schemas = generator.take_definitions(true);
    schemas.insert(
        "Error".into(),
        json!({
            "type": "object",
            "required": ["error"],
            "properties": { "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": { "type": "string" },
                    "message": { "type": "string" },
                    "field": { "type": "string", "description": "the request field at fault, as a dotted path" },
                },
            }},
        }),
    );
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "benchcore team server",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Launch, watch and compare benchmark runs. See docs/server.md.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "token": { "type": "http", "scheme": "bearer", "description": "an API token (bc_…) or, when configured, an identity provider's JWT" },
                "session": { "type": "apiKey", "in": "cookie", "name": "bc_session", "description": "a browser session; changes also need the X-CSRF-Token header" },
            },
        },
    })
}

fn operation_id(endpoint: &Endpoint) -> String {
    let words: Vec<String> = endpoint
        .path
        .split('/')
        .filter(|p| !p.is_empty() && *p != "api" && *p != "{ws}")
        .map(
            |p| match p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) => format!("by_{name}"),
                None => p.replace(['-', '.'], "_"),
            },
        )
        .collect();
    format!("{}_{}", endpoint.method, words.join("_"))
}

fn access(access: Access) -> String {
    match access {
        Public => "public".into(),
        User => "signed in".into(),
        Role(role) => format!("workspace {role} or above"),
        Admin => "server administrator".into(),
    }
}

/// `GET /openapi.json`.
pub(crate) async fn openapi() -> Json<Value> {
    Json(document(&[]))
}

/// `GET /api/schema/live-message`.
pub(crate) async fn live_message_schema() -> Json<Value> {
    Json(super::live::messages::schema())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `$ref` points at a component of the document.
    #[test]
    fn every_reference_resolves() {
        let doc = document(&[]);
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        let text = doc.to_string();
        let mut rest = text.as_str();
        let mut seen = 0;
        while let Some(at) = rest.find("\"$ref\":\"#/components/schemas/") {
            rest = &rest[at + 29..];
            let name = &rest[..rest.find('"').unwrap()];
            assert!(schemas.contains_key(name), "{name} is not a component");
            seen += 1;
        }
        assert!(seen > 5);
        assert!(schemas.contains_key("RunSpec") && schemas.contains_key("LiveMessage"));
        let ids: std::collections::HashSet<_> = endpoints().iter().map(operation_id).collect();
        assert_eq!(ids.len(), endpoints().len(), "operation ids are unique");
    }
}
