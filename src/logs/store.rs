//! The log store: every stream's ring under one global byte budget.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};

use jiff::Timestamp;

pub use super::ring::StreamStats;
use super::ring::{FLAG_SGR, FLAG_STDERR, LINE_META_BYTES, NO_TIMESTAMP, StreamRing};

/// Identity of one log stream: one container of one pod, or one Docker container.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StreamKey {
    /// One container of one pod.
    Kube {
        /// The kubeconfig context (cluster) the pod is in.
        context: String,
        /// The pod's namespace.
        namespace: String,
        /// The pod's name.
        pod: String,
        /// The container's name within the pod.
        container: String,
        /// The log of the container's previous instance (before its last restart), which
        /// is a finished stream of its own rather than part of the current one.
        previous: bool,
    },
    /// One Docker container.
    Docker {
        /// The Docker host (`DOCKER_HOST` or a configured endpoint).
        host: String,
        /// The full container id.
        id: String,
    },
}

/// A line as a source delivers it: raw bytes, not yet sanitized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLogLine {
    /// The stream the line belongs to.
    pub stream: StreamKey,
    /// When the source says the line was written (Kubernetes `timestamps=true`, Docker's
    /// `timestamps`), if it says.
    pub timestamp: Option<Timestamp>,
    /// The line came from stderr (drawn with the `log.stderr` style).
    pub stderr: bool,
    /// The line without its trailing newline, exactly as received.
    pub bytes: Vec<u8>,
}

/// The default global budget: 256 MiB.
pub const DEFAULT_BUDGET_BYTES: usize = 256 * 1024 * 1024;

/// Raw input beyond this is cut before sanitizing. A 10 MB line is kept whole; this only
/// bounds what one absurd line can take (and keeps chunk offsets within `u32`).
pub const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;

/// What the budget charges per line on top of its text: its index entry, its `\n`
/// separator and, at worst (streams interleaving line by line), one entry of the arrival
/// queue.
pub const LINE_CHARGE_BYTES: usize = LINE_META_BYTES + 1 + std::mem::size_of::<Run>();

/// A store-wide handle of a stream, cheaper to carry than its [`StreamKey`].
/// Ids are never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId(u32);

impl StreamId {
    fn index(self) -> usize {
        self.0 as usize
    }
}

/// Identity of one stored line: its global sequence number and its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineId {
    /// Global arrival order: every ingested line gets the next number, whatever its stream.
    pub seq: u64,
    /// The stream holding the line.
    pub stream: StreamId,
}

/// A borrowed view of one stored line.
#[derive(Debug, Clone, Copy)]
pub struct LineRef<'a> {
    /// Which line this is.
    pub id: LineId,
    /// The line's position in its own stream (see `ring` for why it is stable).
    pub line_no: u64,
    pub(crate) timestamp_nanos: i64,
    pub(crate) flags: u32,
    /// Sanitized UTF-8 text, free of any escape or control but TAB: what the user reads.
    pub text: &'a [u8],
    /// The line's SGR colors as records (see [`crate::logs::sgr`]); empty for most lines.
    pub colors: &'a [u8],
}

impl<'a> LineRef<'a> {
    /// The time the source gave the line, if any.
    pub fn timestamp(&self) -> Option<Timestamp> {
        if self.timestamp_nanos == NO_TIMESTAMP {
            return None;
        }
        Timestamp::from_nanosecond(i128::from(self.timestamp_nanos)).ok()
    }

    /// Whether the line came from stderr.
    pub fn stderr(&self) -> bool {
        self.flags & FLAG_STDERR != 0
    }

    /// Whether the line has colors.
    pub fn has_sgr(&self) -> bool {
        self.flags & FLAG_SGR != 0
    }

    /// The text as `str`. The sanitizer only ever stores valid UTF-8, so this borrows.
    pub fn text_str(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.text)
    }
}

/// Store-wide counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogStats {
    /// Streams the store has heard of.
    pub streams: usize,
    /// Lines held.
    pub retained_lines: u64,
    /// Sanitized text and color bytes held.
    pub retained_bytes: u64,
    /// What the budget counts: text plus [`LINE_CHARGE_BYTES`] per line.
    pub charged_bytes: u64,
    /// Lines removed by the byte budget.
    pub evicted_lines: u64,
    /// Text and color bytes removed by the byte budget.
    pub evicted_bytes: u64,
    /// Lines sources reported dropping before they reached the store.
    pub dropped_lines: u64,
    /// Heap the store actually holds (buffers, indexes), for comparison with the budget.
    pub heap_bytes: u64,
}

