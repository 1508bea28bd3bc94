//! Filled in by the Docker operations work.
