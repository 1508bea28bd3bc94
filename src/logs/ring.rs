//! One stream's lines: sanitized text packed back to back in chunk buffers, plus a
//! compact per-line index.
//!
//! Why chunks rather than a `String` per line: a `String` costs a heap allocation and
//! 24 bytes of header plus allocator slack per line, and a million 120-byte lines would
//! then take well over 2× their size. Here a line costs its text, a separator byte and
//! one 24-byte [`LineMeta`] (plus its color records, if it has colors). Chunks start
//! small (1 KiB) and double up to [`MAX_CHUNK_BYTES`] (and hold at most 1,024 lines) so
//! a quiet stream holds kilobytes, not a busy stream's chunk size. A chunk is sealed
//! (shrunk to fit) when the next line does not fit, and freed as a whole once its last
//! line is evicted, so the memory not yet returned is at most about one chunk per
//! stream at each end of the ring.
//!
//! Each line's text is followed by a `\n` separator (one byte) so a chunk's lines form
//! one haystack that a regex can search in a single call, as ripgrep searches a buffer
//! rather than line by line; see [`StreamRing::scan_lines`].
//!
//! Lines are addressed by their *line number*: the count of lines appended to this stream
//! before them. Line numbers never shift when older lines are evicted, which is what
//! lets scans and views keep cursors across evictions.

use std::collections::VecDeque;

use super::matcher::LineMatcher;
use super::sanitize::sanitize_into;
use super::store::{LineId, LineRef, StreamId, StreamKey};

/// The largest chunk a stream allocates for ordinary lines; a longer line gets a chunk
/// of its own, sized to fit.
pub(crate) const MAX_CHUNK_BYTES: usize = 64 * 1024;
/// The first chunk of a stream: small, since most streams are quiet.
const FIRST_CHUNK_BYTES: usize = 1024;
/// At most this many lines per chunk, so that with very short lines the index of the
/// chunk being filled (and of the half-evicted oldest one) stays small too.
const MAX_CHUNK_LINES: usize = 1024;

/// Bit in [`LineMeta::flags`]: the line came from stderr.
pub(crate) const FLAG_STDERR: u32 = 1;
/// Bit in [`LineMeta::flags`]: the line has color records.
pub(crate) const FLAG_SGR: u32 = 2;

/// `i64::MIN` nanoseconds stands for "no timestamp" (it would be the year 1677).
pub(crate) const NO_TIMESTAMP: i64 = i64::MIN;

/// The index entry of one line: 24 bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LineMeta {
    /// Global arrival sequence number.
    seq: u64,
    /// Nanoseconds since the Unix epoch, or [`NO_TIMESTAMP`].
    timestamp_nanos: i64,
    /// End offset of the line's text in its chunk. The text starts one byte after the
    /// previous line's end (past its `\n` separator), or at 0.
    end: u32,
    flags: u32,
}

/// Size of one line's index entry.
pub(crate) const LINE_META_BYTES: usize = std::mem::size_of::<LineMeta>();

/// A run of consecutive lines of one stream stored in one buffer.
#[derive(Debug)]
struct Chunk {
    /// Line number of `lines[0]`.
    first_line_no: u64,
    text: Vec<u8>,
    lines: Vec<LineMeta>,
    /// Color records (`sgr` module) of the lines that have any, back to back.
    colors: Vec<u8>,
    /// (index in `lines`, start in `colors`) of each line with colors, in order.
    colored: Vec<(u32, u32)>,
}

/// Bytes a colored line costs in [`Chunk::colored`].
const COLORED_ENTRY_BYTES: usize = std::mem::size_of::<(u32, u32)>();

impl Chunk {
    fn with_capacity(first_line_no: u64, text_capacity: usize) -> Self {
        Chunk {
            first_line_no,
            text: Vec::with_capacity(text_capacity),
            // A guess of ~100 bytes per line; the vector is shrunk when sealed.
            lines: Vec::with_capacity((text_capacity / 100).clamp(4, MAX_CHUNK_LINES)),
            colors: Vec::new(),
            colored: Vec::new(),
        }
    }