/// A run of consecutive arrivals from one stream, in the arrival queue.
#[derive(Debug, Clone, Copy)]
struct Run {
    stream: u32,
    count: u32,
}

/// One store for every log source.
///
/// Each stream is a ring; all rings share one byte budget. When the budget is exceeded
/// the globally oldest line goes first, whichever stream holds it. To find it in O(1) the
/// store keeps the arrival order as a run-length encoded queue of stream ids (8 bytes per
/// run; consecutive lines of one stream share a run). A consequence the scans rely on:
/// the retained lines are exactly those with `seq >= first_seq()`.
#[derive(Debug)]
pub struct LogStore {
    budget_bytes: usize,
    streams: Vec<StreamRing>,
    ids: HashMap<StreamKey, StreamId>,
    arrival: VecDeque<Run>,
    next_seq: u64,
    first_seq: u64,
    charged_bytes: usize,
    evicted_lines: u64,
    evicted_bytes: u64,
    dropped_lines: u64,
}

impl Default for LogStore {
    fn default() -> Self {
        LogStore::new(DEFAULT_BUDGET_BYTES)
    }
}

impl LogStore {
    /// An empty store holding at most about `budget_bytes`, counting each line's text
    /// plus [`LINE_CHARGE_BYTES`]. The newest line is always kept, even when alone it exceeds it.
    pub fn new(budget_bytes: usize) -> Self {
        LogStore {
            budget_bytes,
            streams: Vec::new(),
            ids: HashMap::new(),
            arrival: VecDeque::new(),
            next_seq: 0,
            first_seq: 0,
            charged_bytes: 0,
            evicted_lines: 0,
            evicted_bytes: 0,
            dropped_lines: 0,
        }
    }

    /// The byte budget given to [`Self::new`].
    pub fn budget_bytes(&self) -> usize {
        self.budget_bytes
    }

    /// Sanitizes and stores a line, evicting the oldest lines if over budget.
    pub fn ingest(&mut self, line: RawLogLine) -> LineId {
        self.ingest_bytes(&line.stream, line.timestamp, line.stderr, &line.bytes)
    }

    /// [`Self::ingest`] without taking ownership of the line.
    pub fn ingest_bytes(
        &mut self,
        stream: &StreamKey,
        timestamp: Option<Timestamp>,
        stderr: bool,
        bytes: &[u8],
    ) -> LineId {
        let id = self.register(stream);
        self.ingest_to(id, timestamp, stderr, bytes)
    }

    /// Ingest into a stream already registered with [`Self::register`]: saves the key
    /// lookup for sources that deliver many lines of one stream.
    pub fn ingest_to(
        &mut self,
        stream: StreamId,
        timestamp: Option<Timestamp>,
        stderr: bool,
        bytes: &[u8],
    ) -> LineId {
        let seq = self.next_seq;
        let timestamp_nanos = timestamp
            .map(|t| i64::try_from(t.as_nanosecond()).unwrap_or(NO_TIMESTAMP))
            .unwrap_or(NO_TIMESTAMP);
        let bytes = &bytes[..bytes.len().min(MAX_LINE_BYTES)];
        let Some(ring) = self.streams.get_mut(stream.index()) else {
            // Ids only come from `register`, so this is unreachable; drop rather than panic.
            return LineId { seq, stream };
        };
        let len = ring.append(seq, timestamp_nanos, stderr, bytes);
        self.next_seq += 1;
        self.charged_bytes += len + LINE_CHARGE_BYTES;
        match self.arrival.back_mut() {
            Some(run) if run.stream == stream.0 && run.count < u32::MAX => run.count += 1,
            _ => self.arrival.push_back(Run {
                stream: stream.0,
                count: 1,
            }),
        }
        while self.charged_bytes > self.budget_bytes && self.next_seq - self.first_seq > 1 {
            if !self.evict_oldest() {
                break;
            }
        }
        LineId { seq, stream }
    }

