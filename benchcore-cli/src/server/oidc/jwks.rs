//! The identity provider's signing keys (its JSON Web Key Set, RFC 7517).
//!
//! The set's address is given, or read from the provider's discovery document
//! (`ISSUER/.well-known/openid-configuration` → `jwks_uri`, OpenID Connect Discovery 1.0
//! §4), whose `issuer` must be the configured one. The set is cached for the max-age the
//! provider sends (clamped to 1 min – 1 h; 10 min when it sends none). A token naming a key
//! the cache lacks makes one fetch, at most once per 30 s, so tokens with made-up `kid`s
//! cannot make this server hammer the provider; a failed fetch is not retried for 30 s
//! either. While the provider cannot be reached, the last set keeps serving for up to an
//! hour past its max-age.

use jsonwebtoken::jwk::Jwk;
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Cache lifetime when the provider sends no max-age.
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(600);
/// Bounds of a provider's max-age: refetching more often than once a minute buys nothing,
/// and keeping a set over an hour delays key revocations.
const MIN_MAX_AGE: Duration = Duration::from_secs(60);
const MAX_MAX_AGE: Duration = Duration::from_secs(3600);
/// Least time between two fetches for unknown keys, and after a failed fetch.
const REFETCH_INTERVAL: Duration = Duration::from_secs(30);
/// How long past its max-age a set keeps serving while the provider cannot be reached.
const STALE_GRACE: Duration = Duration::from_secs(3600);
/// Longest wait for the provider, and largest document it may send.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_DOCUMENT: usize = 1 << 20;

/// No usable key set: the provider cannot be reached or answered something unusable, and
/// nothing usable is cached. The message says what happened.
#[derive(Debug)]
pub(super) struct Unavailable(pub(super) String);

/// A cached key set, fetched through discovery or from a given URL.
pub(super) struct Jwks {
    client: reqwest::Client,
    issuer: String,
    /// `--oidc-jwks-url`, when given: discovery is then skipped.
    configured_url: Option<String>,
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    /// The set's URL once known (given, or found through discovery).
    url: Option<String>,
    keys: Vec<Jwk>,
    /// When the set was fetched, and for how long it is fresh.
    fetched: Option<(Instant, Duration)>,
    last_refetch: Option<Instant>,
    last_failure: Option<(Instant, String)>,
}

impl Cache {
    fn fresh(&self) -> bool {
        self.fetched.is_some_and(|(at, age)| at.elapsed() < age)
    }

    fn usable(&self) -> bool {
        self.fetched
            .is_some_and(|(at, age)| at.elapsed() < age + STALE_GRACE)
    }

    fn failed_recently(&self) -> bool {
        self.last_failure
            .as_ref()
            .is_some_and(|(at, _)| at.elapsed() < REFETCH_INTERVAL)
    }

    /// The keys named `kid`, or every key when the token names none.
    fn matching(&self, kid: Option<&str>) -> Vec<Jwk> {
        self.keys
            .iter()
            .filter(|key| kid.is_none() || key.common.key_id.as_deref() == kid)
            .cloned()
            .collect()
    }
}

impl Jwks {
    pub(super) fn new(client: reqwest::Client, issuer: &str, configured_url: Option<&str>) -> Self {
        Self {
            client,
            issuer: issuer.to_owned(),
            configured_url: configured_url.map(str::to_owned),
            cache: Mutex::default(),
        }
    }

    /// The keys named `kid` (every key when `None`); empty when the provider publishes no
    /// such key, even after the one allowed refetch.
    ///
    /// # Errors
    /// No usable set: the provider cannot be reached or sent something unusable.
    pub(super) async fn keys(&self, kid: Option<&str>) -> Result<Vec<Jwk>, Unavailable> {
        // One lock over the fetch: concurrent requests wait for one fetch instead of each
        // making their own.
        let mut cache = self.cache.lock().await;
        if !cache.fresh() && !cache.failed_recently() {
            self.refresh(&mut cache).await;
        }
        let unavailable = |cache: &Cache| {
            let why = cache
                .last_failure
                .as_ref()
                .map_or("", |(_, why)| why.as_str());
            Unavailable(format!(
                "the identity provider's keys cannot be fetched for now ({why}); try again"
            ))
        };
        if !cache.usable() {
            return Err(unavailable(&cache));
        }
        let found = cache.matching(kid);
        let may_refetch = cache
            .last_refetch
            .is_none_or(|at| at.elapsed() >= REFETCH_INTERVAL)
            && !cache.failed_recently();
        if found.is_empty() && kid.is_some() && may_refetch {
            // The provider may have rotated to a key published after the cached set.
            cache.last_refetch = Some(Instant::now());
            self.refresh(&mut cache).await;
            return Ok(cache.matching(kid));
        }
        Ok(found)
    }

    /// Fetches the set (discovering its URL first when needed); on failure keeps what was
    /// cached and remembers why.
    async fn refresh(&self, cache: &mut Cache) {
        match self.fetch(cache).await {
            Ok((keys, max_age)) => {
                cache.keys = keys;
                cache.fetched = Some((Instant::now(), max_age));
                cache.last_failure = None;
            }
            Err(why) => {
                tracing::warn!(issuer = %self.issuer, error = %why, "identity provider keys");
                cache.last_failure = Some((Instant::now(), why));
            }
        }
    }

