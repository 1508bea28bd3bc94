//! Operations from the audit log onto the incident: each intent and outcome becomes a
//! timeline entry once, however often the log is merged again.
//!
//! An operation belongs to the incident when it was linked to it ([`link_operation`], by
//! a runbook's action step), or when it started (its intent's time) between declaration
//! and resolution and its target is in the incident's scope ([`super::scope`]). Its
//! outcome follows it even when it arrives after the incident was resolved, so an action
//! is never shown without how it ended. What was done before the declaration stays out:
//! the incident starts when someone says it does.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;

use super::model::{Incident, IncidentOperation};
use super::scope::target_in_scope;
use super::timeline::{self, EntryKind, TimelineEntry};
use crate::ops::audit::{AuditPhase, AuditRecord};

/// Tie the operation with this audit id to the incident, wherever its target is and
/// whenever it started. `false` when it already was.
pub fn link_operation(incident: &mut Incident, audit_id: &str) -> bool {
    incident.linked_operations.insert(audit_id.to_string())
}

/// Add the operations among `records` that belong to the incident (see the module
/// docs): a timeline entry per intent and outcome, not yet on the timeline (by audit id
/// and phase), and the operation's record for the postmortem. Returns how many entries
/// were added, so the caller saves only when something changed.
pub fn merge_audit<'a>(
    incident: &mut Incident,
    records: impl IntoIterator<Item = &'a AuditRecord>,
) -> usize {
    let mut records: Vec<&AuditRecord> = records.into_iter().collect();
    records.sort_by_key(|r| (r.time, r.phase == AuditPhase::Outcome));
    // When each operation started: its intent's time, or its earliest record's when the
    // intent is missing (a log cut short).
    let mut started: HashMap<&str, Timestamp> = HashMap::new();
    for record in &records {
        let start = started.entry(&record.id).or_insert(record.time);
        if record.phase == AuditPhase::Intent || record.time < *start {
            *start = record.time;
        }
    }
    let known: HashSet<String> = incident
        .operations
        .iter()
        .map(|op| op.audit_id.clone())
        .collect();
    let on_timeline: HashSet<String> = incident
        .timeline
        .iter()
        .filter_map(|e| e.reference.clone())
        .collect();
    let alertname = incident.alert.as_ref().map(|a| a.alertname.clone());
    let mut added = 0;
    for record in records {
        let start = started[record.id.as_str()];
        let belongs = known.contains(&record.id)
            || incident.linked_operations.contains(&record.id)
            || (in_window(incident, start)
                && target_in_scope(&incident.scope, alertname.as_deref(), &record.target));
        let reference = reference(record);
        if !belongs || on_timeline.contains(&reference) {
            continue;
        }
        update_operation(incident, record, start);
        let entry = TimelineEntry::new(record.time, EntryKind::Operation, entry_text(record))
            .by(&record.local_user)
            .referring_to(reference);
        timeline::push(incident, entry);
        added += 1;
    }
    incident.operations.sort_by_key(|op| op.started_at);
    added
}

fn in_window(incident: &Incident, start: Timestamp) -> bool {
    start >= incident.declared_at && incident.resolved_at.is_none_or(|end| start <= end)
}

/// `audit:<id>:intent`, `audit:<id>:outcome`.
fn reference(record: &AuditRecord) -> String {
    let phase = match record.phase {
        AuditPhase::Intent => "intent",
        AuditPhase::Outcome => "outcome",
    };
    format!("audit:{}:{phase}", record.id)
}

fn update_operation(incident: &mut Incident, record: &AuditRecord, started_at: Timestamp) {
    let index = match incident
        .operations
        .iter()
        .position(|op| op.audit_id == record.id)
    {
        Some(index) => index,
        None => {
            incident.operations.push(IncidentOperation {
                audit_id: record.id.clone(),
                operation: record.operation.clone(),
                target: record.target.clone(),
                user: record.local_user.clone(),
                reason: record.reason.clone(),
                started_at,
                ended_at: None,
                ok: None,
                outcome: None,
                duration_ms: None,
            });
            incident.operations.len() - 1
        }
    };
    let op = &mut incident.operations[index];
    match record.phase {
        AuditPhase::Intent => {
            op.started_at = record.time;
            op.reason = op.reason.take().or_else(|| record.reason.clone());
        }
        AuditPhase::Outcome => {
            op.ended_at = Some(record.time);
            op.ok = record.ok;
            op.outcome = record.outcome.clone();
            op.duration_ms = record.duration_ms;
        }
    }
}

/// `restart sim-prod/shop/sts/postgres — reason: primary crash-looping` for an intent;
/// `restart sim-prod/shop/sts/postgres: succeeded — rolled out 2/2` for an outcome.
fn entry_text(record: &AuditRecord) -> String {
    let what = format!("{} {}", record.operation, record.target);
    match record.phase {
        AuditPhase::Intent => match record.reason.as_deref().filter(|r| !r.is_empty()) {
            Some(reason) => format!("{what} — reason: {reason}"),
            None => what,
        },
        AuditPhase::Outcome => {
            let verdict = match record.ok {
                Some(true) => "succeeded",
                Some(false) => "failed",
                None => "ended",
            };
            match record.outcome.as_deref().filter(|o| !o.is_empty()) {
                Some(outcome) => format!("{what}: {verdict} — {outcome}"),
                None => format!("{what}: {verdict}"),
            }
        }
    }
}
