//! The timeline: what happened during an incident, kept in time order, and the `record_*`
//! functions that add to it by hand (severity, status, notes). Alerts, operations and
//! runbook steps are added by [`super::alert_watch`], [`super::audit_merge`] and
//! [`super::progress`].

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::model::{Incident, Status};
use super::severity::Severity;
use crate::ops::audit::timestamp_text;

/// What kind of thing happened; the timeline view filters by these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Declared,
    SeverityChanged,
    StatusChanged,
    AlertFiring,
    AlertResolved,
    /// An operation's intent or outcome, from the audit log.
    Operation,
    RunbookAttached,
    /// A runbook step changed status, or a decision was answered.
    StepTransition,
    Note,
}

impl EntryKind {
    pub const ALL: [EntryKind; 9] = [
        EntryKind::Declared,
        EntryKind::SeverityChanged,
        EntryKind::StatusChanged,
        EntryKind::AlertFiring,
        EntryKind::AlertResolved,
        EntryKind::Operation,
        EntryKind::RunbookAttached,
        EntryKind::StepTransition,
        EntryKind::Note,
    ];

    /// In words, for the view and the postmortem.
    pub fn label(self) -> &'static str {
        match self {
            EntryKind::Declared => "declared",
            EntryKind::SeverityChanged => "severity",
            EntryKind::StatusChanged => "status",
            EntryKind::AlertFiring => "alert firing",
            EntryKind::AlertResolved => "alert resolved",
            EntryKind::Operation => "operation",
            EntryKind::RunbookAttached => "runbook",
            EntryKind::StepTransition => "step",
            EntryKind::Note => "note",
        }
    }
}

/// One thing that happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    #[serde(with = "timestamp_text")]
    pub at: Timestamp,
    pub kind: EntryKind,
    pub text: String,
    /// Who did it; `None` for what was observed (alerts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// What the entry came from, when it came from elsewhere: `audit:<id>:intent`,
    /// `alert:<source>/<fingerprint>`. Merges use it to add an entry only once, and a view
    /// can use it to jump to the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl TimelineEntry {
    pub fn new(at: Timestamp, kind: EntryKind, text: impl Into<String>) -> TimelineEntry {
        TimelineEntry {
            at,
            kind,
            text: text.into(),
            author: None,
            reference: None,
        }
    }

    pub fn by(mut self, author: &str) -> TimelineEntry {
        self.author = Some(author.to_string());
        self
    }

    pub fn referring_to(mut self, reference: String) -> TimelineEntry {
        self.reference = Some(reference);
        self
    }
}

/// Insert `entry` in time order, after entries at the same instant, so the timeline stays
/// sorted even when a merge brings in something that happened earlier.
pub(crate) fn push(incident: &mut Incident, entry: TimelineEntry) {
    let at = incident.timeline.partition_point(|e| e.at <= entry.at);
    incident.timeline.insert(at, entry);
}

/// Change the severity; `false` (and no entry) when it already is that.
pub fn record_severity(
    incident: &mut Incident,
    to: Severity,
    author: &str,
    now: Timestamp,
) -> bool {
    let from = incident.severity;
    if from == to {
        return false;
    }
    incident.severity = to;
    let text = format!("severity {from} → {to} ({})", to.meaning());
    push(
        incident,
        TimelineEntry::new(now, EntryKind::SeverityChanged, text).by(author),
    );
    true
}

/// Change the status; resolving stamps `resolved_at`, reopening clears it. `false` (and
/// no entry) when it already is that.
pub fn record_status(incident: &mut Incident, to: Status, author: &str, now: Timestamp) -> bool {
    let from = incident.status;
    if from == to {
        return false;
    }
    incident.status = to;
    incident.resolved_at = (to == Status::Resolved).then_some(now);
    let text = format!("status {} → {}", from.label(), to.label());
    push(
        incident,
        TimelineEntry::new(now, EntryKind::StatusChanged, text).by(author),
    );
    true
}