    async fn fetch(&self, cache: &mut Cache) -> Result<(Vec<Jwk>, Duration), String> {
        let url = match (&cache.url, &self.configured_url) {
            (Some(url), _) | (None, Some(url)) => url.clone(),
            (None, None) => self.discover().await?,
        };
        cache.url = Some(url.clone());
        let (document, max_age) = self.get_json(&url).await?;
        let Some(Value::Array(entries)) = document.get("keys") else {
            return Err(format!("the key set at {url} has no `keys` array"));
        };
        // Keys of kinds this server does not know (or malformed ones) are skipped rather
        // than failing the whole set: a provider may publish more than signing keys.
        let keys: Vec<Jwk> = entries
            .iter()
            .filter_map(|entry| serde_json::from_value(entry.clone()).ok())
            .collect();
        if keys.len() < entries.len() {
            tracing::debug!(url = %url, skipped = entries.len() - keys.len(), "unusable JWKs");
        }
        Ok((keys, max_age))
    }

    /// The set's URL from the discovery document.
    async fn discover(&self) -> Result<String, String> {
        let url = discovery_url(&self.issuer);
        let (document, _) = self.get_json(&url).await?;
        if document.get("issuer").and_then(Value::as_str) != Some(self.issuer.as_str()) {
            return Err(format!(
                "the discovery document at {url} is for another issuer (its `issuer` must be \
                 exactly {})",
                self.issuer
            ));
        }
        let jwks_uri = document
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("the discovery document at {url} has no `jwks_uri`"))?;
        check_url("jwks_uri", jwks_uri).map_err(|e| format!("{url}: {e}"))?;
        Ok(jwks_uri.to_owned())
    }

    /// A JSON object from `url`, with the max-age its `Cache-Control` gives.
    async fn get_json(&self, url: &str) -> Result<(Value, Duration), String> {
        let mut response = self
            .client
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(FETCH_TIMEOUT)
            .send()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("GET {url}: HTTP {}", response.status()));
        }
        let max_age = max_age(response.headers());
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?
        {
            if body.len() + chunk.len() > MAX_DOCUMENT {
                return Err(format!(
                    "GET {url}: the document is over {MAX_DOCUMENT} bytes"
                ));
            }
            body.extend_from_slice(&chunk);
        }
        match serde_json::from_slice(&body) {
            Ok(value @ Value::Object(_)) => Ok((value, max_age)),
            _ => Err(format!("GET {url}: not a JSON object")),
        }
    }
}

/// Refuses a URL that is not `https`, or `http` to this machine (a provider run for
/// development): keys fetched over plain HTTP from elsewhere could be swapped on the way.
pub(super) fn check_url(what: &str, url: &str) -> Result<(), String> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| format!("{what}: {url:?} is not a URL ({e})"))?;
    let host = parsed.host_str().unwrap_or("");
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!(
            "{what}: {url} must be an https URL (http only for a provider on this machine)"
        )),
    }
}

/// Where OpenID Connect Discovery puts an issuer's configuration: the issuer without its
/// trailing slash, then `/.well-known/openid-configuration`.
pub(super) fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// The `max-age` of a `Cache-Control` header, clamped; `no-store`/`no-cache` mean the
/// shortest.
fn max_age(headers: &reqwest::header::HeaderMap) -> Duration {
    let Some(value) = headers
        .get(reqwest::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
    else {
        return DEFAULT_MAX_AGE;
    };
    let mut age = None;
    for directive in value.split(',').map(str::trim) {
        let directive = directive.to_ascii_lowercase();
        if directive == "no-store" || directive == "no-cache" {
            return MIN_MAX_AGE;
        }
        if let Some(seconds) = directive.strip_prefix("max-age=") {
            age = seconds
                .trim_matches('"')
                .parse::<u64>()
                .ok()
                .map(Duration::from_secs);
        }
    }
    age.unwrap_or(DEFAULT_MAX_AGE)
        .clamp(MIN_MAX_AGE, MAX_MAX_AGE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, CACHE_CONTROL};

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CACHE_CONTROL, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn max_age_is_read_and_clamped() {
        assert_eq!(max_age(&HeaderMap::new()), DEFAULT_MAX_AGE);
        assert_eq!(
            max_age(&with("public, max-age=300")),
            Duration::from_secs(300)
        );
        assert_eq!(max_age(&with("max-age=5")), MIN_MAX_AGE);
        assert_eq!(max_age(&with("max-age=999999")), MAX_MAX_AGE);
        assert_eq!(max_age(&with("no-store")), MIN_MAX_AGE);
        assert_eq!(max_age(&with("max-age=abc")), DEFAULT_MAX_AGE);
    }

    #[test]
    fn only_https_or_loopback_http_is_accepted() {
        assert!(check_url("x", "https://id.example.com/keys").is_ok());
        assert!(check_url("x", "http://127.0.0.1:8080/keys").is_ok());
        assert!(check_url("x", "http://[::1]:8080/keys").is_ok());
        assert!(check_url("x", "http://localhost/keys").is_ok());
        let refused = check_url("--oidc-issuer", "http://id.example.com").unwrap_err();
        assert!(
            refused.contains("--oidc-issuer") && refused.contains("https"),
            "{refused}"
        );
        assert!(check_url("x", "file:///etc/passwd").is_err());
        assert!(check_url("x", "not a url").is_err());
    }

    #[test]
    fn discovery_url_drops_a_trailing_slash() {
        assert_eq!(
            discovery_url("https://id.example.com/realm/"),
            "https://id.example.com/realm/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://id.example.com"),
            "https://id.example.com/.well-known/openid-configuration"
        );
    }
}
