//! Suites of a workspace: the server's suites folder, and question sets uploaded to the
//! workspace as immutable versions ([`SuiteStore`]) with per-agent settings; and how a launch
//! picks one ([`choose`]).

use super::auth::Member;
use super::body::{self, RawJson};
use super::error::ApiError;
use super::policy;
use super::state::ServerState;
use super::suite_store::{check_name, parse_version, Refused, SuiteSettings, SuiteStore};
use super::suites;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use benchcore::{RunSpec, Workspace};
use benchcore_providers::ProviderFactory;
use benchcore_store::Role;
use serde_json::{json, Value};

/// Largest uploaded question set (its route's own limit; every other body has 1 MiB).
pub(crate) const UPLOAD_LIMIT: usize = 32 << 20;
/// The content types an upload may have: JSONL, one case a line.
const JSONL_TYPES: [&str; 4] = [
    "application/x-ndjson",
    "application/jsonl",
    "application/x-jsonlines",
    "application/jsonlines",
];
/// Most saved agents one suite's settings may name.
const MAX_SETTINGS_AGENTS: usize = 100;

fn store(state: &ServerState, workspace: &Workspace) -> SuiteStore {
    SuiteStore::of(&state.options.data, workspace)
}

/// Runs blocking file work off the async threads; its I/O errors are internal.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

fn no_suite(name: &str) -> ApiError {
    ApiError::not_found(format!("this workspace has no uploaded suite {name:?}"))
}

/// `GET /api/workspaces/{ws}/suites`: the server's suites (`"source": "server"`), then the
/// workspace's uploaded ones (`"source": "workspace"`) with their versions and the latest's
/// case count and digest.
pub(crate) async fn list(
    State(state): State<ServerState>,
    member: Member,
) -> Result<Json<Vec<Value>>, ApiError> {
    let folder = state.options.suites.clone();
    let store = store(&state, &member.workspace);
    let entries = blocking(move || {
        let mut entries = suites::folder_entries(&folder)?;
        for name in store.names()? {
            let versions = store.versions(&name)?;
            let Some(latest) = versions.last() else {
                continue;
            };
            entries.push(json!({
                "name": name,
                "source": "workspace",
                "latest": latest.version,
                "versions": versions.iter().map(|v| &v.version).collect::<Vec<_>>(),
                "cases": latest.cases,
                "digest": latest.sha256,
                "suite_digest": latest.digest,
                "uploaded_at_ms": latest.uploaded_at_ms,
            }));
        }
        Ok(entries)
    })
    .await?;
    Ok(Json(entries))
}

/// `GET …/suites/{name}`: an uploaded suite's versions, oldest first.
pub(crate) async fn get(
    State(state): State<ServerState>,
    member: Member,
    Path((_, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    check_name(&name)?;
    let store = store(&state, &member.workspace);
    let key = name.clone();
    let versions = blocking(move || store.versions(&key)).await?;
    let latest = versions.last().ok_or_else(|| no_suite(&name))?;
    Ok(Json(json!({
        "name": name,
        "source": "workspace",
        "latest": latest.version,
        "versions": versions,
    })))
}

/// `GET …/suites/{name}/versions/{version}`: the content of one version (`v2`), as uploaded.
pub(crate) async fn version(
    State(state): State<ServerState>,
    member: Member,
    Path((_, name, version)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    check_name(&name)?;
    let number = parse_version(&version)
        .ok_or_else(|| ApiError::invalid("version", "a version is written v1, v2 …"))?;
    let store = store(&state, &member.workspace);
    let key = name.clone();
    let picked = blocking(move || store.pick(&key, Some(number))).await?;
    let (info, path) = picked.ok_or_else(|| {
        ApiError::not_found(format!(
            "the uploaded suite {name:?} has no version v{number}"
        ))
    })?;
    let content = tokio::fs::read(&path).await.map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-ndjson".to_owned()),
            (header::ETAG, format!("\"{}\"", info.sha256)),
        ],
        content,
    )
        .into_response())
}

/// The essence of an upload's `Content-Type`, if it is one this server reads.
fn upload_type(headers: &HeaderMap) -> Result<String, ApiError> {
    let raw = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = raw
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let yaml = essence.ends_with("/yaml") || essence.ends_with("/x-yaml");
    if JSONL_TYPES.contains(&essence.as_str()) || yaml {
        return Ok(essence);
    }
    let message = format!(
        "an upload is a question set as JSONL, one case a line (Content-Type: \
         application/x-ndjson or application/jsonl), or as YAML, a list of cases \
         (application/yaml); got {:?}",
        if raw.is_empty() { "none" } else { raw }
    );
    Err(ApiError {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        code: "unsupported_media_type",
        message,
        field: None,
    })
}

