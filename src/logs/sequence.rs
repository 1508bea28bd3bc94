//! The lines a pane shows, in arrival order, and moving about in them.
//!
//! Either every line of the pane's streams (merged by sequence number, without copying
//! anything: a k-way walk over the rings), or the matches of a filter. Positions are
//! sequence numbers, so they survive eviction and arrivals.

use std::collections::VecDeque;

use super::ring::StreamRing;
use super::store::{LineId, LogStore, StreamKey};

/// Which lines a pane shows.
pub(crate) enum PaneLines<'a> {
    /// Every retained line of these streams.
    All(Vec<&'a StreamRing>),
    /// These lines (a filter's matches, sorted), minus the ones evicted since.
    Matches(&'a VecDeque<LineId>, u64),
}

/// Lines to draw, and which edge of the viewport they hug.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VisibleLines {
    /// Oldest first.
    pub lines: Vec<LineId>,
    /// The first line is the very first of the pane's lines, so the view should fill from
    /// the top (rather than from the bottom, as when following).
    pub from_top: bool,
}

impl<'a> PaneLines<'a> {
    /// Every line of `streams`.
    pub(crate) fn all(store: &'a LogStore, streams: &[StreamKey]) -> Self {
        PaneLines::All(
            streams
                .iter()
                .filter_map(|key| store.ring(store.stream_id(key)?))
                .collect(),
        )
    }

    /// The retained lines among `matches`.
    pub(crate) fn matches(store: &LogStore, matches: &'a VecDeque<LineId>) -> Self {
        PaneLines::Matches(matches, store.first_seq())
    }

    /// Up to `n` lines numbered at or below `seq`, oldest first.
    pub(crate) fn at_or_before(&self, seq: u64, n: usize) -> Vec<LineId> {
        let mut out = Vec::with_capacity(n.min(1024));
        match self {
            PaneLines::Matches(matches, first_seq) => {
                let start = matches.partition_point(|m| m.seq < *first_seq);
                let end = matches.partition_point(|m| m.seq <= seq).max(start);
                let from = end.saturating_sub(n).max(start);
                out.extend(matches.range(from..end).copied());
            }
            PaneLines::All(rings) => {
                let mut cursors: Vec<u64> = rings
                    .iter()
                    .map(|ring| ring.first_at_or_after(seq.saturating_add(1)))
                    .collect();
                while out.len() < n {
                    // The newest line not yet taken, across streams.
                    let newest = rings
                        .iter()
                        .zip(&cursors)
                        .enumerate()
                        .filter_map(|(i, (ring, &cursor))| {
                            Some((ring.line(cursor.checked_sub(1)?)?.id, i))
                        })
                        .max();
                    let Some((id, i)) = newest else { break };
                    cursors[i] -= 1;
                    out.push(id);
                }
                out.reverse();
            }
        }
        out
    }

    /// Up to `n` lines numbered above `seq`, oldest first.
    pub(crate) fn after(&self, seq: u64, n: usize) -> Vec<LineId> {
        let mut out = Vec::with_capacity(n.min(1024));
        match self {
            PaneLines::Matches(matches, first_seq) => {
                let start = matches
                    .partition_point(|m| m.seq <= seq)
                    .max(matches.partition_point(|m| m.seq < *first_seq));
                let end = matches.len().min(start.saturating_add(n));
                out.extend(matches.range(start..end).copied());
            }
            PaneLines::All(rings) => {
                let mut cursors: Vec<u64> = rings
                    .iter()
                    .map(|ring| ring.first_at_or_after(seq.saturating_add(1)))
                    .collect();
                while out.len() < n {
                    let oldest = rings
                        .iter()
                        .zip(&cursors)
                        .enumerate()
                        .filter_map(|(i, (ring, &cursor))| Some((ring.line(cursor)?.id, i)))
                        .min();
                    let Some((id, i)) = oldest else { break };
                    cursors[i] += 1;
                    out.push(id);
                }
            }
        }
        out
    }

    /// The newest line.
    pub(crate) fn last(&self) -> Option<LineId> {
        self.at_or_before(u64::MAX, 1).pop()
    }

    /// The oldest line.
    pub(crate) fn first(&self) -> Option<LineId> {
        match self {
            PaneLines::Matches(matches, first_seq) => {
                let start = matches.partition_point(|m| m.seq < *first_seq);
                matches.get(start).copied()
            }
            PaneLines::All(rings) => rings
                .iter()
                .filter_map(|ring| ring.line(ring.head()).map(|l| l.id))
                .min(),
        }
    }

    /// The line `delta` lines away from the last line at or before `seq` (or from the
    /// first line, if none is), clamped to the ends.
    pub(crate) fn offset(&self, seq: u64, delta: i64) -> Option<LineId> {
        let from = self.at_or_before(seq, 1).pop().or_else(|| self.first())?;
        let distance = usize::try_from(delta.unsigned_abs()).unwrap_or(usize::MAX);
        if delta < 0 {
            self.at_or_before(from.seq, distance.saturating_add(1))
                .first()
                .copied()
        } else if delta > 0 {
            Some(self.after(from.seq, distance).pop().unwrap_or(from))
        } else {
            Some(from)
        }
    }

    /// The bottom anchor for a viewport of `height` lines whose first line is the
    /// first line of the pane: scrolling further up would show nothing new.
    pub(crate) fn highest_top_anchor(&self, height: usize) -> Option<u64> {
        let first = self.first()?;
        let extra = height.saturating_sub(1);
        Some(self.after(first.seq, extra).pop().unwrap_or(first).seq)
    }

    /// The lines of a viewport of `height` lines whose bottom line is the last line at or
    /// before `anchor` (`None`: the newest line). When fewer lines precede it, the
    /// viewport starts at the first line instead.
    pub(crate) fn window(&self, anchor: Option<u64>, height: usize) -> VisibleLines {
        let mut lines = self.at_or_before(anchor.unwrap_or(u64::MAX), height);
        if lines.len() < height {
            let after = lines.last().map_or(0, |l| l.seq);
            let fill = height - lines.len();
            if lines.is_empty() {
                lines = self.first().into_iter().collect();
                let first = lines.first().map_or(0, |l| l.seq);
                lines.extend(self.after(first, fill.saturating_sub(1)));
            } else {
                lines.extend(self.after(after, fill));
            }
            return VisibleLines {
                lines,
                from_top: true,
            };
        }
        VisibleLines {
            lines,
            from_top: false,
        }
    }
}
