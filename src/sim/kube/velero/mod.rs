//! Velero in the sim: its `Backup` and `Schedule` CRDs (`velero.io/v1`), a controller
//! that runs Backups (`New` → `InProgress` → `Completed`) and fires Schedules on their
//! cron, and the initial Schedules with their past Backups. Served only in clusters
//! whose scenario has `velero:` (see `Cluster::serves_group`), so a console's "no
//! Velero here" path meets the 404 a real cluster without the CRDs gives.
//!
//! - [`types`]: the objects; [`admission`]: what the API refuses;
//!   [`table`]: `kubectl get` columns.
//! - [`controller`]: running Backups, firing Schedules; [`populate`]: the start state.

pub mod admission;
pub mod controller;
pub mod populate;
pub mod table;
pub mod types;

pub use types::{Backup, Schedule};

use crate::sim::common::time::SimSpan;

/// The label naming the Schedule a Backup was made from.
pub const SCHEDULE_NAME_LABEL: &str = "velero.io/schedule-name";
/// The label naming a Backup's storage location.
pub const STORAGE_LOCATION_LABEL: &str = "velero.io/storage-location";
/// How long a Backup is kept when its spec does not say (velero's server default).
pub const DEFAULT_TTL: &str = "720h0m0s";
/// The storage location a Backup uses when its spec does not say.
pub const DEFAULT_STORAGE_LOCATION: &str = "default";
/// A sim-only annotation on a Backup: how it ends (`PartiallyFailed` or `Failed`), so
/// tests and demos can show a backup that went wrong. Absent, it completes.
pub const OUTCOME_ANNOTATION: &str = "sim.pilothouse.dev/backup-outcome";

/// A Go duration (`168h0m0s`, `720h`, `90m`) in seconds; `None` when unreadable or
/// negative.
pub fn parse_duration(text: &str) -> Option<f64> {
    let text = text.trim();
    // Go has no day unit; SimSpan does, so refuse it here.
    if text.contains('d') {
        return None;
    }
    if text == "0" {
        return Some(0.0);
    }
    // A bare number is not a Go duration.
    if text.parse::<f64>().is_ok() {
        return None;
    }
    SimSpan::parse(text)
        .ok()
        .map(SimSpan::secs_f64)
        .filter(|s| *s >= 0.0)
}

/// Whole seconds as Go prints a duration: `168h0m0s`, `30m0s`, `45s`.
pub fn format_duration(secs: i64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_read_and_print() {
        assert_eq!(parse_duration("168h0m0s"), Some(168.0 * 3600.0));
        assert_eq!(parse_duration("720h"), Some(720.0 * 3600.0));
        assert_eq!(parse_duration("1h30m"), Some(5400.0));
        assert_eq!(parse_duration("7d"), None);
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration("3600"), None);
        assert_eq!(format_duration(168 * 3600), "168h0m0s");
        assert_eq!(format_duration(1800), "30m0s");
        assert_eq!(format_duration(45), "45s");
    }
}
