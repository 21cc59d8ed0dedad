//! Password hashes: argon2id in PHC form, with a per-password random salt.

use anyhow::Context;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, SaltString};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};

/// Shortest password accepted.
pub(crate) const MIN_LENGTH: usize = 12;
/// Longest accepted: hashing is costly, so a huge password must not cost more.
pub(crate) const MAX_LENGTH: usize = 256;

/// Refuses a password too short or too long.
pub(crate) fn check_strength(password: &str) -> anyhow::Result<()> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        anyhow::bail!("a password needs at least {MIN_LENGTH} characters");
    }
    if password.len() > MAX_LENGTH {
        anyhow::bail!("a password has at most {MAX_LENGTH} bytes");
    }
    Ok(())
}

/// The PHC string of `password`.
pub(crate) fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("hashing a password")?
        .to_string())
}

/// Whether `password` matches the stored `hash` (a malformed hash matches nothing).
pub(crate) fn verify(password: &str, hash: &str) -> bool {
    if password.len() > MAX_LENGTH {
        return false;
    }
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash of no one's password: verified against when the email is unknown, so an answer
/// takes as long whether or not the account exists.
pub(crate) fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash("decoy password, never anyone's").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse batterY", &stored));
        assert!(!verify("x", "not a hash"));
        assert!(check_strength("short").is_err());
        assert!(check_strength(&"x".repeat(300)).is_err());
    }
}
