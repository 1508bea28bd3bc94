//! The state of one log pane: which streams, where it is scrolled, and its filter and
//! search. Pure data over a [`LogStore`]; the view (`ui::logs_view`) draws it.

use super::matcher::LineMatcher;
use super::scan::{MatchScan, ScanProgress};
use super::sequence::{PaneLines, VisibleLines};
use super::store::{LineId, LogStore, StreamKey};

/// A regex filter on a pane.
#[derive(Debug, Clone)]
struct Filter {
    pattern: String,
    invert: bool,
    /// The scan, or the regex error text (then nothing is filtered).
    scan: Result<MatchScan, String>,
}

/// A plain-text search in a pane.
#[derive(Debug, Clone)]
struct Search {
    text: String,
    matcher: Result<LineMatcher, String>,
    /// Searches the lines the pane shows (so it includes the filter's predicate).
    scan: Option<MatchScan>,
    current: Option<LineId>,
    /// A jump asked for before the scan had found its target: (direction, viewport height).
    pending_jump: Option<(Direction, usize)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Older,
    Newer,
}

/// What the title line says about the filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterStatus<'a> {
    /// The regex as typed.
    pub pattern: &'a str,
    /// Whether lines that do *not* match are shown.
    pub invert: bool,
    /// The regex error text, when the pattern does not compile (nothing is filtered).
    pub error: Option<&'a str>,
    /// `None` when there is an error.
    pub progress: Option<ScanProgress>,
}

/// What the title line says about the search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchStatus<'a> {
    /// The text searched for, as typed.
    pub text: &'a str,
    /// Why the search cannot run (only for absurdly long text).
    pub error: Option<&'a str>,
    /// 1-based position of the current match among the matches found so far.
    pub current: Option<usize>,
    /// Matches found so far.
    pub total: usize,
    /// Whether every line has been searched (else `total` may grow).
    pub done: bool,
}

/// One log pane: the streams it shows and how.
///
/// Scrolling is anchored by sequence number: while paused, the bottom line of the view
/// is the last shown line at or before `anchor`. Lines arriving below do not move it;
/// lines evicted above do not move it either, until the anchor itself is evicted, when
/// the view holds at the oldest line.
#[derive(Debug, Clone)]
pub struct LogPane {
    title: String,
    streams: Vec<StreamKey>,
    /// `None` while following the tail.
    anchor: Option<u64>,
    wrap: bool,
    timestamps: bool,
    filter: Option<Filter>,
    search: Option<Search>,
}

impl LogPane {
    /// A pane following the tail of `streams`, merged in arrival order.
    pub fn new(title: impl Into<String>, streams: Vec<StreamKey>) -> Self {
        LogPane {
            title: title.into(),
            streams,
            anchor: None,
            wrap: false,
            timestamps: false,
            filter: None,
            search: None,
        }
    }

    /// What the title line calls the pane (a pod, a workload, a compose project).
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The streams shown, in the order their labels and colors are assigned.
    pub fn streams(&self) -> &[StreamKey] {
        &self.streams
    }

    /// Changes the streams shown (a workload gained or lost a pod). The scroll position
    /// holds; filter and search start over.
    pub fn set_streams(&mut self, streams: Vec<StreamKey>) {
        self.streams = streams;
        if let Some(filter) = &mut self.filter
            && let Ok(scan) = &mut filter.scan
        {
            *scan = MatchScan::new(&self.streams, scan.predicates().to_vec());
        }
        self.restart_search();
    }

    /// Whether the view sticks to the newest line.
    pub fn is_following(&self) -> bool {
        self.anchor.is_none()
    }

    /// Whether long lines wrap (else they are cut at the pane's edge).
    pub fn wrap(&self) -> bool {
        self.wrap
    }

    /// Turns wrapping on or off.
    pub fn set_wrap(&mut self, wrap: bool) {
        self.wrap = wrap;
    }

    /// Flips wrapping.
    pub fn toggle_wrap(&mut self) {
        self.wrap = !self.wrap;
    }

    /// Whether lines are prefixed with their timestamps.
    pub fn timestamps(&self) -> bool {
        self.timestamps
    }

