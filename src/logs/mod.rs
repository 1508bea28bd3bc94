//! One log store for every source: bounded rings, sanitized at ingest, filtered
//! incrementally.
//!
//! - [`store`]: [`LogStore`], every stream's ring under one global byte budget that evicts
//!   the oldest line first, whichever stream holds it; each line gets a global sequence
//!   number so streams merge in arrival order.
//! - [`ring`] (private): one stream's lines packed in chunk buffers (why: see there).
//! - [`sanitize`]: what a line may and may not carry into the terminal.
//! - [`sgr`]: the color sequences the sanitizer keeps, parsed into styles.
//! - [`matcher`], [`scan`]: filters and searches that run in bounded steps.
//! - [`pane`]: [`LogPane`], the state of one log view (streams, scroll, filter, search).
//! - [`display`]: formatting one line for drawing (used by `ui::logs_view`).

pub mod display;
pub mod matcher;
pub mod pane;
mod ring;
pub mod sanitize;
pub mod scan;
mod sequence;
pub mod sgr;
pub mod store;

pub use matcher::LineMatcher;
pub use pane::{FilterStatus, LogPane, SearchStatus};
pub use scan::{MatchScan, ScanProgress};
pub use sequence::VisibleLines;
pub use store::{
    DEFAULT_BUDGET_BYTES, LINE_CHARGE_BYTES, LineId, LineRef, LogStats, LogStore, RawLogLine,
    StreamId, StreamKey, StreamStats,
};