/// Add a note; blank notes are not kept.
pub fn record_note(incident: &mut Incident, text: &str, author: &str, now: Timestamp) -> bool {
    let text = text.trim_end();
    if text.trim().is_empty() {
        return false;
    }
    push(
        incident,
        TimelineEntry::new(now, EntryKind::Note, text).by(author),
    );
    true
}

/// Which entries to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimelineFilter {
    /// Only these kinds; empty means every kind.
    pub kinds: Vec<EntryKind>,
    /// Only entries whose text or author contains this, ignoring case.
    pub text: Option<String>,
}

impl TimelineFilter {
    pub fn matches(&self, entry: &TimelineEntry) -> bool {
        let kind_ok = self.kinds.is_empty() || self.kinds.contains(&entry.kind);
        kind_ok
            && self.text.as_deref().is_none_or(|wanted| {
                let wanted = wanted.to_lowercase();
                entry.text.to_lowercase().contains(&wanted)
                    || entry
                        .author
                        .as_deref()
                        .is_some_and(|a| a.to_lowercase().contains(&wanted))
            })
    }
}

/// The entries `filter` selects, in time order (entries at the same instant in the order
/// they were recorded).
pub fn timeline<'a>(incident: &'a Incident, filter: &TimelineFilter) -> Vec<&'a TimelineEntry> {
    let mut entries: Vec<&TimelineEntry> = incident
        .timeline
        .iter()
        .filter(|e| filter.matches(e))
        .collect();
    // Already sorted when written by this module; a hand-edited file may not be.
    entries.sort_by_key(|e| e.at);
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn incident() -> Incident {
        Incident::declare(
            "api down",
            Severity::P2,
            Some("alice".into()),
            None,
            at("2026-11-23T03:00:00Z"),
        )
    }

    #[test]
    fn changes_are_recorded_once_and_kept_in_time_order() {
        let mut inc = incident();
        assert!(record_severity(
            &mut inc,
            Severity::P1,
            "alice",
            at("2026-11-23T03:05:00Z")
        ));
        assert!(!record_severity(
            &mut inc,
            Severity::P1,
            "alice",
            at("2026-11-23T03:06:00Z")
        ));
        assert!(record_note(
            &mut inc,
            "db primary is down",
            "bob",
            at("2026-11-23T03:04:00Z")
        ));
        assert!(!record_note(
            &mut inc,
            "  \n",
            "bob",
            at("2026-11-23T03:04:00Z")
        ));
        assert!(record_status(
            &mut inc,
            Status::Resolved,
            "alice",
            at("2026-11-23T03:30:00Z")
        ));
        assert_eq!(inc.resolved_at, Some(at("2026-11-23T03:30:00Z")));
        let kinds: Vec<EntryKind> = inc.timeline.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                EntryKind::Declared,
                EntryKind::Note,
                EntryKind::SeverityChanged,
                EntryKind::StatusChanged
            ]
        );
        assert!(record_status(
            &mut inc,
            Status::Open,
            "alice",
            at("2026-11-23T03:40:00Z")
        ));
        assert_eq!(inc.resolved_at, None, "reopening clears the resolution");
    }

    #[test]
    fn the_filter_selects_by_kind_and_text() {
        let mut inc = incident();
        record_note(
            &mut inc,
            "Standby promoted",
            "bob",
            at("2026-11-23T03:04:00Z"),
        );
        record_severity(&mut inc, Severity::P1, "alice", at("2026-11-23T03:05:00Z"));
        let notes = TimelineFilter {
            kinds: vec![EntryKind::Note],
            text: None,
        };
        assert_eq!(timeline(&inc, &notes).len(), 1);
        let by_text = TimelineFilter {
            kinds: vec![],
            text: Some("STANDBY".into()),
        };
        assert_eq!(timeline(&inc, &by_text)[0].text, "Standby promoted");
        let by_author = TimelineFilter {
            kinds: vec![],
            text: Some("alice".into()),
        };
        assert_eq!(timeline(&inc, &by_author).len(), 2, "declared and severity");
    }
}
