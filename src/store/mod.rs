//! The fleet store: plain data plus indexes, changed only by applying `SourceEvent`s.

pub mod access;
pub mod backups;
pub mod cron_period;
pub mod event;
pub mod fleet;
pub mod usage;

pub use access::{Access, Grant};
pub use event::{ContextInfo, Scope, SourceEvent};
pub use fleet::{Collection, Fleet};
pub use usage::{USAGE_HISTORY, Usage, UsageHistory, UsageSample};
