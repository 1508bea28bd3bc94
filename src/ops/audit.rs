//! Filled in by the audit work.
