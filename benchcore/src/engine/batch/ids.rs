//! Custom ids: what a batch item is called at the provider. Derived from the attempt's key,
//! so a resumed run finds its attempts in a stored batch's results again.

use crate::ContentDigest;

/// The id of attempt (`agent`, `case_id`, `sample`) in a batch: `a` and 16 hex digits of a
/// digest of the key. Anthropic accepts 1–64 characters of `[a-zA-Z0-9_-]` and OpenAI any
/// string unique within its file; a case id may hold anything, so it is never sent as is.
pub(crate) fn custom_id(agent: &str, case_id: &str, sample: u32) -> String {
    let mut digest = ContentDigest::new();
    digest
        .part(agent.as_bytes())
        .part(case_id.as_bytes())
        .part(&sample.to_le_bytes());
    format!("a{}", digest.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_safe_for_every_provider_and_differ_by_key() {
        let id = custom_id("agent", "a case id with spaces/and ünïcode", 3);
        assert_eq!(id.len(), 17);
        assert!(id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
        assert_eq!(
            id,
            custom_id("agent", "a case id with spaces/and ünïcode", 3)
        );
        assert_ne!(
            id,
            custom_id("agent", "a case id with spaces/and ünïcode", 4)
        );
        assert_ne!(custom_id("ab", "c", 0), custom_id("a", "bc", 0));
    }
}
