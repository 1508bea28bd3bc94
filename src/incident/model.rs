//! The incident itself: what broke, how badly, who leads, where it came from, and what has
//! happened since (the timeline lives in [`super::timeline`], runbook progress in
//! [`super::progress`]).

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::progress::{RunbookProgress, StepProgress};
use super::scope;
use super::severity::Severity;
use super::timeline::{self, EntryKind, TimelineEntry};
use crate::model::Alert;
use crate::ops::audit::{local_user, timestamp_text};

/// The version of the file format written by this build; a file with a newer one is
/// refused rather than half-read.
pub const FORMAT_VERSION: u32 = 1;

/// Where the incident is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Declared, and the damage continues.
    Open,
    /// The bleeding has stopped (a rollback, a failover) but the cause is not fixed.
    Mitigated,
    /// Over: the service is restored and verified.
    Resolved,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Mitigated => "mitigated",
            Status::Resolved => "resolved",
        }
    }
}

/// The alert an incident was declared from, as it was then: enough to name it in the
/// postmortem after Alertmanager has forgotten it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRef {
    /// The Alertmanager it came from, or `pilothouse` for built-in rules.
    pub source: String,
    pub fingerprint: String,
    pub alertname: String,
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    #[serde(
        default,
        with = "super::time_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub starts_at: Option<Timestamp>,
}

impl AlertRef {
    pub fn of(alert: &Alert) -> AlertRef {
        AlertRef {
            source: alert.id.source.clone(),
            fingerprint: alert.id.fingerprint.clone(),
            alertname: alert.name().to_string(),
            labels: alert.labels.clone(),
            summary: alert.summary().to_string(),
            starts_at: alert.starts_at,
        }
    }

    /// `source/fingerprint`: how the incident remembers an alert it has seen.
    pub fn key(&self) -> String {
        alert_key(&self.source, &self.fingerprint)
    }
}

/// `source/fingerprint`, the identity of an alert across Alertmanagers (DESIGN.md §4).
pub fn alert_key(source: &str, fingerprint: &str) -> String {
    format!("{source}/{fingerprint}")
}

/// An alert in the incident's scope that the incident has seen, and whether it was still
/// firing when last looked at; this is what makes [`super::observe_alerts`] idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenAlert {
    pub alertname: String,
    pub firing: bool,
    /// When it last started firing or was seen to resolve.
    #[serde(with = "timestamp_text")]
    pub since: Timestamp,
}

/// An operation from the audit log that belongs to the incident: its intent, and its
/// outcome once there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentOperation {
    /// The audit id shared by its intent and outcome.
    pub audit_id: String,
    /// `scale`, `restart`, `rollback` …
    pub operation: String,
    /// `sim-prod/shop/deploy/api`.
    pub target: String,
    pub user: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(with = "timestamp_text")]
    pub started_at: Timestamp,
    #[serde(
        default,
        with = "super::time_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub ended_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ok: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

/// One incident, as it is kept in `<data_dir>/incidents/<id>.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// [`FORMAT_VERSION`] of the build that wrote it.
    pub format: u32,
    /// `INC-20261123-0312-ab12`: sorts by declaration time ([`new_id`]).
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// Who leads the response; the local user unless someone else was named.
    pub commander: String,
    #[serde(with = "timestamp_text")]
    pub declared_at: Timestamp,
    /// Set when the status becomes resolved, cleared if it is reopened.
    #[serde(default, with = "super::time_text")]
    pub resolved_at: Option<Timestamp>,
    pub status: Status,
    /// The alert it was declared from; `None` for one declared by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<AlertRef>,
    /// The labels that say where the trouble is (namespace, deployment, instance …):
    /// which alerts and operations belong to the incident ([`super::scope`]). Empty means
    /// everywhere.
    #[serde(default)]
    pub scope: BTreeMap<String, String>,
    /// Runbooks attached, in the order they were attached.
    #[serde(default)]
    pub runbooks: Vec<RunbookProgress>,
    /// Audit ids of operations run for this incident (a runbook's action steps): they
    /// belong to it wherever their target is.
    #[serde(default)]
    pub linked_operations: BTreeSet<String>,
    /// Operations taken during the incident, in the order they started.
    #[serde(default)]
    pub operations: Vec<IncidentOperation>,
    /// Alerts in scope seen so far, by [`alert_key`].
    #[serde(default)]
    pub seen_alerts: BTreeMap<String, SeenAlert>,
    /// Everything that happened, kept in time order (notes are entries of kind `note`).
    #[serde(default)]
    pub timeline: Vec<TimelineEntry>,
}

