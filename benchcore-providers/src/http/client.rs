//! The one HTTP client builder: pooling sized for high concurrency, keep-alive, a connect
//! timeout and a `benchcore` user agent.

use super::status::chain;
use benchcore::ConfigError;
use reqwest::header::HeaderMap;
use std::time::Duration;

/// Idle connections kept per host: enough for a run at concurrency 100 and more to reuse its
/// connections instead of opening new ones.
const POOL_MAX_IDLE_PER_HOST: usize = 512;

/// The builder behind every provider's client: connection pooling sized for high
/// concurrency, `TCP_NODELAY`, TCP keep-alive, a connect timeout and a `benchcore` user agent.
/// There is no overall timeout: each request is bounded by its own deadline.
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .pool_max_idle_per_host(POOL_MAX_IDLE_PER_HOST)
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        .tcp_keepalive(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(30))
        .user_agent(concat!("benchcore/", env!("CARGO_PKG_VERSION")))
}

/// Builds a client from [`client_builder`] that sends `headers` with every request.
///
/// Build one client per agent (it pools connections) rather than one per request. A client
/// keeps its connections on the Tokio runtime that opened them, so do not share one across
/// runtimes.
pub fn client(headers: HeaderMap) -> Result<reqwest::Client, ConfigError> {
    client_builder()
        .default_headers(headers)
        .build()
        .map_err(|err| ConfigError::new(format!("cannot build the HTTP client: {}", chain(&err))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_builds() {
        client(HeaderMap::new()).unwrap();
    }
}
