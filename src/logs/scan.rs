//! Incremental matching of a pane's lines against predicates (filter, search).
//!
//! A scan must never hold up a keystroke, so it advances in bounded steps
//! ([`MatchScan::step`]) that the event loop interleaves with input and drawing. It
//! works in windows of sequence numbers, which keeps the result sorted in arrival order
//! across several streams at the cost of one sort per window:
//!
//! - **Forward** over lines that arrived after the scan began, oldest first. It runs
//!   first in every step so a followed tail stays current.
//! - **Backward** over the lines that were already stored, newest first, so the first
//!   screenful of matches (logs are read from the tail) is ready after the first step
//!   rather than at the end of the pass.
//!
//! Evicted lines drop out cheaply: the store evicts strictly oldest first, so a match is
//! gone exactly when its number is below `store.first_seq()`.

use std::collections::VecDeque;

use super::matcher::LineMatcher;
use super::ring::ScanScratch;
use super::store::{LineId, LogStore, StreamId, StreamKey};

/// How far a scan has got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanProgress {
    /// Lines examined since the scan began.
    pub examined: u64,
    /// Retained lines still to examine.
    pub remaining: u64,
    /// Retained lines that match so far.
    pub matches: usize,
    /// Every retained line has been examined.
    pub done: bool,
}

impl ScanProgress {
    /// Share of the work done, 0–100.
    pub fn percent(&self) -> u8 {
        if self.done || self.examined + self.remaining == 0 {
            return 100;
        }
        // Below 100 until done, so "filtering 100%" never shows while work remains.
        let percent = self.examined * 100 / (self.examined + self.remaining);
        u8::try_from(percent.min(99)).unwrap_or(99)
    }
}

/// Per-stream position of a scan.
#[derive(Debug, Clone)]
struct ScanCursor {
    key: StreamKey,
    /// `None` until the store has heard of the stream.
    id: Option<StreamId>,
    /// Backward region: lines numbered below this are still to examine.
    back: u64,
    /// Forward region: the next line number to examine.
    forward: u64,
}

/// The lines of some streams that pass every predicate, found incrementally.
#[derive(Debug, Clone)]
pub struct MatchScan {
    predicates: Vec<LineMatcher>,
    cursors: Vec<ScanCursor>,
    started: bool,
    /// `store.next_seq()` when the scan began: the boundary between the two regions.
    start_seq: u64,
    /// Backward region: every line numbered at or above this has been examined.
    back_frontier: u64,
    /// Forward region: every line numbered below this has been examined.
    forward_frontier: u64,
    /// Sorted by sequence number.
    matches: VecDeque<LineId>,
    examined: u64,
    /// As of the last step: nothing was left to examine.
    caught_up: bool,
    scratch: ScanScratch,
    window: Vec<LineId>,
}

impl MatchScan {
    /// A scan of `streams` keeping lines that pass all `predicates`. Nothing is examined
    /// until the first [`Self::step`].
    pub fn new(streams: &[StreamKey], predicates: Vec<LineMatcher>) -> Self {
        MatchScan {
            predicates,
            cursors: streams
                .iter()
                .map(|key| ScanCursor {
                    key: key.clone(),
                    id: None,
                    back: 0,
                    forward: 0,
                })
                .collect(),
            started: false,
            start_seq: 0,
            back_frontier: 0,
            forward_frontier: 0,
            matches: VecDeque::new(),
            examined: 0,
            caught_up: false,
            scratch: ScanScratch::default(),
            window: Vec::new(),
        }
    }

    /// The predicates every match passes.
    pub fn predicates(&self) -> &[LineMatcher] {
        &self.predicates
    }

    /// Whether the last step left work to do (or no step ran yet). Lines ingested since
    /// the last step are not counted: the caller knows when it ingests.
    pub fn has_pending(&self) -> bool {
        !self.caught_up
    }

    /// The matches found so far, oldest first. May still hold lines evicted since the last
    /// step; skip those below `store.first_seq()`.
    pub fn matches(&self) -> &VecDeque<LineId> {
        &self.matches
    }

    /// Whether every retained line older than the scan's start has been examined.
    pub fn backward_done(&self, store: &LogStore) -> bool {
        self.started && self.back_frontier <= store.first_seq()
    }

    /// Whether every line that arrived since the scan began has been examined.
    pub fn forward_done(&self, store: &LogStore) -> bool {
        self.started && self.forward_frontier >= store.next_seq()
    }

