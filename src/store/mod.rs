//! The fleet store: plain data plus indexes, changed only by applying `SourceEvent`s.

pub mod event;
pub mod fleet;

pub use event::{ContextInfo, Scope, SourceEvent};
pub use fleet::{Collection, Fleet};
