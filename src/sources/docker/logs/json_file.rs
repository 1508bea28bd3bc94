//! Reading a container's `json-file` log straight from disk, when the engine is on this
//! machine and the file is readable (pilothouse runs as root, or the engine's data root
//! allows it).
//!
//! Why: following logs through the API makes dockerd decode every line from that same
//! file and send it on, one flushed write per line. Measured on Debian's dockerd 20.10
//! (`cargo bench --bench docker`), a container writing ~50,000 lines/s costs dockerd some
//! 35-45 extra points of CPU for any API client, and dockerd then delivers only ~32,000
//! lines/s, so the console falls further behind every second. Reading the file costs
//! dockerd nothing and keeps up. When the file cannot be read (remote engine, Docker
//! Desktop's VM, another logging driver, no permission) the follower uses the API.
//!
//! The file is one JSON object per line: `{"log":"text\n","stream":"stdout","time":"…"}`.
//! A line longer than 16 KiB is stored in pieces, only the last ending in `\n`. The file
//! outlives container restarts (the engine appends to it), which makes resuming trivial;
//! with `max-size` set the engine rotates it (renames it and starts a new one).

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Deserialize;

use super::frames::{ParsedLine, TimestampCache};

/// How far back the start is searched per read when tailing.
const SCAN_CHUNK: usize = 64 * 1024;

/// A line longer than this is handed on in pieces (as the frames' assembler does).
const MAX_PENDING_BYTES: usize = 16 * 1024 * 1024;

/// One record of the file.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    log: Cow<'a, str>,
    #[serde(default, borrow)]
    stream: Cow<'a, str>,
    #[serde(default, borrow)]
    time: Cow<'a, str>,
}

/// What became of the file being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    /// Still the container's log.
    Current,
    /// Rotated away: a new file has the container's log from here on.
    Rotated,
    /// Deleted: the container was removed.
    Removed,
}

/// An open json-file log, read forward from a position.
#[derive(Debug)]
pub struct JsonLogFile {
    path: PathBuf,
    file: File,
    /// The file's identity, to notice rotation.
    inode: (u64, u64),
    /// Where the next read starts.
    offset: u64,
    /// Bytes read after the last complete record.
    carry: Vec<u8>,
    clock: TimestampCache,
    /// An unfinished line of stdout (0) and of stderr (1).
    pending: [Option<ParsedLine>; 2],
}

impl JsonLogFile {
    /// Open `path` at the start of its last `tail` lines, but no earlier than the first line
    /// stamped at or after `since` (`None`s: the whole file).
    pub fn open(
        path: &Path,
        tail: Option<u64>,
        since: Option<Timestamp>,
    ) -> io::Result<JsonLogFile> {
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        let start = start_offset(&mut file, meta.len(), tail, since)?;
        file.seek(SeekFrom::Start(start))?;
        Ok(JsonLogFile {
            path: path.to_path_buf(),
            file,
            inode: (meta.dev(), meta.ino()),
            offset: start,
            carry: Vec::new(),
            clock: TimestampCache::default(),
            pending: [None, None],
        })
    }

    /// Read what was written since the last call, at most `max` bytes; complete lines go
    /// to `out`. Returns the bytes read (0: nothing new).
    pub fn read_new(&mut self, max: usize, out: &mut Vec<ParsedLine>) -> io::Result<usize> {
        // Ask the size first: an idle follower then costs one fstat per poll.
        let available = self.file.metadata()?.len().saturating_sub(self.offset);
        let want = usize::try_from(available).unwrap_or(usize::MAX).min(max);
        if want == 0 {
            return Ok(0);
        }
        let start = self.carry.len();
        self.carry.resize(start + want, 0);
        let n = self.file.read(&mut self.carry[start..])?;
        self.carry.truncate(start + n);
        self.offset += n as u64;
        let mut consumed = 0;
        while let Some(newline) = self.carry[consumed..].iter().position(|&b| b == b'\n') {
            let end = consumed + newline;
            self.record(consumed, end, out);
            consumed = end + 1;
        }
        self.carry.drain(..consumed);
        Ok(n)
    }

