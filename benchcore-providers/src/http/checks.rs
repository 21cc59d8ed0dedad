//! Checks of the values every HTTP config takes: the API root, extra headers, an
//! environment variable's name, a literal key, and reading a key from the environment. Each
//! error says what is wrong, for the config to name its field.

use super::headers::is_sensitive_header;
use benchcore::Secret;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Url;
use std::collections::BTreeMap;

#[cfg(feature = "_chat")]
/// `base` with `segments` appended to its path, keeping any query string. The error says
/// what is wrong with `base`, for the config to name its field.
pub(crate) fn endpoint(base: &str, segments: &[&str], example: &str) -> Result<Url, String> {
    let base = base.trim();
    if base.is_empty() {
        return Err(format!("is required (the API root, like {example})"));
    }
    let shown = without_password(base);
    let mut url = Url::parse(base).map_err(|err| format!("not a URL ({err}): `{shown}`"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(format!("not an http(s) URL: `{shown}`"));
    }
    check_no_password(&url)?;
    if url.fragment().is_some() {
        return Err(format!("must not have a #fragment: `{shown}`"));
    }
    url.path_segments_mut()
        .map_err(|()| format!("not a URL with a path: `{shown}`"))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// Refuses a URL that holds a password: the URL is stored with the run's spec and shown in
/// errors, while keys belong in the environment (`api_key_env`, `token_env`), never stored.
pub(crate) fn check_no_password(url: &Url) -> Result<(), String> {
    if url.password().is_some() {
        return Err(format!(
            "must not hold a password (it would be stored with the run): `{}`; give the key \
             through an environment variable instead",
            without_password(url.as_str())
        ));
    }
    Ok(())
}

/// `url` as it may be shown: the password of its user info (between the first `:` after
/// `://` and the last `@` before the path) replaced by `***`. Works on text that is not a
/// valid URL too, since it is used to show URLs that failed to parse.
pub(crate) fn without_password(url: &str) -> String {
    let Some(start) = url.find("://").map(|at| at + 3) else {
        return url.to_owned();
    };
    let authority_end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |at| start + at);
    let Some(at) = url[start..authority_end].rfind('@').map(|at| start + at) else {
        return url.to_owned();
    };
    match url[start..at].find(':') {
        Some(colon) => format!("{}:***{}", &url[..start + colon], &url[at..]),
        None => url.to_owned(),
    }
}

/// Checks an environment variable's name; the error says why it is not one.
pub(crate) fn check_env_name(var: &str) -> Result<(), String> {
    if var.is_empty() || var.contains(['=', '\0']) {
        return Err(format!("`{var}` is not an environment variable name"));
    }
    Ok(())
}

/// Checks a literal API key: not empty, and sendable as a header value.
pub(crate) fn check_key(key: &Secret) -> Result<(), String> {
    if key.is_empty() {
        return Err("is empty".to_owned());
    }
    if HeaderValue::from_str(key.expose()).is_err() {
        return Err("is not a valid HTTP header value".to_owned());
    }
    Ok(())
}

#[cfg(feature = "_chat")]
/// Reads an API key from the environment variable `var`, trimmed. The error says whether
/// the variable is unset, empty or unusable, never its value.
pub(crate) fn key_from_env(var: &str) -> Result<Secret, String> {
    match std::env::var(var) {
        Ok(key) if !key.trim().is_empty() => {
            let key = Secret::new(key.trim());
            if HeaderValue::from_str(key.expose()).is_err() {
                return Err(format!(
                    "the environment variable {var} does not hold a valid API key"
                ));
            }
            Ok(key)
        }
        Ok(_) => Err(format!(
            "the environment variable {var} is empty; set it to the API key"
        )),
        Err(_) => Err(format!(
            "the environment variable {var} is not set; set it to the API key"
        )),
    }
}

/// The configured extra headers as a [`HeaderMap`], credentials marked sensitive. The error
/// says which header is wrong.
pub(crate) fn header_map(headers: &BTreeMap<String, String>) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("`{name}` is not an HTTP header name"))?;
        let mut header_value = HeaderValue::from_str(value)
            .map_err(|_| format!("the value of `{name}` is not a valid HTTP header value"))?;
        header_value.set_sensitive(is_sensitive_header(name));
        map.insert(header, header_value);
    }
    Ok(map)
}

#[cfg(feature = "_chat")]
/// A header value holding a credential: marked sensitive, so it never shows in debug output.
pub(crate) fn secret_header(value: &str) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(value).ok()?;
    value.set_sensitive(true);
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_password_hides_only_the_password() {
        assert_eq!(
            without_password("http://u:sk-1@host:8/v1"),
            "http://u:***@host:8/v1"
        );
        assert_eq!(without_password("http://u@host/v1"), "http://u@host/v1");
        assert_eq!(without_password("http://host/v1?a=@"), "http://host/v1?a=@");
        assert_eq!(without_password("not a url"), "not a url");
        assert_eq!(
            without_password("http://u:p@ss:x@host:bad/v1"),
            "http://u:***@host:bad/v1"
        );
    }

    #[cfg(feature = "_chat")]
    #[test]
    fn an_endpoint_with_a_password_is_refused_without_showing_it() {
        let err = endpoint("http://u:sk-SECRET@127.0.0.1:9/v1", &["chat"], "x").unwrap_err();
        assert!(err.contains("must not hold a password"), "{err}");
        assert!(!err.contains("sk-SECRET"), "{err}");
        let err = endpoint("http://u:sk-SECRET@127.0.0.1:bad/v1", &["chat"], "x").unwrap_err();
        assert!(!err.contains("sk-SECRET"), "{err}");
        assert!(endpoint("http://u@127.0.0.1:9/v1", &["chat"], "x").is_ok());
    }
}
