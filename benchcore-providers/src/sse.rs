//! Server-sent events, as streaming providers send them: one small line parser
//! ([`SseParser`]) and [`read_events`], which feeds it a reply body under a size limit.
//!
//! The parser follows the WHATWG event-stream format: lines end in `\n`, `\r\n` or `\r`; a
//! blank line dispatches the event; `data:` lines join with `\n`; `event:` names the event;
//! lines starting with `:` are comments (keep-alives); one space after the colon is
//! dropped; `id:` and `retry:` are read and ignored. An event whose data never ended in a
//! blank line is not dispatched.

use crate::http;
use benchcore::AgentError;
use std::ops::ControlFlow;

/// One dispatched event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SseEvent {
    /// The `event:` name; empty when the event named none (the format's `message`).
    pub event: String,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
}

/// An incremental event-stream parser: push bytes as they arrive, take the events they
/// complete.
///
/// ```
/// use benchcore_providers::sse::SseParser;
/// let mut parser = SseParser::default();
/// assert!(parser.push(b"event: ping\ndata: {\"a\"").unwrap().is_empty());
/// let events = parser.push(b": 1}\n\ndata: [DONE]\n\n").unwrap();
/// assert_eq!(events[0].event, "ping");
/// assert_eq!(events[0].data, "{\"a\": 1}");
/// assert_eq!(events[1].data, "[DONE]");
/// ```
#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes of a line not yet ended.
    line: Vec<u8>,
    /// The last byte pushed was a `\r`, so a `\n` first in the next push ends nothing.
    after_cr: bool,
    event: String,
    data: String,
    /// Whether the pending event has any `data:` line (an empty one counts).
    has_data: bool,
}

