//! Finding runs and attempts in the store by what a URL names.

use super::error::ViewError;
use super::Viewer;
use benchcore::{AttemptKey, AttemptQuery, AttemptRecord, RunInfo};

/// A run by id, or the newest for `latest`.
pub(crate) async fn run(viewer: &Viewer, id: &str) -> Result<RunInfo, ViewError> {
    let found = crate::run_ref::lookup(viewer.store.as_ref(), &viewer.workspace, id).await?;
    found.ok_or_else(|| {
        ViewError::not_found(format!("no run {id:?} in workspace {}", viewer.workspace))
    })
}

/// One attempt by key. The store has no lookup by key, so this reads the agent's attempts
/// after `(case, "", 0)`: the first key of the case for any agent name, as every agent name
/// sorts after the empty one. The wanted key is among the first `sample + 1` found.
pub(crate) async fn attempt(
    viewer: &Viewer,
    run_id: &str,
    key: &AttemptKey,
) -> Result<Option<AttemptRecord>, ViewError> {
    let mut query = AttemptQuery::all()
        .limit(key.sample as usize + 1)
        .after(Some(AttemptKey::new(key.case_id.clone(), "", 0)));
    query.agent = Some(key.agent.clone());
    let page = viewer
        .store
        .attempts(&viewer.workspace, run_id, &query)
        .await?;
    Ok(page.into_iter().find(|record| record.key == *key))
}

/// Percent-encodes a path segment or query value (everything but unreserved characters).
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn encodes_everything_but_unreserved() {
        assert_eq!(encode("run-1_a.b~"), "run-1_a.b~");
        assert_eq!(encode("a/b c?&é"), "a%2Fb%20c%3F%26%C3%A9");
    }
}