/// `POST …/suites/{name}` (editors): the body, a JSONL question set, is read as a run would
/// read it (every line a case, ids unique; an error names the line) and kept as the next
/// version: 201 with it, or 200 with the latest when the content is the latest's.
pub(crate) async fn upload(
    State(state): State<ServerState>,
    member: Member,
    Path((_, name)): Path<(String, String)>,
    headers: HeaderMap,
    content: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    member.require(Role::Editor)?;
    check_name(&name)?;
    let content_type = upload_type(&headers)?;
    let content = content.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError {
                status: e.status(),
                code: "too_large",
                message: format!("a question set is at most {UPLOAD_LIMIT} bytes"),
                field: None,
            }
        } else {
            ApiError::bad_request(format!("cannot read the body: {e}"))
        }
    })?;
    let content = if content_type.ends_with("yaml") {
        super::yaml_suite::to_jsonl(&content)
            .map(Bytes::from)
            .map_err(|e| ApiError::invalid(e.field, e.message))?
    } else {
        content
    };
    let store = store(&state, &member.workspace);
    let user = member.caller.user.id.clone();
    let key = name.clone();
    let stored =
        tokio::task::spawn_blocking(move || store.upload(&key, &content, &user, &content_type))
            .await
            .map_err(ApiError::internal)?;
    let (info, created) = match stored {
        Ok(stored) => stored,
        Err(Refused::Invalid { line, message }) => {
            return Err(match line {
                Some(line) => ApiError::invalid(
                    format!("body.line.{line}"),
                    format!("line {line}: {message}"),
                ),
                None => ApiError::invalid("body", message),
            })
        }
        Err(Refused::Io(e)) => return Err(ApiError::internal(e)),
    };
    if created {
        tracing::info!(workspace = %member.workspace, suite = %name, version = %info.version, user = %member.caller.user.id, "suite uploaded");
    }
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut body = serde_json::to_value(&info).map_err(ApiError::internal)?;
    body["name"] = name.into();
    body["created"] = created.into();
    Ok((status, Json(body)))
}

