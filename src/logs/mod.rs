//! One log store for every source: bounded rings, sanitized at ingest, filtered incrementally.
//!
//! (Owned by the log-store work; the types below are the contract the rest of the app uses.)

pub mod store;

pub use store::{LogStore, RawLogLine, StreamKey};