impl SseParser {
    /// Feeds the next bytes of the stream and returns the events they complete, in order.
    ///
    /// A line that is not UTF-8 is a `MalformedReply` error.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, AgentError> {
        let mut events = Vec::new();
        let mut rest = bytes;
        if self.after_cr {
            self.after_cr = false;
            if let Some(tail) = rest.strip_prefix(b"\n") {
                rest = tail;
            }
        }
        while let Some(end) = rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            self.line.extend_from_slice(&rest[..end]);
            let line = std::mem::take(&mut self.line);
            self.line_ended(&line, &mut events)?;
            let was_cr = rest[end] == b'\r';
            rest = &rest[end + 1..];
            if was_cr {
                match rest.first() {
                    Some(b'\n') => rest = &rest[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
        }
        self.line.extend_from_slice(rest);
        Ok(events)
    }

    /// Whether bytes of an event that has not been dispatched are pending: at the end of the
    /// stream, this means it was cut off.
    pub fn has_pending(&self) -> bool {
        !self.line.is_empty() || self.has_data || !self.event.is_empty()
    }

    fn line_ended(&mut self, line: &[u8], events: &mut Vec<SseEvent>) -> Result<(), AgentError> {
        if line.is_empty() {
            if self.has_data {
                events.push(SseEvent {
                    event: std::mem::take(&mut self.event),
                    data: std::mem::take(&mut self.data),
                });
            } else {
                self.event.clear();
            }
            self.has_data = false;
            return Ok(());
        }
        let line = std::str::from_utf8(line).map_err(|_| {
            AgentError::malformed("the event stream holds a line that is not UTF-8")
        })?;
        if line.starts_with(':') {
            return Ok(());
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" => value.clone_into(&mut self.event),
            _ => {}
        }
        Ok(())
    }
}

/// Reads an event-stream reply, handing each event to `on_event` as it arrives, until
/// `on_event` breaks or the body ends.
///
/// Returns `Break` when `on_event` ended the stream, `Continue` when the body ended first
/// (the caller decides whether that is complete). Errors:
/// - more than `limit` bytes in all (by `Content-Length` or as they arrive):
///   `MalformedReply`, naming `max_response_bytes`;
/// - the connection lost mid-stream: `Transient`, as the stream was truncated;
/// - a line that is not UTF-8: `MalformedReply`;
/// - whatever `on_event` returns.
pub async fn read_events(
    mut response: reqwest::Response,
    limit: u64,
    mut on_event: impl FnMut(SseEvent) -> Result<ControlFlow<()>, AgentError> + Send,
) -> Result<ControlFlow<()>, AgentError> {
    let too_long = || {
        AgentError::malformed(format!(
            "the streamed reply is larger than {limit} bytes (max_response_bytes); it was cut off"
        ))
    };
    if response.content_length().is_some_and(|len| len > limit) {
        return Err(too_long());
    }
    let mut parser = SseParser::default();
    let mut read: u64 = 0;
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return Ok(ControlFlow::Continue(())),
            Err(err) => {
                let err = http::error_from_reqwest(err);
                return Err(AgentError::new(
                    err.kind,
                    format!("the stream was cut off after {read} bytes: {}", err.message),
                ));
            }
        };
        read += chunk.len() as u64;
        if read > limit {
            return Err(too_long());
        }
        for event in parser.push(&chunk)? {
            if on_event(event)?.is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(pieces: &[&[u8]]) -> Vec<SseEvent> {
        let mut parser = SseParser::default();
        let mut events = Vec::new();
        for piece in pieces {
            events.extend(parser.push(piece).unwrap());
        }
        events
    }

    fn event(name: &str, data: &str) -> SseEvent {
        SseEvent {
            event: name.into(),
            data: data.into(),
        }
    }

    #[test]
    fn events_are_dispatched_on_blank_lines() {
        let events = parse_all(&[
            b"event: message_start\ndata: {\"type\": \"message_start\"}\n\n",
            b"data: one\ndata: two\n\ndata: [DONE]\n\n",
        ]);
        assert_eq!(
            events,
            [
                event("message_start", "{\"type\": \"message_start\"}"),
                event("", "one\ntwo"),
                event("", "[DONE]"),
            ]
        );
    }

    #[test]
    fn every_line_ending_works_even_split_across_pushes() {
        let text = b"data: a\r\n\r\ndata: b\r\rdata: c\n\n";
        let whole = parse_all(&[text]);
        assert_eq!(whole, [event("", "a"), event("", "b"), event("", "c")]);
        // The same bytes one at a time.
        let pieces: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(parse_all(&pieces), whole);
        // A \r at the end of one push and its \n at the start of the next.
        assert_eq!(
            parse_all(&[b"data: x\r", b"\n\r", b"\ndata: y\n\n"]),
            [event("", "x"), event("", "y")]
        );
    }

    #[test]
    fn comments_ids_and_fields_without_colon() {
        let events = parse_all(&[b": keep-alive\nid: 7\nretry: 100\ndata\n\ndata:no-space\n\n"]);
        assert_eq!(events, [event("", ""), event("", "no-space")]);
        // Only one leading space is dropped.
        assert_eq!(parse_all(&[b"data:  two\n\n"]), [event("", " two")]);
    }

    #[test]
    fn an_event_without_data_is_not_dispatched() {
        assert!(parse_all(&[b"event: ping\n\n"]).is_empty());
        // Its name does not leak into the next event.
        assert_eq!(
            parse_all(&[b"event: ping\n\ndata: x\n\n"]),
            [event("", "x")]
        );
    }

    #[test]
    fn multibyte_characters_split_across_pushes_survive() {
        let text = "data: héllo wörld\n\n".as_bytes();
        let pieces: Vec<&[u8]> = text.chunks(3).collect();
        assert_eq!(parse_all(&pieces), [event("", "héllo wörld")]);
    }

    #[test]
    fn pending_bytes_show_a_cut_off_stream() {
        let mut parser = SseParser::default();
        parser.push(b"data: {\"a\": 1}\n\n").unwrap();
        assert!(!parser.has_pending());
        parser.push(b"data: {\"b\"").unwrap();
        assert!(parser.has_pending());
        let mut parser = SseParser::default();
        parser.push(b"data: x\n").unwrap();
        assert!(parser.has_pending());
    }

    #[test]
    fn a_line_that_is_not_utf8_is_malformed() {
        let err = SseParser::default()
            .push(b"data: \xff\xfe\n\n")
            .unwrap_err();
        assert_eq!(err.kind, benchcore::AgentErrorKind::MalformedReply);
    }
}