    /// Parse the record at `carry[start..end]`.
    fn record(&mut self, start: usize, end: usize, out: &mut Vec<ParsedLine>) {
        let Ok(record) = serde_json::from_slice::<Record>(&self.carry[start..end]) else {
            // Not a record (a torn write the engine will not finish): skip it rather than
            // show JSON as if the container had written it.
            return;
        };
        let stderr = record.stream == "stderr";
        let timestamp = self.clock.parse(record.time.as_bytes());
        let text = record.log.as_bytes();
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

    /// Whether the engine still writes this file.
    pub fn state(&self) -> io::Result<FileState> {
        if self.file.metadata()?.nlink() == 0 {
            return Ok(FileState::Removed);
        }
        match std::fs::metadata(&self.path) {
            Ok(meta) if (meta.dev(), meta.ino()) == self.inode => Ok(FileState::Current),
            Ok(_) => Ok(FileState::Rotated),
            // Renamed away and the new one not created yet.
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(FileState::Rotated),
            Err(e) => Err(e),
        }
    }

    /// The file that replaced this one after a rotation, read from its start.
    pub fn successor(&self) -> io::Result<JsonLogFile> {
        JsonLogFile::open(&self.path, None, None)
    }
}

/// Where reading starts: walk back from the end over complete lines until `tail` lines are
/// behind, or a line older than `since` is found.
fn start_offset(
    file: &mut File,
    len: u64,
    tail: Option<u64>,
    since: Option<Timestamp>,
) -> io::Result<u64> {
    if tail.is_none() && since.is_none() {
        return Ok(0);
    }
    if tail == Some(0) {
        return Ok(len);
    }
    let mut clock = TimestampCache::default();
    let mut lines = 0u64;
    // Bytes [pos, scanned_end) are in `buf`; `line_end` is the end of the line being
    // looked at (exclusive of its newline). A trailing unfinished line is not counted.
    let mut buf: Vec<u8> = Vec::new();
    let mut pos = len;
    let mut line_end: Option<u64> = None;
    loop {
        let read = SCAN_CHUNK.min(pos as usize);
        if read == 0 {
            return Ok(0);
        }
        pos -= read as u64;
        let mut chunk = vec![0u8; read];
        file.seek(SeekFrom::Start(pos))?;
        file.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&buf);
        buf = chunk;
        // Walk newlines from the back of what is buffered.
        let mut cursor = buf.len();
        while let Some(nl) = buf[..cursor].iter().rposition(|&b| b == b'\n') {
            let nl_offset = pos + nl as u64;
            if let Some(end) = line_end {
                // The line (nl_offset, end) is complete.
                let line = &buf[nl + 1..(end - pos) as usize];
                lines += 1;
                if let Some(since) = since
                    && line_time(&mut clock, line).is_some_and(|t| t < since)
                {
                    return Ok(end + 1);
                }
                if tail.is_some_and(|n| lines >= n) {
                    return Ok(nl_offset + 1);
                }
            }
            line_end = Some(nl_offset);
            cursor = nl;
        }
        if pos == 0 {
            // The first line has no newline before it.
            if let Some(end) = line_end {
                let line = &buf[..(end as usize)];
                if let Some(since) = since
                    && line_time(&mut clock, line).is_some_and(|t| t < since)
                {
                    return Ok(end + 1);
                }
            }
            return Ok(0);
        }
        // Keep only the part before the first newline found: it is the unfinished start
        // of the next line back.
        if let Some(end) = line_end {
            buf.truncate((end - pos) as usize);
        }
    }
}

