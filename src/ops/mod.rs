//! Operations: the only path that changes the world (DESIGN.md §6). Each is a typed
//! [`Operation`] that goes Plan → Confirm → Execute → Verify → Audit.
//!
//! - `error`: why an operation did not happen, in words for the status bar;
//! - `audit`: the append-only JSON Lines record of intents and outcomes;
//! - `rollback`: revisions, template diffs and `kubectl rollout undo` semantics;
//! - `docker`: container restart/stop/start and backups through exec.

pub mod audit;
pub mod docker;
pub mod error;
pub mod rollback;

pub use error::OpError;
