//! Reading newline-delimited messages with a bound on each line, and describing a line that
//! could not be read.

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// Bytes of a bad line quoted in an error.
const HEAD_BYTES: usize = 120;

/// What [`read_line`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line {
    /// A line (without its `\n` or `\r\n`) is in the buffer.
    Message,
    /// A line longer than the limit was skipped; the buffer holds its first bytes.
    TooLong {
        /// How many bytes the line had.
        len: usize,
    },
    /// The stream ended.
    End,
}

/// Reads the next non-empty line into `line`, at most `max` bytes of it. A longer line is
/// read to its end (so the next line starts cleanly) but only its head is kept. A last line
/// without a newline counts as a line.
pub(crate) async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max: usize,
    line: &mut Vec<u8>,
) -> std::io::Result<Line> {
    loop {
        line.clear();
        let mut len = 0usize;
        let mut too_long = false;
        let ended = loop {
            let buf = reader.fill_buf().await?;
            if buf.is_empty() {
                break true;
            }
            let (chunk, used, found) = match buf.iter().position(|b| *b == b'\n') {
                Some(at) => (&buf[..at], at + 1, true),
                None => (buf, buf.len(), false),
            };
            len += chunk.len();
            if !too_long {
                if len > max {
                    too_long = true;
                    line.truncate(HEAD_BYTES);
                    let room = HEAD_BYTES.saturating_sub(line.len());
                    line.extend_from_slice(&chunk[..room.min(chunk.len())]);
                } else {
                    line.extend_from_slice(chunk);
                }
            }
            reader.consume(used);
            if found {
                break false;
            }
        };
        if line.last() == Some(&b'\r') && !too_long {
            line.pop();
        }
        if too_long {
            return Ok(Line::TooLong { len });
        }
        if !line.iter().all(u8::is_ascii_whitespace) {
            return Ok(Line::Message);
        }
        if ended {
            return Ok(Line::End);
        }
    }
}

/// The first bytes of a line, quoted, for an error message.
pub(crate) fn head(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let mut shown: String = text.chars().take(HEAD_BYTES).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    format!("{shown:?}")
}

/// The numeric `"id"` near the start of a message too long to parse (servers write it
/// before the result), so that only its caller is failed.
pub(crate) fn leading_id(head: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(head);
    let after = text.find("\"id\"").map(|at| &text[at + 4..])?;
    let after = after.trim_start().strip_prefix(':')?.trim_start();
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lines(input: &[u8], max: usize) -> Vec<(Line, Vec<u8>)> {
        let mut reader = input;
        let mut out = Vec::new();
        let mut line = Vec::new();
        loop {
            let found = read_line(&mut reader, max, &mut line).await.unwrap();
            if found == Line::End {
                return out;
            }
            out.push((found, line.clone()));
        }
    }

    #[tokio::test]
    async fn lines_are_split_bounded_and_blank_ones_skipped() {
        let long = format!("{{\"id\":7,\"x\":\"{}\"}}", "a".repeat(500));
        let input = format!("one\r\n\n  \n{long}\ntwo\nlast");
        let found = lines(input.as_bytes(), 100).await;
        assert_eq!(found.len(), 4);
        assert_eq!(found[0], (Line::Message, b"one".to_vec()));
        assert_eq!(found[1].0, Line::TooLong { len: long.len() });
        assert_eq!(leading_id(&found[1].1), Some(7));
        assert_eq!(found[2], (Line::Message, b"two".to_vec()));
        assert_eq!(found[3], (Line::Message, b"last".to_vec()));
    }

    #[test]
    fn heads_are_short_and_ids_are_found_early() {
        assert!(head(&[b'x'; 1000]).len() < 200);
        assert_eq!(
            leading_id(br#"{"jsonrpc":"2.0","id": 12,"result""#),
            Some(12)
        );
        assert_eq!(leading_id(b"garbage"), None);
    }
}
