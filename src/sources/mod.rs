//! Sources: tasks that talk to the outside world and only emit `SourceEvent`s (DESIGN.md §2).
//!
//! Every source reports its health, backs off with jitter when its peer fails, retries
//! forever, and stops when its cancellation token fires. What they share lives here:
//!
//! - [`backoff`]: capped exponential backoff with jitter.
//! - [`sink`]: the sending end of the app's event channel, with the explicit policy for a
//!   full channel (state waits; log lines are dropped and counted, never blocking a watch).

pub mod alertmanager;
pub mod backoff;
pub mod docker;
pub mod host;
pub mod kube;
pub mod probe;
pub mod prometheus;
pub mod sink;

pub use backoff::Backoff;
pub use sink::EventSink;
