//! Tool calls that arrive in pieces: every streaming wire format sends a call's id and name
//! first and its JSON arguments as text deltas, keyed by an index. [`PartialCalls`] assembles
//! them in order, whatever the format.

use benchcore::agent::ToolCall;
use std::collections::BTreeMap;

/// Tool calls being assembled from a stream, by the index the stream gives each.
#[derive(Debug, Default)]
pub(crate) struct PartialCalls {
    calls: BTreeMap<u64, Partial>,
}

#[derive(Debug, Default)]
struct Partial {
    id: String,
    name: String,
    arguments: String,
}

impl PartialCalls {
    /// Starts (or names) the call at `index`; an empty id or name keeps what was there.
    pub(crate) fn start(&mut self, index: u64, id: Option<&str>, name: Option<&str>) {
        let call = self.calls.entry(index).or_default();
        if let Some(id) = id.filter(|id| !id.is_empty()) {
            id.clone_into(&mut call.id);
        }
        if let Some(name) = name.filter(|name| !name.is_empty()) {
            name.clone_into(&mut call.name);
        }
    }

    /// Adds a piece of the arguments of the call at `index`.
    pub(crate) fn push_arguments(&mut self, index: u64, piece: &str) {
        self.calls
            .entry(index)
            .or_default()
            .arguments
            .push_str(piece);
    }

    /// Replaces the arguments of the call at `index` with the whole text a stream repeats
    /// when the call is done.
    pub(crate) fn set_arguments(&mut self, index: u64, whole: &str) {
        whole.clone_into(&mut self.calls.entry(index).or_default().arguments);
    }

    /// The calls in stream order; arguments that are not JSON are kept as sent and marked.
    pub(crate) fn finish(self) -> Vec<ToolCall> {
        self.calls
            .into_values()
            .map(|call| ToolCall::from_text(call.id, call.name, &call.arguments))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_join_by_index_and_bad_json_is_marked() {
        let mut calls = PartialCalls::default();
        calls.start(1, Some("b"), Some("mul"));
        calls.start(0, Some("a"), Some("add"));
        calls.push_arguments(0, "{\"x\":");
        calls.push_arguments(1, "{oops");
        calls.push_arguments(0, " 1}");
        let done = calls.finish();
        assert_eq!((done[0].id.as_str(), done[0].name.as_str()), ("a", "add"));
        assert_eq!(done[0].arguments["x"], 1);
        assert_eq!(done[1].name, "mul");
        assert_eq!(done[1].invalid_arguments.as_ref().unwrap().raw, "{oops");
    }
}
