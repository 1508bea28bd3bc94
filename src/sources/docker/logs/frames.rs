//! From the engine's log frames to lines: timestamps split off, stdout and stderr kept
//! apart, long lines the engine split into pieces joined again.
//!
//! With `timestamps=true` every frame starts with the time the engine read it
//! (RFC 3339 with nanoseconds, then a space). The json-file driver stores a line longer than
//! 16 KiB as several pieces, each with its own timestamp and only the last ending in `\n`;
//! such a line gets the first piece's time.

use bollard::container::LogOutput;
use jiff::Timestamp;

/// A line longer than this is handed on in pieces, so one endless line cannot take all
/// memory before it reaches the log store's own limits.
const MAX_PENDING_BYTES: usize = 16 * 1024 * 1024;

/// One complete line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedLine {
    pub timestamp: Option<Timestamp>,
    pub stderr: bool,
    /// Without the trailing newline (or `\r\n`).
    pub bytes: Vec<u8>,
}

/// Joins frames into lines, per output stream.
#[derive(Debug, Default)]
pub struct LineAssembler {
    /// An unfinished line of stdout (0) and of stderr (1).
    pending: [Option<ParsedLine>; 2],
    clock: TimestampCache,
}

impl LineAssembler {
    /// Add one frame; complete lines are pushed to `out`.
    pub fn push(&mut self, frame: LogOutput, out: &mut Vec<ParsedLine>) {
        let (stderr, payload) = match frame {
            LogOutput::StdErr { message } => (true, message),
            LogOutput::StdOut { message } | LogOutput::Console { message } => (false, message),
            LogOutput::StdIn { .. } => return,
        };
        let (timestamp, text) = self.clock.split(&payload);
        let (text, complete) = match text.strip_suffix(b"\n") {
            Some(line) => (line.strip_suffix(b"\r").unwrap_or(line), true),
            None => (text, false),
        };
        let slot = &mut self.pending[usize::from(stderr)];
        let line = match slot.take() {
            Some(mut started) => {
                started.bytes.extend_from_slice(text);
                started
            }
            None => ParsedLine {
                timestamp,
                stderr,
                bytes: text.to_vec(),
            },
        };
        if complete || line.bytes.len() >= MAX_PENDING_BYTES {
            out.push(line);
        } else {
            *slot = Some(line);
        }
    }

    /// The stream ended: unfinished lines are lines too.
    pub fn finish(&mut self, out: &mut Vec<ParsedLine>) {
        for slot in &mut self.pending {
            if let Some(line) = slot.take() {
                out.push(line);
            }
        }
    }
}

/// Parses the engine's timestamps, remembering the last whole second: lines come many per
/// second, so most need only their fraction read.
#[derive(Debug, Default)]
pub(super) struct TimestampCache {
    /// `2026-11-22T18:28:15` and the second it names.
    second: Option<([u8; 19], i64)>,
}

impl TimestampCache {
    /// The leading timestamp of `payload` and the rest after its space; no timestamp if
    /// the payload does not start with one.
    fn split<'a>(&mut self, payload: &'a [u8]) -> (Option<Timestamp>, &'a [u8]) {
        // RFC 3339 in UTC is at least 20 bytes and at most 30 (nanoseconds).
        let head = &payload[..payload.len().min(40)];
        let Some(space) = head.iter().position(|&b| b == b' ') else {
            return (None, payload);
        };
        match self.parse(&payload[..space]) {
            Some(t) => (Some(t), &payload[space + 1..]),
            None => (None, payload),
        }
    }

    /// `2026-11-22T18:28:15.497380734Z` (UTC, up to nanoseconds), as the engine writes it.
    pub(super) fn parse(&mut self, text: &[u8]) -> Option<Timestamp> {
        if text.len() < 20 || text.last() != Some(&b'Z') {
            return None;
        }
        let (date_time, rest) = text.split_at(19);
        let nanos = fraction_nanos(&rest[..rest.len() - 1])?;
        let second = match self.second {
            Some((cached, second)) if cached == date_time => second,
            _ => {
                let whole = std::str::from_utf8(date_time).ok()?;
                let t: Timestamp = format!("{whole}Z").parse().ok()?;
                let mut key = [0u8; 19];
                key.copy_from_slice(date_time);
                self.second = Some((key, t.as_second()));
                t.as_second()
            }
        };
        Timestamp::new(second, nanos).ok()
    }
}

