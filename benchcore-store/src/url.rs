//! Store URLs: their scheme, their parts, percent-decoding, and how to print one without its
//! password ([`redact_url`]).

/// What [`redact_url`] prints in place of a password.
const HIDDEN: &str = "***";

/// A store URL as it may be printed: the password (everything between the first `:` of the
/// user info and its last `@`) and the value of any setting whose name says `password` are
/// replaced by `***`. SQLite URLs and bare paths hold no password and come back unchanged.
///
/// Passwords may hold URL-special characters, percent-encoded or not: the user info ends at
/// the URL's last `@`, so `postgres://u:p@ss:w/rd@db/bench` prints as `postgres://u:***@db/bench`.
///
/// ```
/// use benchcore_store::redact_url;
///
/// assert_eq!(
///     redact_url("postgres://bench:p@ss:w/rd%21@db.internal:5432/results?schema=a"),
///     "postgres://bench:***@db.internal:5432/results?schema=a"
/// );
/// assert_eq!(redact_url("sqlite://runs/bench.db"), "sqlite://runs/bench.db");
/// ```
pub fn redact_url(url: &str) -> String {
    let Some(start) = url.find("://") else {
        return url.to_owned();
    };
    if matches!(scheme(url).as_deref(), None | Some("sqlite")) {
        return url.to_owned();
    }
    let (head, rest) = url.split_at(start + 3);
    // Settings first: a setting's value may hold an `@`, which would hide where the user
    // info ends.
    let rest = hide_password_settings(rest);
    let (userinfo, tail) = split_userinfo(&rest);
    let mut out = head.to_owned();
    if let Some(userinfo) = userinfo {
        match userinfo.split_once(':') {
            Some((user, _password)) => {
                out.push_str(user);
                out.push(':');
                out.push_str(HIDDEN);
            }
            None => out.push_str(userinfo),
        }
        out.push('@');
    }
    out.push_str(tail);
    out
}

/// `text` with the value of every `?key=value` or `&key=value` whose key says `password`
/// (up to the next `&`) replaced by `***`.
fn hide_password_settings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['?', '&']) {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let end = rest.find('&').unwrap_or(rest.len());
        match rest[..end].split_once('=') {
            Some((key, _)) if key.to_ascii_lowercase().contains("password") => {
                out.push_str(key);
                out.push('=');
                out.push_str(HIDDEN);
                rest = &rest[end..];
            }
            _ => {}
        }
    }
    out.push_str(rest);
    out
}

/// The user info of the part after `scheme://` and what follows it: the user info ends at the
/// last `@`, so a password may hold `@`, `:`, `/`, `?` or `#` without percent-encoding.
pub(crate) fn split_userinfo(rest: &str) -> (Option<&str>, &str) {
    match rest.rfind('@') {
        Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
        None => (None, rest),
    }
}

/// The URL's scheme, lowercased, when it has one: letters first, then letters, digits, `+`,
/// `-` or `.`, then `:`. A single letter is a Windows drive, not a scheme.
pub(crate) fn scheme(url: &str) -> Option<String> {
    let (scheme, _) = url.split_once(':')?;
    let valid = scheme.len() > 1
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then(|| scheme.to_ascii_lowercase())
}

/// `%XX` escapes to bytes (a `%` without two hex digits stays as it is); `None` when the
/// bytes are not UTF-8.
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
pub(crate) fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        assert_eq!(scheme("sqlite://a.db").as_deref(), Some("sqlite"));
        assert_eq!(scheme("SQLite:a.db").as_deref(), Some("sqlite"));
        assert_eq!(scheme("postgres://u:pw@h/db").as_deref(), Some("postgres"));
        assert_eq!(scheme("bench.db"), None);
        assert_eq!(scheme("./runs/bench.db"), None);
        assert_eq!(scheme(r"C:\runs\bench.db"), None);
        assert_eq!(scheme("runs/v2:bench.db"), None);
    }

    /// Every way a password may be written, with and without other parts around it.
    #[test]
    fn passwords_never_survive_redaction() {
        let secret = "p@ss:w/rd%21";
        let encoded = "p%40ss%3Aw%2Frd%2521";
        for password in [secret, encoded, "S3cretPW99", "a?b#c&d=e"] {
            for url in [
                format!("postgres://bench:{password}@db.internal:5432/results"),
                format!("postgresql://bench:{password}@127.0.0.1/results?schema=a&bogus=1"),
                format!("POSTGRES://bench:{password}@[::1]:6000"),
                format!("postgres://bench:{password}@"),
                format!("mysql://bench:{password}@h/db"),
                format!("postgres://h/db?password={password}"),
            ] {
                let shown = redact_url(&url);
                assert!(!shown.contains(password), "{url} -> {shown}");
                assert!(
                    !shown.contains("S3cret") && !shown.contains("w/rd"),
                    "{shown}"
                );
                assert!(shown.contains(HIDDEN), "{url} -> {shown}");
            }
        }
        assert_eq!(
            redact_url("postgres://bench:p@ss:w/rd%21@db:5432/results?schema=a"),
            "postgres://bench:***@db:5432/results?schema=a"
        );
        assert_eq!(
            redact_url("postgres://h/db?sslmode=require&password=x"),
            "postgres://h/db?sslmode=require&password=***"
        );
    }

    #[test]
    fn urls_without_passwords_are_unchanged() {
        for url in [
            "postgres://bench@db/runs",
            "postgres://db/runs?schema=a",
            "sqlite://runs/bench.db",
            "sqlite:runs/bench.db",
            "runs/bench.db",
            "/home/me@corp/runs:v2/bench.db",
            "",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b%2f%").as_deref(), Some("a b/%"));
        assert_eq!(percent_decode("%zz%4%+f").as_deref(), Some("%zz%4%+f"));
        assert_eq!(percent_decode("%ff"), None);
    }
}