    /// Records that a source dropped `lines` lines of `stream` before they reached the
    /// store (a full channel, a reconnect gap), so the view can say so.
    pub fn note_dropped(&mut self, stream: &StreamKey, lines: u64) {
        let id = self.register(stream);
        if let Some(ring) = self.streams.get_mut(id.index()) {
            ring.stats.dropped_lines += lines;
        }
        self.dropped_lines += lines;
    }

    /// The id of `stream`, creating its (empty) ring if it is new.
    pub fn register(&mut self, stream: &StreamKey) -> StreamId {
        if let Some(&id) = self.ids.get(stream) {
            return id;
        }
        // More than 4 billion streams in one session is not a case worth a branch.
        let id = StreamId(u32::try_from(self.streams.len()).unwrap_or(u32::MAX));
        self.streams.push(StreamRing::new(id, stream.clone()));
        self.ids.insert(stream.clone(), id);
        id
    }

    /// The id of `stream`, if the store has heard of it.
    pub fn stream_id(&self, stream: &StreamKey) -> Option<StreamId> {
        self.ids.get(stream).copied()
    }

    /// The key of a stream id.
    pub fn stream_key(&self, id: StreamId) -> Option<&StreamKey> {
        self.streams.get(id.index()).map(StreamRing::key)
    }

    /// The stored line `id`, if it is still retained.
    pub fn line(&self, id: LineId) -> Option<LineRef<'_>> {
        if id.seq < self.first_seq {
            return None;
        }
        self.ring(id.stream)?.line_by_seq(id.seq)
    }

    /// The sequence number the next ingested line will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The sequence number of the oldest retained line ([`Self::next_seq`] when empty).
    /// Every line with a number at or above it is retained.
    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    /// Lines held, across all streams.
    pub fn len(&self) -> u64 {
        self.next_seq - self.first_seq
    }

    /// Whether no line is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Store-wide counters. `heap_bytes` walks every chunk, so call this for display or
    /// measurement, not per line.
    pub fn stats(&self) -> LogStats {
        let mut stats = LogStats {
            streams: self.streams.len(),
            charged_bytes: self.charged_bytes as u64,
            evicted_lines: self.evicted_lines,
            evicted_bytes: self.evicted_bytes,
            dropped_lines: self.dropped_lines,
            ..LogStats::default()
        };
        let mut heap = self.arrival.capacity() * std::mem::size_of::<Run>()
            + self.streams.capacity() * std::mem::size_of::<StreamRing>()
            + self.ids.capacity() * std::mem::size_of::<(StreamKey, StreamId)>();
        for ring in &self.streams {
            stats.retained_lines += ring.stats.retained_lines;
            stats.retained_bytes += ring.stats.retained_bytes;
            heap += ring.heap_bytes();
        }
        stats.heap_bytes = heap as u64;
        stats
    }

    /// Counters of one stream (`None` if the store has not heard of it).
    pub fn stream_stats(&self, stream: &StreamKey) -> Option<StreamStats> {
        self.ring(self.stream_id(stream)?).map(|ring| ring.stats)
    }

    /// Every known stream.
    pub fn streams(&self) -> impl Iterator<Item = (StreamId, &StreamKey)> {
        self.streams.iter().enumerate().map(|(index, ring)| {
            (
                StreamId(u32::try_from(index).unwrap_or(u32::MAX)),
                ring.key(),
            )
        })
    }

    pub(crate) fn ring(&self, id: StreamId) -> Option<&StreamRing> {
        self.streams.get(id.index())
    }

    /// Evicts the globally oldest line; false if nothing could be evicted.
    fn evict_oldest(&mut self) -> bool {
        let Some(run) = self.arrival.front_mut() else {
            return false;
        };
        let stream = run.stream as usize;
        run.count -= 1;
        if run.count == 0 {
            self.arrival.pop_front();
        }
        // The arrival queue counts exactly the lines the rings hold, in order, so the
        // front run's stream holds the oldest line.
        let Some(len) = self
            .streams
            .get_mut(stream)
            .and_then(StreamRing::evict_front)
        else {
            return false;
        };
        self.first_seq += 1;
        self.charged_bytes -= len + LINE_CHARGE_BYTES;
        self.evicted_lines += 1;
        self.evicted_bytes += len as u64;
        true
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