    fn end_line_no(&self) -> u64 {
        self.first_line_no + self.lines.len() as u64
    }

    fn first_seq(&self) -> u64 {
        self.lines.first().map_or(u64::MAX, |meta| meta.seq)
    }

    fn text_start(&self, index: usize) -> usize {
        match index.checked_sub(1) {
            Some(previous) => self.lines[previous].end as usize + 1,
            None => 0,
        }
    }

    fn text_range(&self, index: usize) -> std::ops::Range<usize> {
        self.text_start(index)..self.lines[index].end as usize
    }

    /// Where line `index`'s color records are in `colors` (empty if it has none).
    fn colors_range(&self, index: usize) -> std::ops::Range<usize> {
        if self.lines[index].flags & FLAG_SGR == 0 {
            return 0..0;
        }
        let at = self
            .colored
            .partition_point(|&(line, _)| (line as usize) < index);
        let start = self.colored.get(at).map_or(0, |&(_, start)| start as usize);
        let end = self
            .colored
            .get(at + 1)
            .map_or(self.colors.len(), |&(_, start)| start as usize);
        start..end
    }

    /// What line `index` costs beyond its index entry: text and color records.
    fn stored_len(&self, index: usize) -> usize {
        let colors = self.colors_range(index).len();
        let colored = if colors > 0 { COLORED_ENTRY_BYTES } else { 0 };
        self.text_range(index).len() + colors + colored
    }

    fn line(&self, stream: StreamId, index: usize) -> LineRef<'_> {
        let meta = self.lines[index];
        let colors = if meta.flags & FLAG_SGR == 0 {
            &[][..]
        } else {
            &self.colors[self.colors_range(index)]
        };
        LineRef {
            id: LineId {
                seq: meta.seq,
                stream,
            },
            line_no: self.first_line_no + index as u64,
            timestamp_nanos: meta.timestamp_nanos,
            flags: meta.flags,
            text: &self.text[self.text_range(index)],
            colors,
        }
    }

    /// Calls `found` for each of lines `from..to` (indexes in this chunk, non-empty range)
    /// that passes every predicate. The last predicate (the most selective: a search, or
    /// the only one) marks its matches with one search over the block of lines; the
    /// others are checked per line, only for lines that got that far.
    fn scan(
        &self,
        stream: StreamId,
        (from, to): (usize, usize),
        predicates: &[LineMatcher],
        scratch: &mut ScanScratch,
        found: &mut impl FnMut(LineId),
    ) {
        let Some((bulk, others)) = predicates.split_last() else {
            (from..to).for_each(|i| found(self.line(stream, i).id));
            return;
        };
        let block_start = self.text_start(from);
        let block = &self.text[block_start..self.lines[to - 1].end as usize];
        let lines = &self.lines[from..to];
        let marked = bulk.mark_lines(
            block,
            lines.len(),
            |k| lines[k].end as usize - block_start,
            &mut scratch.marks,
        );
        for k in 0..lines.len() {
            let line = self.line(stream, from + k);
            let raw = if marked {
                scratch.marks[k]
            } else {
                bulk.raw_match(line.text)
            };
            if raw != bulk.inverted() && others.iter().all(|p| p.matches(&line)) {
                found(line.id);
            }
        }
    }

    fn seal(&mut self) {
        self.text.shrink_to_fit();
        self.lines.shrink_to_fit();
        self.colors.shrink_to_fit();
        self.colored.shrink_to_fit();
    }

    fn heap_bytes(&self) -> usize {
        self.text.capacity()
            + self.lines.capacity() * LINE_META_BYTES
            + self.colors.capacity()
            + self.colored.capacity() * COLORED_ENTRY_BYTES
    }
}