impl Incident {
    /// A new open incident declared `now`, led by `commander` (the local user when
    /// `None`). Declared from an alert, it takes the alert's scope labels and starts its
    /// timeline with that alert firing.
    pub fn declare(
        title: impl Into<String>,
        severity: Severity,
        commander: Option<String>,
        alert: Option<&Alert>,
        now: Timestamp,
    ) -> Incident {
        let commander = commander
            .filter(|c| !c.trim().is_empty())
            .unwrap_or_else(local_user);
        let mut incident = Incident {
            format: FORMAT_VERSION,
            id: new_id(now),
            title: title.into(),
            severity,
            commander: commander.clone(),
            declared_at: now,
            resolved_at: None,
            status: Status::Open,
            alert: alert.map(AlertRef::of),
            scope: alert.map(scope::scope_of).unwrap_or_default(),
            runbooks: Vec::new(),
            linked_operations: BTreeSet::new(),
            operations: Vec::new(),
            seen_alerts: BTreeMap::new(),
            timeline: Vec::new(),
        };
        // The title is in the summary; from an alert, the entry names the alert instead.
        let text = match alert {
            Some(alert) => format!("declared {severity} from alert {}", alert.name()),
            None => format!("declared {severity}: {}", incident.title),
        };
        timeline::push(
            &mut incident,
            TimelineEntry::new(now, EntryKind::Declared, text).by(&commander),
        );
        if let Some(alert) = alert {
            super::alert_watch::observe_alerts(&mut incident, std::iter::once(alert), now);
        }
        incident
    }

    /// From declaration to resolution, or to `now` while it is not resolved.
    pub fn duration(&self, now: Timestamp) -> SignedDuration {
        self.resolved_at
            .unwrap_or(now)
            .duration_since(self.declared_at)
    }

    /// The notes, oldest first.
    pub fn notes(&self) -> impl Iterator<Item = &TimelineEntry> {
        self.timeline.iter().filter(|e| e.kind == EntryKind::Note)
    }

    /// The attached runbook with this id.
    pub fn runbook(&self, runbook_id: &str) -> Option<&RunbookProgress> {
        self.runbooks.iter().find(|r| r.runbook_id == runbook_id)
    }

    /// The progress of one step of an attached runbook, if it has any.
    pub fn step(&self, runbook_id: &str, step_id: &str) -> Option<&StepProgress> {
        self.runbook(runbook_id)?.step(step_id)
    }
}

/// A title for an incident declared from `alert`: its name and summary.
pub fn title_from_alert(alert: &Alert) -> String {
    match alert.summary() {
        "" => alert.name().to_string(),
        summary => format!("{}: {summary}", alert.name()),
    }
}

/// `INC-20261123-0312-ab12`: the UTC minute of declaration, so ids sort by time, then 16
/// random bits so two incidents declared in the same minute (by two consoles) differ.
pub fn new_id(now: Timestamp) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    // RandomState is seeded randomly per process; hashing the time, pid and a counter
    // through it gives enough randomness for a suffix without a `rand` dependency.
    let mut hasher = std::hash::RandomState::new().build_hasher();
    hasher.write_i128(now.as_nanosecond());
    hasher.write_u32(std::process::id());
    hasher.write_u64(NEXT.fetch_add(1, Ordering::Relaxed));
    let suffix = hasher.finish() as u16;
    format!("INC-{}-{suffix:04x}", now.strftime("%Y%m%d-%H%M"))
}

/// Whether `id` can name an incident file: letters, digits, `-` and `_` only, so an id
/// from the command line can never reach outside the incidents directory.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_differ_within_a_minute() {
        let now: Timestamp = "2026-11-23T03:12:40Z".parse().unwrap();
        let a = new_id(now);
        assert!(a.starts_with("INC-20261123-0312-"), "{a}");
        assert_eq!(a.len(), "INC-20261123-0312-ab12".len());
        assert!(is_valid_id(&a));
        let ids: BTreeSet<String> = (0..50).map(|_| new_id(now)).collect();
        assert!(ids.len() > 45, "suffixes are random: {ids:?}");
        let later = new_id("2026-11-23T03:13:00Z".parse().unwrap());
        assert!(ids.iter().all(|id| id < &later));
    }

    #[test]
    fn ids_cannot_name_other_files() {
        for bad in ["", "../x", "a/b", "INC.json", "a b"] {
            assert!(!is_valid_id(bad), "{bad}");
        }
    }
}