fn line_time(clock: &mut TimestampCache, line: &[u8]) -> Option<Timestamp> {
    let record: Record = serde_json::from_slice(line).ok()?;
    clock.parse(record.time.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn record(text: &str, stream: &str, second: u32) -> String {
        format!(
            "{{\"log\":{},\"stream\":\"{stream}\",\"time\":\"2026-11-22T10:00:{second:02}.5Z\"}}\n",
            serde_json::to_string(text).unwrap()
        )
    }

    fn texts(lines: &[ParsedLine]) -> Vec<String> {
        lines
            .iter()
            .map(|l| String::from_utf8_lossy(&l.bytes).into_owned())
            .collect()
    }

    fn file_with(records: &[String]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c-json.log");
        std::fs::write(&path, records.concat()).unwrap();
        (dir, path)
    }

    fn read_all(file: &mut JsonLogFile) -> Vec<ParsedLine> {
        let mut out = Vec::new();
        while file.read_new(7, &mut out).unwrap() > 0 {}
        out
    }

    #[test]
    fn records_become_lines_with_stream_time_and_joined_pieces() {
        let (_dir, path) = file_with(&[
            record("one\n", "stdout", 1),
            record("oops \u{1b}[31mred\n", "stderr", 2),
            record("long ", "stdout", 3),
            record("line\r\n", "stdout", 4),
        ]);
        let mut file = JsonLogFile::open(&path, None, None).unwrap();
        let lines = read_all(&mut file);
        assert_eq!(texts(&lines), ["one", "oops \u{1b}[31mred", "long line"]);
        assert!(lines[1].stderr && !lines[0].stderr);
        let t: Timestamp = "2026-11-22T10:00:03.5Z".parse().unwrap();
        assert_eq!(
            lines[2].timestamp,
            Some(t),
            "a joined line has its first piece's time"
        );
    }

    #[test]
    fn reading_follows_appends_and_unfinished_records_wait() {
        let (_dir, path) = file_with(&[record("a\n", "stdout", 1)]);
        let mut file = JsonLogFile::open(&path, None, None).unwrap();
        assert_eq!(texts(&read_all(&mut file)), ["a"]);
        let mut writer = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        let next = record("b\n", "stdout", 2);
        let (head, rest) = next.split_at(10);
        writer.write_all(head.as_bytes()).unwrap();
        assert!(
            read_all(&mut file).is_empty(),
            "half a record is not a line"
        );
        writer.write_all(rest.as_bytes()).unwrap();
        assert_eq!(texts(&read_all(&mut file)), ["b"]);
        assert_eq!(file.state().unwrap(), FileState::Current);
    }

    #[test]
    fn tail_and_since_pick_the_start() {
        let records: Vec<String> = (1..=50)
            .map(|i| record(&format!("line {i}\n"), "stdout", i))
            .collect();
        let (_dir, path) = file_with(&records);
        let open = |tail, since: Option<&str>| {
            let since = since.map(|s| s.parse::<Timestamp>().unwrap());
            let mut file = JsonLogFile::open(&path, tail, since).unwrap();
            texts(&read_all(&mut file))
        };
        assert_eq!(open(Some(3), None), ["line 48", "line 49", "line 50"]);
        assert_eq!(open(Some(0), None), Vec::<String>::new());
        assert_eq!(open(Some(500), None).len(), 50);
        assert_eq!(
            open(None, Some("2026-11-22T10:00:48.5Z")),
            ["line 48", "line 49", "line 50"]
        );
        // Both: the later start wins.
        assert_eq!(
            open(Some(10), Some("2026-11-22T10:00:49Z")),
            ["line 49", "line 50"]
        );
        assert_eq!(
            open(Some(2), Some("2026-11-22T10:00:01Z")),
            ["line 49", "line 50"]
        );
        assert_eq!(open(None, Some("2026-11-22T09:00:00Z")).len(), 50);
    }

    #[test]
    fn rotation_and_removal_are_noticed() {
        let (dir, path) = file_with(&[record("old\n", "stdout", 1)]);
        let file = JsonLogFile::open(&path, None, None).unwrap();
        std::fs::rename(&path, dir.path().join("c-json.log.1")).unwrap();
        assert_eq!(file.state().unwrap(), FileState::Rotated);
        std::fs::write(&path, record("new\n", "stdout", 2)).unwrap();
        assert_eq!(file.state().unwrap(), FileState::Rotated);
        let mut next = file.successor().unwrap();
        assert_eq!(texts(&read_all(&mut next)), ["new"]);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(next.state().unwrap(), FileState::Removed);
    }
}
