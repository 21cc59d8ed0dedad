//! Random ids and secrets, and the digests secrets are stored under.

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// `bytes` random bytes from the operating system, as unpadded base64url.
///
/// # Panics
/// The operating system has no random source (nothing safe can be made then).
pub(crate) fn secret(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    getrandom::getrandom(&mut buffer).expect("the operating system's random source failed");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buffer)
}

/// A new id: a prefix naming what it is and 96 random bits, so ids cannot be guessed or
/// enumerated (`u_Zk3…`).
pub(crate) fn id(prefix: &str) -> String {
    format!("{prefix}_{}", secret(12))
}

/// A new workspace id, which is also the name its data is stored under.
pub(crate) fn workspace() -> anyhow::Result<benchcore::Workspace> {
    Ok(benchcore::Workspace::new(id("w"))?)
}

/// The SHA-256 of a secret, in hex: what the store keeps of tokens and session cookies.
pub(crate) fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compares two secrets in time that does not depend on where they differ.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_and_valid_workspace_names() {
        let a = id("w");
        assert_ne!(a, id("w"));
        assert_eq!(a.len(), 2 + 16);
        assert!(benchcore::Workspace::new(a).is_ok());
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
        assert_eq!(digest("x").len(), 64);
    }
}
