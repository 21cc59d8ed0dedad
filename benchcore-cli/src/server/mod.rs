//! The team server (`benchcore serve`): the JSON API, live progress over WebSocket and
//! server-sent events, and operations endpoints, over one store. A thin front end: runs are
//! built by the library ([`benchcore::Run::from_spec_in`]) and executed by its
//! [`Engine`](benchcore::Engine); nothing here re-implements either.
//!
//! | path | what |
//! | --- | --- |
//! | `POST /api/login`, `POST /api/logout` | browser sign-in (session cookie + CSRF token) |
//! | `GET /api/me`, `PUT /api/me/password` | who is signed in, their workspaces |
//! | `GET,POST /api/users` | server administrators: the users |
//! | `GET /api/admin/encryption` | server administrators: the encryption key's state |
//! | `GET,POST /api/tokens`, `DELETE /api/tokens/{id}` | the caller's API tokens |
//! | `GET,POST /api/workspaces` | the caller's workspaces; a new one |
//! | `GET,POST /api/workspaces/{ws}/members`, `DELETE …/members/{user}` | membership |
//! | `GET,POST /api/workspaces/{ws}/runs` | runs; launch one from a run spec |
//! | `GET,DELETE /api/workspaces/{ws}/runs/{id}` | one run with its summary |
//! | `POST …/runs/{id}/cancel`, `…/resume`, `…/rerun-failed` | control |
//! | `GET …/runs/{id}/events` (SSE), `…/runs/{id}/ws` (WebSocket) | live progress |
//! | `GET,PUT,DELETE /api/workspaces/{ws}/agents/{name}`, `POST …/test` | managed agents |
//! | `GET …/agents/{name}/models`, `POST …/models/load`, `…/models/unload` | an LM Studio agent's local models |
//! | `GET …/runs/{id}/attempt`, `…/rows`, `…/audio` | an attempt's detail, the next rows, a clip |
//! | `GET /api/workspaces/{ws}/compare?a=&b=`, `…/leaderboard` | results across runs |
//! | `GET /api/workspaces/{ws}/suites` | the suites runs may use |
//! | `GET,POST,DELETE …/suites/{name}`, `GET …/versions/{v}`, `GET,PUT …/settings` | uploaded question sets |
//! | `GET /api/schema/run-spec` | the JSON Schema of a launch body |
//! | `GET /health`, `/ready`, `/metrics` | operations |

mod accounts_api;
mod admin_api;
mod agents_api;
mod auth;
mod body;
mod bootstrap;
mod counters;
mod dashboard;
mod error;
mod executor;
mod ids;
mod live;
mod local_models;
mod login_limit;
mod oidc;
mod openapi;
mod ops;
mod policy;
mod queued;
mod request_log;
mod run_models;
mod runs_api;
mod state;
mod suite_store;
mod suites;
mod suites_api;
mod views;
mod yaml_suite;

pub(crate) use oidc::OidcVerifier;
pub(crate) use state::{ServeOptions, ServerState};

use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use axum::Router;

/// Largest request body accepted (an uploaded suite goes through its own route).
const BODY_LIMIT: usize = 1 << 20;

/// Every route.
pub(crate) fn router(state: ServerState) -> Router {
    let workspace = Router::new()
        .route(
            "/members",
            get(accounts_api::members).post(accounts_api::add_member),
        )
        .route("/members/{user}", delete(accounts_api::remove_member))
        .route("/runs", get(runs_api::list).post(runs_api::launch))
        .route("/runs/{id}", get(runs_api::get).delete(runs_api::delete))
        .route("/runs/{id}/cancel", post(runs_api::cancel))
        .route("/runs/{id}/resume", post(runs_api::resume))
        .route("/runs/{id}/rerun-failed", post(runs_api::rerun_failed))
        .route("/runs/{id}/events", get(live::sse::events))
        .route("/runs/{id}/ws", get(live::ws::socket))
        .route("/agents", get(agents_api::list))
        .route(
            "/agents/{name}",
            get(agents_api::get)
                .put(agents_api::save)
                .delete(agents_api::delete),
        )
        .route("/agents/{name}/test", post(agents_api::test))
        .route("/agents/{name}/models", get(local_models::list))
        .route("/agents/{name}/models/load", post(local_models::load))
        .route("/agents/{name}/models/unload", post(local_models::unload))
        .route("/runs/{id}/attempt", get(views::attempt))
        .route("/runs/{id}/rows", get(views::rows))
        .route("/runs/{id}/audio", get(views::audio))
        .route("/compare", get(views::compare))
        .route("/leaderboard", get(views::leaderboard))
        .route("/suites", get(suites_api::list))
        .route(
            "/suites/{name}",
            post(suites_api::upload)
                .layer(DefaultBodyLimit::max(suites_api::UPLOAD_LIMIT))
                .get(suites_api::get)
                .delete(suites_api::delete),
        )
        .route(
            "/suites/{name}/versions/{version}",
            get(suites_api::version),
        )
        .route(
            "/suites/{name}/settings",
            get(suites_api::get_settings).put(suites_api::put_settings),
        );
    Router::new()
        .route("/api/login", post(auth::login::login))
        .route("/api/logout", post(auth::login::logout))
        .route("/api/me", get(accounts_api::me))
        .route(
            "/api/me/password",
            axum::routing::put(accounts_api::set_password),
        )
        .route(
            "/api/users",
            get(accounts_api::users).post(accounts_api::create_user),
        )
        .route(
            "/api/tokens",
            get(accounts_api::tokens).post(accounts_api::create_token),
        )
        .route("/api/tokens/{id}", delete(accounts_api::revoke_token))
        .route("/api/admin/encryption", get(admin_api::encryption))
        .route(
            "/api/workspaces",
            get(accounts_api::workspaces).post(accounts_api::create_workspace),
        )
        .nest("/api/workspaces/{ws}", workspace)
        .route("/api/schema/run-spec", get(views::run_spec_schema))
        .route(
            "/api/schema/live-message",
            get(openapi::live_message_schema),
        )
        .route("/openapi.json", get(openapi::openapi))
        .route("/health", get(ops::health))
        .route("/ready", get(ops::ready))
        .route("/metrics", get(ops::metrics))
        .merge(dashboard::router())
        .fallback(error::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            request_log::layer,
        ))
        .with_state(state)
}

/// Serves until Ctrl-C or SIGTERM, then shuts down gracefully: stops taking requests, stops
/// starting attempts, waits for those in flight, and leaves interrupted runs `running` so the
/// next start resumes them. Prints `benchcore serve: http://ADDRESS/` once it listens.
pub(crate) async fn serve(state: ServerState) -> anyhow::Result<()> {
    let address = state.options.listen;
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    let local = listener.local_addr()?;
    bootstrap::bootstrap(&state).await?;
    if state.options.resume_interrupted {
        state.executor.resume_interrupted().await;
    }
    crate::output::print(&format!("benchcore serve: http://{local}/\n"))?;
    let app = router(state.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let stopping = state.stopping.clone();
    let shutdown = async move {
        wait_for_signal().await;
        stopping.cancel();
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving")?;
    state.executor.hand_back().await;
    state.handle.close().await;
    Ok(())
}

/// Ctrl-C, or SIGTERM (what a container runtime sends).
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