    /// Examines up to about `max_lines` lines (at least one window), newest arrivals first,
    /// then backward from the newest already-stored line.
    pub fn step(&mut self, store: &LogStore, max_lines: usize) -> ScanProgress {
        if !self.started {
            self.started = true;
            self.start_seq = store.next_seq();
            self.back_frontier = self.start_seq;
            self.forward_frontier = self.start_seq;
        }
        self.resolve_streams(store);
        let first_retained = self.matches.partition_point(|m| m.seq < store.first_seq());
        self.matches.drain(..first_retained);

        let budget = max_lines.max(1) as u64;
        let mut examined = 0;
        while examined < budget {
            let Some(low) = self.next_forward_seq(store) else {
                self.forward_frontier = store.next_seq();
                break;
            };
            let high = (low + budget).min(store.next_seq());
            examined += self.scan_forward(store, high);
            self.forward_frontier = high;
        }
        while examined < budget {
            let Some(top) = self.next_backward_seq(store) else {
                self.back_frontier = store.first_seq().min(self.back_frontier);
                break;
            };
            let low = (top + 1).saturating_sub(budget).max(store.first_seq());
            examined += self.scan_backward(store, low);
            self.back_frontier = low;
        }
        self.examined += examined;
        self.caught_up = self.backward_done(store) && self.forward_done(store);
        self.progress(store)
    }

    /// Progress as of now.
    pub fn progress(&self, store: &LogStore) -> ScanProgress {
        let mut remaining = 0;
        for cursor in &self.cursors {
            let Some(ring) = cursor.id.and_then(|id| store.ring(id)) else {
                continue;
            };
            remaining += cursor.back.saturating_sub(ring.head());
            remaining += ring.end().saturating_sub(cursor.forward.max(ring.head()));
        }
        if !self.started {
            remaining = self
                .cursors
                .iter()
                .filter_map(|c| store.stream_stats(&c.key))
                .map(|s| s.retained_lines)
                .sum();
        }
        let first_retained = self.matches.partition_point(|m| m.seq < store.first_seq());
        ScanProgress {
            examined: self.examined,
            remaining,
            matches: self.matches.len() - first_retained,
            done: self.started && remaining == 0,
        }
    }

    /// Looks up streams the store had not heard of at the last step. A stream that
    /// appears after the scan began has all its lines in the forward region.
    fn resolve_streams(&mut self, store: &LogStore) {
        for cursor in self.cursors.iter_mut().filter(|c| c.id.is_none()) {
            let Some(id) = store.stream_id(&cursor.key) else {
                continue;
            };
            cursor.id = Some(id);
            if let Some(ring) = store.ring(id) {
                let boundary = ring.first_at_or_after(self.start_seq);
                cursor.back = boundary;
                cursor.forward = boundary;
            }
        }
    }

    /// The lowest sequence number still to examine in the forward region.
    fn next_forward_seq(&self, store: &LogStore) -> Option<u64> {
        self.cursors
            .iter()
            .filter_map(|cursor| {
                let ring = store.ring(cursor.id?)?;
                ring.line(cursor.forward.max(ring.head())).map(|l| l.id.seq)
            })
            .min()
    }

    /// The highest sequence number still to examine in the backward region.
    fn next_backward_seq(&self, store: &LogStore) -> Option<u64> {
        self.cursors
            .iter()
            .filter_map(|cursor| {
                let ring = store.ring(cursor.id?)?;
                let last = cursor.back.checked_sub(1)?;
                ring.line(last).map(|l| l.id.seq)
            })
            .max()
    }

    /// Examines forward-region lines numbered below `high`; returns how many.
    fn scan_forward(&mut self, store: &LogStore, high: u64) -> u64 {
        let MatchScan {
            predicates,
            cursors,
            scratch,
            window,
            matches,
            ..
        } = self;
        window.clear();
        let mut examined = 0;
        for cursor in cursors.iter_mut() {
            let Some(ring) = cursor.id.and_then(|id| store.ring(id)) else {
                continue;
            };
            let from = cursor.forward.max(ring.head());
            let to = ring.first_at_or_after(high).max(from);
            ring.scan_lines(from, to, predicates, scratch, |id| window.push(id));
            examined += to - from;
            cursor.forward = to;
        }
        window.sort_unstable();
        matches.extend(window.iter().copied());
        examined
    }

    /// Examines backward-region lines numbered at or above `low`; returns how many.
    fn scan_backward(&mut self, store: &LogStore, low: u64) -> u64 {
        let MatchScan {
            predicates,
            cursors,
            scratch,
            window,
            matches,
            ..
        } = self;
        window.clear();
        let mut examined = 0;
        for cursor in cursors.iter_mut() {
            let Some(ring) = cursor.id.and_then(|id| store.ring(id)) else {
                continue;
            };
            let to = cursor.back.max(ring.head());
            let from = ring.first_at_or_after(low).min(to);
            ring.scan_lines(from, to, predicates, scratch, |id| window.push(id));
            examined += to - from;
            cursor.back = from;
        }
        window.sort_unstable();
        for id in window.iter().rev() {
            matches.push_front(*id);
        }
        examined
    }
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