    /// Shows or hides timestamps.
    pub fn set_timestamps(&mut self, timestamps: bool) {
        self.timestamps = timestamps;
    }

    /// Flips timestamps.
    pub fn toggle_timestamps(&mut self) {
        self.timestamps = !self.timestamps;
    }

    // ---- filter and search -------------------------------------------------------

    /// Shows only lines matching the regex `pattern` (or not matching, with `invert`),
    /// smart case. An empty pattern clears the filter. An invalid regex keeps its error
    /// for the title line and filters nothing. The work happens in [`Self::do_work`].
    pub fn set_filter(&mut self, pattern: &str, invert: bool) {
        if pattern.is_empty() {
            self.clear_filter();
            return;
        }
        let scan = LineMatcher::regex(pattern, invert)
            .map(|matcher| MatchScan::new(&self.streams, vec![matcher]));
        self.filter = Some(Filter {
            pattern: pattern.to_owned(),
            invert,
            scan,
        });
        self.restart_search();
    }

    /// Shows every line again.
    pub fn clear_filter(&mut self) {
        self.filter = None;
        self.restart_search();
    }

    /// The filter, for the title line.
    pub fn filter_status(&self, store: &LogStore) -> Option<FilterStatus<'_>> {
        let filter = self.filter.as_ref()?;
        Some(FilterStatus {
            pattern: &filter.pattern,
            invert: filter.invert,
            error: filter.scan.as_ref().err().map(String::as_str),
            progress: filter.scan.as_ref().ok().map(|scan| scan.progress(store)),
        })
    }

    /// Searches for plain `text` (smart case) among the lines shown. Empty text clears
    /// the search. Call [`Self::search_older`] or [`Self::search_newer`] to jump.
    pub fn set_search(&mut self, text: &str) {
        if text.is_empty() {
            self.search = None;
            return;
        }
        self.search = Some(Search {
            text: text.to_owned(),
            matcher: LineMatcher::text(text),
            scan: None,
            current: None,
            pending_jump: None,
        });
        self.restart_search();
    }

    /// Ends the search (and its highlighting).
    pub fn clear_search(&mut self) {
        self.search = None;
    }

    /// The search, for the title line.
    pub fn search_status(&self, store: &LogStore) -> Option<SearchStatus<'_>> {
        let search = self.search.as_ref()?;
        let (total, done, current) = match &search.scan {
            Some(scan) => {
                let progress = scan.progress(store);
                let matches = scan.matches();
                let first = matches.partition_point(|m| m.seq < store.first_seq());
                let current = search.current.and_then(|current| {
                    let at = matches.partition_point(|m| *m < current);
                    (matches.get(at) == Some(&current)).then(|| at - first + 1)
                });
                (progress.matches, progress.done, current)
            }
            None => (0, true, None),
        };
        Some(SearchStatus {
            text: &search.text,
            error: search.matcher.as_ref().err().map(String::as_str),
            current,
            total,
            done,
        })
    }

    /// The search's matcher, for highlighting matches in the visible lines.
    pub fn search_matcher(&self) -> Option<&LineMatcher> {
        self.search.as_ref()?.matcher.as_ref().ok()
    }

    /// The line holding the current search match.
    pub fn current_match(&self) -> Option<LineId> {
        self.search.as_ref()?.current
    }

    /// Moves to the next older search match (up) and scrolls it into a viewport of
    /// `height` lines. If the scan has not reached one yet, the jump happens when it does.
    pub fn search_older(&mut self, store: &LogStore, height: usize) {
        self.jump(store, Direction::Older, height);
    }

    /// Moves to the next newer search match (down); see [`Self::search_older`].
    pub fn search_newer(&mut self, store: &LogStore, height: usize) {
        self.jump(store, Direction::Newer, height);
    }

    fn restart_search(&mut self) {
        let filter = match &self.filter {
            Some(Filter { scan: Ok(scan), .. }) => scan.predicates().first().cloned(),
            _ => None,
        };
        if let Some(search) = &mut self.search {
            search.scan = search.matcher.as_ref().ok().map(|matcher| {
                let predicates = filter.iter().cloned().chain([matcher.clone()]).collect();
                MatchScan::new(&self.streams, predicates)
            });
        }
    }

    fn jump(&mut self, store: &LogStore, direction: Direction, height: usize) {
        let bottom = self
            .visible_lines(store, height)
            .lines
            .last()
            .map(|l| l.seq);
        let Some(search) = &mut self.search else {
            return;
        };
        search.pending_jump = None;
        let Some(scan) = &search.scan else { return };
        let matches = scan.matches();
        let first = matches.partition_point(|m| m.seq < store.first_seq());
        let current = search.current.filter(|c| c.seq >= store.first_seq());
        let target = match (direction, current) {
            (Direction::Older, Some(current)) => {
                let at = matches.partition_point(|m| *m < current);
                at.checked_sub(1).filter(|&i| i >= first)
            }
            (Direction::Older, None) => {
                let at = matches.partition_point(|m| Some(m.seq) <= bottom);
                at.checked_sub(1).filter(|&i| i >= first)
            }
            (Direction::Newer, Some(current)) => {
                Some(matches.partition_point(|m| *m <= current)).filter(|&i| i < matches.len())
            }
            (Direction::Newer, None) => Some(matches.partition_point(|m| Some(m.seq) <= bottom))
                .filter(|&i| i < matches.len()),
        };
        let Some(target) = target.and_then(|i| matches.get(i).copied()) else {
            let may_appear = match direction {
                Direction::Older => !scan.backward_done(store),
                Direction::Newer => !scan.forward_done(store),
            };
            if may_appear {
                search.pending_jump = Some((direction, height));
            }
            return;
        };
        search.current = Some(target);
        self.scroll_into_view(store, target, height);
    }

    /// Scrolls so `target` is visible, centring it unless it already is.
    fn scroll_into_view(&mut self, store: &LogStore, target: LineId, height: usize) {
        if self.visible_lines(store, height).lines.contains(&target) {
            return;
        }
        let lines = self.lines(store);
        let half = i64::try_from(height / 2).unwrap_or(0);
        self.anchor = lines.offset(target.seq, half).map(|l| l.seq);
    }

    // ---- incremental work --------------------------------------------------------

    /// Write every retained line of the pane's streams to `out`, oldest first, as
    /// `label timestamp text` (the label only when the pane merges several streams).
    /// Returns the number of lines written.
    pub fn save(&self, store: &LogStore, out: &mut dyn std::io::Write) -> std::io::Result<u64> {
        let labels = super::display::stream_labels(&self.streams, 40);
        let label_of: std::collections::HashMap<_, _> = self
            .streams
            .iter()
            .zip(&labels)
            .filter_map(|(key, label)| Some((store.stream_id(key)?, label.as_str())))
            .collect();
        let lines = PaneLines::all(store, &self.streams);
        let mut written = 0;
        let mut batch: Vec<LineId> = lines.first().into_iter().collect();
        while let Some(last) = batch.last().copied() {
            for id in &batch {
                let Some(line) = store.line(*id) else {
                    continue;
                };
                if self.streams.len() > 1
                    && let Some(label) = label_of.get(&id.stream)
                {
                    write!(out, "{label} ")?;
                }
                if let Some(t) = line.timestamp() {
                    write!(out, "{t} ")?;
                }
                // The text without its colors: a saved file is for grep, not a terminal.
                writeln!(out, "{}", line.text_str())?;
                written += 1;
            }
            batch = lines.after(last.seq, 4096);
        }
        Ok(written)
    }

    /// Whether filtering or searching has work left as of the last [`Self::do_work`]
    /// (or has not started). Lines ingested since are not counted: after ingesting,
    /// call `do_work` once regardless, so new lines are filtered as they arrive.
    pub fn pending_work(&self) -> bool {
        let filter =
            matches!(&self.filter, Some(Filter { scan: Ok(scan), .. }) if scan.has_pending());
        let search = self.search.as_ref().is_some_and(|search| {
            search.pending_jump.is_some()
                || search.scan.as_ref().is_some_and(MatchScan::has_pending)
        });
        filter || search
    }

    /// Advances filtering and searching by about `budget_lines` lines in all. Returns
    /// whether the pane may look different (something was examined).
    pub fn do_work(&mut self, store: &LogStore, budget_lines: usize) -> bool {
        let filtering = matches!(&self.filter, Some(Filter { scan: Ok(_), .. }));
        let searching = self.search.as_ref().is_some_and(|s| s.scan.is_some());
        // Both get a share so search results show while a long filter pass runs.
        let share = if filtering && searching {
            budget_lines / 2
        } else {
            budget_lines
        }
        .max(1);
        let mut changed = false;
        if let Some(Filter { scan: Ok(scan), .. }) = &mut self.filter {
            changed |= step_changed(scan, store, share);
        }
        if let Some(scan) = self.search.as_mut().and_then(|s| s.scan.as_mut()) {
            changed |= step_changed(scan, store, share);
        }
        if let Some((direction, height)) = self.search.as_mut().and_then(|s| s.pending_jump.take())
        {
            self.jump(store, direction, height);
        }
        changed
    }

    // ---- scrolling ---------------------------------------------------------------

    /// The lines to draw in a viewport of `height` rows (one row per line; with wrap on
    /// the view draws as many as fit).
    pub fn visible_lines(&self, store: &LogStore, height: usize) -> VisibleLines {
        self.lines(store).window(self.anchor, height)
    }

    /// Scrolls up by `count` lines and pauses following.
    pub fn scroll_up(&mut self, store: &LogStore, count: usize, height: usize) {
        let lines = self.lines(store);
        if lines.last().is_none() {
            return;
        }
        let bottom = self.clamped_anchor(&lines, height);
        let floor = lines.highest_top_anchor(height).unwrap_or(0);
        let delta = -i64::try_from(count).unwrap_or(i64::MAX);
        let target = lines.offset(bottom, delta).map_or(bottom, |t| t.seq);
        self.anchor = Some(target.max(floor));
    }

    /// Scrolls down by `count` lines; reaching the newest line resumes following.
    pub fn scroll_down(&mut self, store: &LogStore, count: usize, height: usize) {
        if self.anchor.is_none() {
            return;
        }
        let lines = self.lines(store);
        let bottom = self.clamped_anchor(&lines, height);
        let delta = i64::try_from(count).unwrap_or(i64::MAX);
        let target = lines.offset(bottom, delta);
        self.anchor = if target.is_some() && target == lines.last() {
            None
        } else {
            target.map(|t| t.seq)
        };
    }

    /// Scrolls up one viewport (keeping one line of context) and pauses.
    pub fn page_up(&mut self, store: &LogStore, height: usize) {
        self.scroll_up(store, height.saturating_sub(1).max(1), height);
    }

    /// Scrolls down one viewport; reaching the newest line resumes following.
    pub fn page_down(&mut self, store: &LogStore, height: usize) {
        self.scroll_down(store, height.saturating_sub(1).max(1), height);
    }

    /// Shows the oldest lines and pauses.
    pub fn top(&mut self, store: &LogStore, height: usize) {
        if let Some(anchor) = self.lines(store).highest_top_anchor(height) {
            self.anchor = Some(anchor);
        }
    }

    /// Shows the newest lines and follows them.
    pub fn bottom(&mut self) {
        self.anchor = None;
    }

    /// The pane's lines: the filter's matches, or all lines if there is no valid filter.
    fn lines<'a>(&'a self, store: &'a LogStore) -> PaneLines<'a> {
        match &self.filter {
            Some(Filter { scan: Ok(scan), .. }) => PaneLines::matches(store, scan.matches()),
            _ => PaneLines::all(store, &self.streams),
        }
    }

    /// The effective bottom anchor: the newest line when following, and never so high
    /// that the viewport would start above the first line (scrolling there would have
    /// no visible effect and would have to be undone).
    fn clamped_anchor(&self, lines: &PaneLines<'_>, height: usize) -> u64 {
        let newest = lines.last().map_or(0, |l| l.seq);
        let anchor = self.anchor.unwrap_or(newest).min(newest);
        let floor = lines.highest_top_anchor(height).unwrap_or(0);
        anchor.max(floor)
    }
}

/// Runs one step of `scan`; true if it examined anything.
fn step_changed(scan: &mut MatchScan, store: &LogStore, budget: usize) -> bool {
    let before = scan.progress(store).examined;
    scan.step(store, budget).examined != before
}

#[cfg(test)]
#[path = "pane_tests.rs"]
mod tests;
