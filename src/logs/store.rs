//! Placeholder contract; the log-store work replaces the bodies.

use jiff::Timestamp;

/// Identity of one log stream: one container of one pod, or one Docker container.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StreamKey {
    Kube {
        context: String,
        namespace: String,
        pod: String,
        container: String,
    },
    Docker {
        host: String,
        id: String,
    },
}

/// A line as a source delivers it: raw bytes, not yet sanitized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLogLine {
    pub stream: StreamKey,
    pub timestamp: Option<Timestamp>,
    pub stderr: bool,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Default)]
pub struct LogStore {}

impl LogStore {
    pub fn new(_budget_bytes: usize) -> Self {
        LogStore {}
    }

    pub fn ingest(&mut self, _line: RawLogLine) {}

    pub fn note_dropped(&mut self, _stream: &StreamKey, _lines: u64) {}
}