/// `DELETE …/suites/{name}` (editors): every version and the settings. Runs that used it keep
/// their records; resuming one is refused.
pub(crate) async fn delete(
    State(state): State<ServerState>,
    member: Member,
    Path((_, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    member.require(Role::Editor)?;
    check_name(&name)?;
    let store = store(&state, &member.workspace);
    let key = name.clone();
    if blocking(move || store.delete(&key)).await? {
        tracing::info!(workspace = %member.workspace, suite = %name, user = %member.caller.user.id, "suite deleted");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(no_suite(&name))
    }
}

/// Whether `name` has an uploaded version.
async fn exists(store: &SuiteStore, name: &str) -> Result<bool, ApiError> {
    let (store, name) = (store.clone(), name.to_owned());
    Ok(!blocking(move || store.versions(&name)).await?.is_empty())
}

/// `GET …/suites/{name}/settings`: the per-agent settings (`{"agents": {}}` when none).
pub(crate) async fn get_settings(
    State(state): State<ServerState>,
    member: Member,
    Path((_, name)): Path<(String, String)>,
) -> Result<Json<SuiteSettings>, ApiError> {
    check_name(&name)?;
    let store = store(&state, &member.workspace);
    if !exists(&store, &name).await? {
        return Err(no_suite(&name));
    }
    Ok(Json(blocking(move || store.settings(&name)).await?))
}

/// `PUT …/suites/{name}/settings` (editors): replaces the per-agent settings, `{"agents":
/// {"<saved agent>": {"sampling": {…}, "limits": {…}}}}`; errors name the field.
pub(crate) async fn put_settings(
    State(state): State<ServerState>,
    member: Member,
    Path((_, name)): Path<(String, String)>,
    RawJson(raw): RawJson,
) -> Result<Json<SuiteSettings>, ApiError> {
    member.require(Role::Editor)?;
    check_name(&name)?;
    let settings: SuiteSettings = body::parse(&raw)?;
    check_settings(&settings)?;
    let store = store(&state, &member.workspace);
    let (key, saved) = (name.clone(), settings.clone());
    if !blocking(move || store.save_settings(&key, &saved)).await? {
        return Err(no_suite(&name));
    }
    Ok(Json(settings))
}

/// The values serde accepts but a run could not use.
fn check_settings(settings: &SuiteSettings) -> Result<(), ApiError> {
    if settings.agents.len() > MAX_SETTINGS_AGENTS {
        return Err(ApiError::invalid(
            "agents",
            format!("at most {MAX_SETTINGS_AGENTS} agents"),
        ));
    }
    for (agent, own) in &settings.agents {
        let at = |field: &str| format!("agents.{agent}.{field}");
        if agent.is_empty() || agent.len() > 200 {
            return Err(ApiError::invalid(
                "agents",
                "a saved agent's name is 1-200 characters",
            ));
        }
        if let Some(sampling) = &own.sampling {
            if sampling
                .temperature
                .is_some_and(|t| !t.is_finite() || t < 0.0)
            {
                return Err(ApiError::invalid(
                    at("sampling.temperature"),
                    "must be a number ≥ 0",
                ));
            }
            if sampling.max_tokens == Some(0) {
                return Err(ApiError::invalid(at("sampling.max_tokens"), "must be ≥ 1"));
            }
        }
        if let Some(limits) = &own.limits {
            if limits
                .concurrency
                .is_some_and(|c| c == 0 || c > policy::MAX_CONCURRENCY)
            {
                return Err(ApiError::invalid(
                    at("limits.concurrency"),
                    format!("must be 1-{}", policy::MAX_CONCURRENCY),
                ));
            }
            if limits.requests_per_minute == Some(0) {
                return Err(ApiError::invalid(
                    at("limits.requests_per_minute"),
                    "must be ≥ 1",
                ));
            }
            if limits.tokens_per_minute == Some(0) {
                return Err(ApiError::invalid(
                    at("limits.tokens_per_minute"),
                    "must be ≥ 1",
                ));
            }
        }
    }
    Ok(())
}

/// Finds the suite a launch names by `suite.name` and points the spec at it. `NAME` is the
/// latest version of the workspace's upload of that name, or else the server's suite;
/// `NAME@vN` is that version of the upload. For an upload, the spec gets the version's file,
/// the tag `suite_version`, and the suite's settings for its saved agents; the name to record
/// (the library names a suite after its file, `vN`) is returned.
///
/// # Errors
/// No such suite or version; a spec that would read an upload as anything but a question
/// set; per-agent sampling for a run of several agents.
pub(crate) async fn choose(
    state: &ServerState,
    workspace: &Workspace,
    spec: &mut RunSpec,
) -> Result<Option<String>, ApiError> {
    let asked = spec.suite.name.clone();
    let (name, number) = match asked.split_once('@') {
        Some((name, version)) => {
            let number = version
                .starts_with('v')
                .then(|| parse_version(version))
                .flatten()
                .ok_or_else(|| {
                    ApiError::invalid(
                        "suite.name",
                        format!("{asked:?}: name a version as NAME@vN (v1, v2 …)"),
                    )
                })?;
            (name.to_owned(), Some(number))
        }
        None => (asked.clone(), None),
    };
    let picked = if suites::plain_name(&name) {
        let (store, key) = (store(state, workspace), name.clone());
        blocking(move || {
            let Some(picked) = store.pick(&key, number)? else {
                return Ok(None);
            };
            Ok(Some((picked, store.settings(&key)?)))
        })
        .await?
    } else {
        None
    };
    let Some(((info, path), settings)) = picked else {
        if number.is_some() {
            return Err(ApiError::invalid(
                "suite.name",
                format!("{asked:?}: this workspace has no such uploaded version (GET …/suites/{name} lists them)"),
            ));
        }
        let path = suites::resolve(&state.options.suites, &name)?;
        spec.suite.path = Some(path.display().to_string());
        return Ok(None);
    };
    if spec.kind != benchcore::kind::QUESTION_SET {
        return Err(ApiError::invalid(
            "kind",
            "an uploaded suite is a question set: leave `kind` out",
        ));
    }
    if spec.suite.dataset.is_some() {
        return Err(ApiError::invalid(
            "suite.dataset",
            "an uploaded suite is read as a question set: dataset options do not apply",
        ));
    }
    spec.suite.path = Some(path.display().to_string());
    spec.suite.name.clone_from(&name);
    if !spec.tags.is_object() {
        spec.tags = json!({});
    }
    spec.tags["suite_version"] = info.version.into();
    apply_settings(spec, &settings)?;
    Ok(Some(name))
}

/// Gives each saved agent of the run the suite's settings for it. What the spec sets itself
/// wins; the settings fill the rest. Sampling is the run's (one for all its agents), so an
/// agent's sampling applies only to a run of that agent alone.
fn apply_settings(spec: &mut RunSpec, settings: &SuiteSettings) -> Result<(), ApiError> {
    let count = spec.agents.len();
    for agent in &mut spec.agents {
        let Some(saved) = ProviderFactory::saved_name(&agent.config) else {
            continue;
        };
        let Some(own) = settings.agents.get(saved) else {
            continue;
        };
        if let Some(sampling) = &own.sampling {
            let merged = spec.sampling.or(sampling);
            if merged != spec.sampling && count > 1 {
                return Err(ApiError::invalid(
                    "agents",
                    format!(
                        "the suite's settings give saved agent {saved:?} its own sampling, but \
                         sampling is one for the whole run and this run has {} agents: run \
                         that agent alone, or set `sampling` in the run spec",
                        count
                    ),
                ));
            }
            spec.sampling = merged;
        }
        if let Some(limits) = &own.limits {
            let mine = &mut agent.limits;
            mine.concurrency = mine.concurrency.or(limits.concurrency);
            mine.requests_per_minute = mine.requests_per_minute.or(limits.requests_per_minute);
            mine.tokens_per_minute = mine.tokens_per_minute.or(limits.tokens_per_minute);
            mine.fixed_concurrency |= limits.fixed_concurrency;
        }
    }
    Ok(())
}

/// Refuses to resume a run whose uploaded suite version was deleted since.
///
/// # Errors
/// The run read a version file of this workspace's uploads that is gone.
pub(crate) async fn check_resumable(
    state: &ServerState,
    workspace: &Workspace,
    spec: &RunSpec,
) -> Result<(), ApiError> {
    let Some(path) = spec.suite.path.as_deref().map(std::path::Path::new) else {
        return Ok(());
    };
    if !store(state, workspace).holds(path) || tokio::fs::try_exists(path).await.unwrap_or(true) {
        return Ok(());
    }
    let version = spec
        .tags
        .get("suite_version")
        .and_then(Value::as_str)
        .unwrap_or("its version");
    Err(ApiError::conflict(format!(
        "the run read {version} of the uploaded suite {:?}, which has been deleted: the run \
         keeps its records but cannot be resumed (upload the suite again and start a new run)",
        spec.suite.name
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchcore::{AgentLimits, AgentSpec, Sampling};

    fn spec(agents: &[&str]) -> RunSpec {
        let mut spec = RunSpec::default();
        for name in agents {
            let mut agent = AgentSpec::named(*name);
            agent.config = json!({"kind": "saved", "name": name});
            spec.agents.push(agent);
        }
        spec
    }

    fn settings(value: Value) -> SuiteSettings {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn settings_fill_what_the_spec_leaves_unset() {
        let mut run = spec(&["gpt"]);
        run.sampling = Sampling::default().with_temperature(0.5);
        run.agents[0].limits = AgentLimits::default().with_concurrency(2);
        let given = settings(json!({"agents": {"gpt": {
            "sampling": {"temperature": 1.0, "max_tokens": 64},
            "limits": {"concurrency": 8, "requests_per_minute": 60}}}}));
        apply_settings(&mut run, &given).unwrap();
        assert_eq!(run.sampling.temperature, Some(0.5));
        assert_eq!(run.sampling.max_tokens, Some(64));
        assert_eq!(run.agents[0].limits.concurrency, Some(2));
        assert_eq!(run.agents[0].limits.requests_per_minute, Some(60));
    }

    #[test]
    fn per_agent_sampling_needs_a_run_of_that_agent_alone() {
        let given = settings(json!({"agents": {"gpt": {"sampling": {"max_tokens": 64},
            "limits": {"concurrency": 3}}}}));
        let mut two = spec(&["gpt", "other"]);
        let error = apply_settings(&mut two, &given).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("agents"));
        assert!(error.message.contains("\"gpt\""), "{}", error.message);
        // The run sets that sampling itself: nothing for the settings to change.
        let mut told = spec(&["gpt", "other"]);
        told.sampling = Sampling::default().with_max_tokens(10);
        apply_settings(&mut told, &given).unwrap();
        assert_eq!(told.sampling.max_tokens, Some(10));
        assert_eq!(told.agents[0].limits.concurrency, Some(3));
        assert_eq!(told.agents[1].limits.concurrency, None);
    }

    #[test]
    fn settings_are_checked_by_field() {
        let bad = settings(json!({"agents": {"gpt": {"limits": {"concurrency": 0}}}}));
        let error = check_settings(&bad).unwrap_err();
        assert_eq!(
            error.field.as_deref(),
            Some("agents.gpt.limits.concurrency")
        );
        let bad = settings(json!({"agents": {"gpt": {"sampling": {"temperature": -1.0}}}}));
        let error = check_settings(&bad).unwrap_err();
        assert_eq!(
            error.field.as_deref(),
            Some("agents.gpt.sampling.temperature")
        );
    }
}