/// Counters of one stream, as shown in a log pane's footer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Lines currently held.
    pub retained_lines: u64,
    /// Sanitized text (and color record) bytes currently held.
    pub retained_bytes: u64,
    /// Lines removed by the byte budget.
    pub evicted_lines: u64,
    /// Sanitized text (and color record) bytes removed by the byte budget.
    pub evicted_bytes: u64,
    /// Lines the source reported it dropped before they reached the store.
    pub dropped_lines: u64,
}

/// The lines of one stream, oldest first.
#[derive(Debug)]
pub(crate) struct StreamRing {
    id: StreamId,
    key: StreamKey,
    chunks: VecDeque<Chunk>,
    /// Line number of the oldest retained line.
    head: u64,
    /// Line number the next appended line gets.
    next: u64,
    next_chunk_bytes: usize,
    pub(crate) stats: StreamStats,
}

impl StreamRing {
    pub(crate) fn new(id: StreamId, key: StreamKey) -> Self {
        StreamRing {
            id,
            key,
            chunks: VecDeque::new(),
            head: 0,
            next: 0,
            next_chunk_bytes: FIRST_CHUNK_BYTES,
            stats: StreamStats::default(),
        }
    }

    pub(crate) fn key(&self) -> &StreamKey {
        &self.key
    }

    /// Line number of the oldest retained line.
    pub(crate) fn head(&self) -> u64 {
        self.head
    }

    /// One past the newest line's number.
    pub(crate) fn end(&self) -> u64 {
        self.next
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.head == self.next
    }

    /// Sanitizes `raw` and appends it; returns what it stores beyond its index entry
    /// (text and color records).
    pub(crate) fn append(
        &mut self,
        seq: u64,
        timestamp_nanos: i64,
        stderr: bool,
        raw: &[u8],
    ) -> usize {
        let chunk = self.chunk_for(raw.len() + 1);
        let start = chunk.text.len();
        let colors_start = chunk.colors.len();
        let sanitized = sanitize_into(raw, &mut chunk.text, &mut chunk.colors);
        let end = chunk.text.len();
        chunk.text.push(b'\n');
        let mut flags = if stderr { FLAG_STDERR } else { 0 };
        let mut len = end - start;
        if sanitized.has_sgr {
            flags |= FLAG_SGR;
            // Both fit in u32: a chunk holds at most 1,024 lines, and its color records
            // are under 2× the raw bytes of its lines (the shortest SGR, `ESC [ m`, is 3
            // bytes and becomes a 5-byte record), which `chunk_for` bounds by its capacity.
            let index = u32::try_from(chunk.lines.len()).unwrap_or(u32::MAX);
            let colors_at = u32::try_from(colors_start).unwrap_or(u32::MAX);
            chunk.colored.push((index, colors_at));
            len += chunk.colors.len() - colors_start + COLORED_ENTRY_BYTES;
        }
        chunk.lines.push(LineMeta {
            seq,
            timestamp_nanos,
            // A chunk's text stays within its capacity, at most 64 MiB + 1
            // (store::MAX_LINE_BYTES), except when invalid UTF-8 grows by U+FFFD
            // replacement (at most 3×): far below 4 GiB, so the offset fits in a u32.
            end: u32::try_from(end).unwrap_or(u32::MAX),
            flags,
        });
        self.next += 1;
        self.stats.retained_lines += 1;
        self.stats.retained_bytes += len as u64;
        len
    }

    /// The chunk the next line of (raw) length `len` goes into, starting a new one when
    /// the current one has no room. Sanitizing never lengthens plain text, so `len` is
    /// the room needed except for invalid UTF-8 (which may grow by a little; the vector
    /// then grows, rarely).
    fn chunk_for(&mut self, len: usize) -> &mut Chunk {
        let has_room = self.chunks.back().is_some_and(|c| {
            c.text.capacity() - c.text.len() >= len && c.lines.len() < MAX_CHUNK_LINES
        });
        if !has_room {
            if let Some(last) = self.chunks.back_mut() {
                last.seal();
            }
            let capacity = if len > MAX_CHUNK_BYTES {
                len
            } else {
                let capacity = self.next_chunk_bytes.max(len);
                self.next_chunk_bytes = (self.next_chunk_bytes * 2).min(MAX_CHUNK_BYTES);
                capacity
            };
            self.chunks
                .push_back(Chunk::with_capacity(self.next, capacity));
        }
        let index = self.chunks.len() - 1;
        &mut self.chunks[index]
    }