/// `.497380734` (or nothing) as nanoseconds.
fn fraction_nanos(text: &[u8]) -> Option<i32> {
    if text.is_empty() {
        return Some(0);
    }
    let digits = text.strip_prefix(b".")?;
    if digits.is_empty() || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut nanos: i32 = 0;
    for i in 0..9 {
        let digit = digits.get(i).map_or(0, |d| i32::from(d - b'0'));
        nanos = nanos * 10 + digit;
    }
    Some(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn out(text: &str) -> LogOutput {
        LogOutput::StdOut {
            message: Bytes::copy_from_slice(text.as_bytes()),
        }
    }

    fn err(text: &str) -> LogOutput {
        LogOutput::StdErr {
            message: Bytes::copy_from_slice(text.as_bytes()),
        }
    }

    fn texts(lines: &[ParsedLine]) -> Vec<(String, bool)> {
        lines
            .iter()
            .map(|l| (String::from_utf8_lossy(&l.bytes).into_owned(), l.stderr))
            .collect()
    }

    #[test]
    fn timestamps_are_split_off_and_streams_told_apart() {
        let mut assembler = LineAssembler::default();
        let mut lines = Vec::new();
        assembler.push(
            out("2026-11-22T18:28:15.497380734Z hello world\n"),
            &mut lines,
        );
        assembler.push(err("2026-11-22T18:28:15.4973807Z oops\r\n"), &mut lines);
        assembler.push(out("2026-11-22T18:28:16Z \n"), &mut lines);
        assert_eq!(
            texts(&lines),
            [
                ("hello world".to_string(), false),
                ("oops".to_string(), true),
                (String::new(), false)
            ]
        );
        let expected: Timestamp = "2026-11-22T18:28:15.497380734Z".parse().unwrap();
        assert_eq!(lines[0].timestamp, Some(expected));
        let expected: Timestamp = "2026-11-22T18:28:15.4973807Z".parse().unwrap();
        assert_eq!(lines[1].timestamp, Some(expected));
        assert_eq!(lines[2].timestamp.map(|t| t.subsec_nanosecond()), Some(0));
    }

    #[test]
    fn pieces_of_a_long_line_are_joined_with_the_first_pieces_time() {
        let mut assembler = LineAssembler::default();
        let mut lines = Vec::new();
        assembler.push(out("2026-11-22T18:28:15.1Z aaaa"), &mut lines);
        assembler.push(err("2026-11-22T18:28:15.15Z e\n"), &mut lines);
        assembler.push(out("2026-11-22T18:28:15.2Z bbbb\n"), &mut lines);
        assert_eq!(
            texts(&lines),
            [("e".to_string(), true), ("aaaabbbb".to_string(), false)]
        );
        let first: Timestamp = "2026-11-22T18:28:15.1Z".parse().unwrap();
        assert_eq!(lines[1].timestamp, Some(first));
        assembler.push(
            out("2026-11-22T18:28:15.3Z tail without newline"),
            &mut lines,
        );
        assembler.finish(&mut lines);
        assert_eq!(texts(&lines)[2].0, "tail without newline");
    }

    #[test]
    fn lines_without_a_timestamp_are_kept_whole() {
        let mut assembler = LineAssembler::default();
        let mut lines = Vec::new();
        assembler.push(out("no time here\n"), &mut lines);
        assembler.push(out("2026-13-45T99:99:99Z bad date\n"), &mut lines);
        assert_eq!(lines[0].timestamp, None);
        assert_eq!(lines[0].bytes, b"no time here");
        assert_eq!(lines[1].timestamp, None);
        assert_eq!(lines[1].bytes, b"2026-13-45T99:99:99Z bad date");
    }
}
