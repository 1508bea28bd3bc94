//! Operations: the only path that changes the world (DESIGN.md §6). Each is a typed
//! [`Operation`] that goes Plan → Confirm → Execute → Verify → Audit.
//!
//! - `operation`: the operations as typed values;
//! - `policy`: read-only refusal and the confirmation each operation needs;
//! - `runner`: the task that plans, executes, verifies and audits them;
//! - `kube`: Kubernetes operations the way kubectl does them, with dry-run plans;
//! - `rollback`: revisions, template diffs and `kubectl rollout undo` semantics;
//! - `docker` and `container`: container restart/stop/start and backups through exec;
//! - `backup_config`: the `[[backup]]` targets of the config file and their policies;
//! - `silence`: Alertmanager silences, created and expired as operations;
//! - `audit`: the append-only JSON Lines record of intents and outcomes;
//! - `error`: why an operation did not happen, in words for the status bar.

pub mod audit;
pub mod backup_config;
pub mod container;
pub mod docker;
pub mod error;
pub mod kube;
pub mod operation;
pub mod policy;
pub mod rollback;
pub mod runner;
pub mod silence;

pub use error::OpError;
pub use operation::{ContainerRef, Operation, ScheduleRef};