    /// Removes the oldest line; returns what it stored (as [`Self::append`] counts), or
    /// `None` when empty.
    pub(crate) fn evict_front(&mut self) -> Option<usize> {
        if self.is_empty() {
            return None;
        }
        let chunk = self.chunks.front()?;
        let index = (self.head - chunk.first_line_no) as usize;
        let len = chunk.stored_len(index);
        self.head += 1;
        if self.head >= chunk.end_line_no() {
            self.chunks.pop_front();
        }
        self.stats.retained_lines -= 1;
        self.stats.retained_bytes -= len as u64;
        self.stats.evicted_lines += 1;
        self.stats.evicted_bytes += len as u64;
        Some(len)
    }

    /// Index of the chunk holding line `line_no` (which must be retained).
    fn chunk_index(&self, line_no: u64) -> usize {
        // Most lookups are near the tail.
        if let Some(last) = self.chunks.back()
            && line_no >= last.first_line_no
        {
            return self.chunks.len() - 1;
        }
        self.chunks.partition_point(|c| c.end_line_no() <= line_no)
    }

    /// The line with number `line_no`, if it is retained.
    pub(crate) fn line(&self, line_no: u64) -> Option<LineRef<'_>> {
        if line_no < self.head || line_no >= self.next {
            return None;
        }
        let chunk = self.chunks.get(self.chunk_index(line_no))?;
        Some(chunk.line(self.id, (line_no - chunk.first_line_no) as usize))
    }

    /// Number of the first retained line whose sequence number is `>= seq`
    /// ([`Self::end`] when there is none).
    pub(crate) fn first_at_or_after(&self, seq: u64) -> u64 {
        let chunk_index = self.chunks.partition_point(|c| c.first_seq() < seq);
        // The line may sit at the end of the previous chunk.
        let Some(previous) = chunk_index.checked_sub(1).and_then(|i| self.chunks.get(i)) else {
            return self.head;
        };
        let within = previous.lines.partition_point(|meta| meta.seq < seq);
        (previous.first_line_no + within as u64).max(self.head)
    }

    /// The line with sequence number `seq`, if this stream holds it.
    pub(crate) fn line_by_seq(&self, seq: u64) -> Option<LineRef<'_>> {
        let line = self.line(self.first_at_or_after(seq))?;
        (line.id.seq == seq).then_some(line)
    }

    /// Calls `found` with the id of each of lines `from..to` (clamped to what is
    /// retained) that passes every predicate, oldest first.
    pub(crate) fn scan_lines(
        &self,
        from: u64,
        to: u64,
        predicates: &[LineMatcher],
        scratch: &mut ScanScratch,
        mut found: impl FnMut(LineId),
    ) {
        let mut line_no = from.max(self.head);
        let to = to.min(self.next);
        if line_no >= to {
            return;
        }
        let mut chunk_index = self.chunk_index(line_no);
        while line_no < to {
            let Some(chunk) = self.chunks.get(chunk_index) else {
                break;
            };
            let first = (line_no - chunk.first_line_no) as usize;
            let last = ((to - chunk.first_line_no) as usize).min(chunk.lines.len());
            chunk.scan(self.id, (first, last), predicates, scratch, &mut found);
            line_no = chunk.first_line_no + last as u64;
            chunk_index += 1;
        }
    }

    /// Bytes this ring holds on the heap (chunk buffers and indexes).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.chunks.iter().map(Chunk::heap_bytes).sum::<usize>()
            + self.chunks.capacity() * std::mem::size_of::<Chunk>()
    }
}

/// A buffer a scan reuses from block to block.
#[derive(Debug, Clone, Default)]
pub(crate) struct ScanScratch {
    /// Per line of a block: whether the block search matched it.
    marks: Vec<bool>,
}
