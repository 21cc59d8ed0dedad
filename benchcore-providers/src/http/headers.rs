//! Credentials in headers and bodies: which header names mark one, and masking a key a
//! provider echoes.

/// Whether a header's name marks its value as a credential (`Authorization`, `X-Api-Key`,
/// `Cookie`, anything with `token` or `secret` …).
pub(crate) fn is_sensitive_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["auth", "key", "token", "secret", "cookie", "password"]
        .iter()
        .any(|word| name.contains(word))
}

/// Replaces `secret` in `text` with `***`.
pub(crate) fn mask(text: &str, secret: Option<&str>) -> String {
    match secret {
        Some(secret) if secret.len() >= 4 && text.contains(secret) => text.replace(secret, "***"),
        _ => text.to_owned(),
    }
}
