//! Filled in by the rollback work.
