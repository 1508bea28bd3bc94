//! Alerts onto the incident: an entry when an alert in its scope starts firing and when it
//! resolves, each once, however often the alerts are looked at.
//!
//! Pass every alert the store holds (`fleet.alerts.values()`), silenced ones included: a
//! silence hides an alert, it does not fix anything. An alert in scope that was firing
//! and is no longer among them has resolved (Alertmanager forgets resolved alerts; the
//! store drops them).

use std::collections::HashSet;

use jiff::Timestamp;

use super::model::{Incident, SeenAlert, Status, alert_key};
use super::scope::alert_in_scope;
use super::timeline::{self, EntryKind, TimelineEntry};
use crate::model::Alert;

/// Record alerts in the incident's scope that began firing or resolved since last
/// called, stamping resolutions with `now`. A resolved incident watches no more. Returns
/// whether anything was added, so the caller saves only then.
pub fn observe_alerts<'a>(
    incident: &mut Incident,
    alerts: impl IntoIterator<Item = &'a Alert>,
    now: Timestamp,
) -> bool {
    observe_alerts_from(incident, alerts, now, &|_| true)
}

/// [`observe_alerts`], where `answered(source)` says whether that alert source's list is
/// complete now (it answered since it connected): an alert missing from a source that has
/// not answered yet — a console just started, an Alertmanager unreachable — has not
/// resolved, it is unknown, and stays firing on the timeline.
pub fn observe_alerts_from<'a>(
    incident: &mut Incident,
    alerts: impl IntoIterator<Item = &'a Alert>,
    now: Timestamp,
    answered: &dyn Fn(&str) -> bool,
) -> bool {
    if incident.status == Status::Resolved {
        return false;
    }
    let own = incident.alert.as_ref().map(|a| a.key());
    let mut present = HashSet::new();
    let mut changed = false;
    for alert in alerts {
        let key = alert_key(&alert.id.source, &alert.id.fingerprint);
        if own.as_deref() != Some(key.as_str()) && !alert_in_scope(&incident.scope, alert) {
            continue;
        }
        present.insert(key.clone());
        let previous = incident.seen_alerts.get(&key);
        if previous.is_some_and(|seen| seen.firing) {
            continue;
        }
        // It fired when Alertmanager says it did, but never before it was last seen to
        // resolve (a re-fire keeps the timeline in order) and never after now: a server
        // whose clock runs ahead (skew, a simulated estate at speed) must not put the
        // entry after what the engineer does about it.
        let mut at = alert.starts_at.unwrap_or(now).min(now);
        if let Some(seen) = previous {
            at = at.max(seen.since);
        }
        let text = match alert.summary() {
            "" => format!("{} firing{}", alert.name(), where_text(alert)),
            summary => format!("{} firing{}: {summary}", alert.name(), where_text(alert)),
        };
        timeline::push(
            incident,
            TimelineEntry::new(at, EntryKind::AlertFiring, text)
                .referring_to(format!("alert:{key}")),
        );
        incident.seen_alerts.insert(
            key,
            SeenAlert {
                alertname: alert.name().to_string(),
                firing: true,
                since: at,
            },
        );
        changed = true;
    }
    let gone: Vec<String> = incident
        .seen_alerts
        .iter()
        .filter(|(key, seen)| seen.firing && !present.contains(*key))
        .filter(|(key, _)| {
            key.split_once('/')
                .is_some_and(|(source, _)| answered(source))
        })
        .map(|(key, _)| key.clone())
        .collect();
    for key in gone {
        let Some(seen) = incident.seen_alerts.get_mut(&key) else {
            continue;
        };
        seen.firing = false;
        seen.since = now;
        let text = format!("{} resolved", seen.alertname);
        timeline::push(
            incident,
            TimelineEntry::new(now, EntryKind::AlertResolved, text)
                .referring_to(format!("alert:{key}")),
        );
        changed = true;
    }
    changed
}

/// ` (shop/postgres-0)`: the alert's namespace and most specific scope label, if any.
fn where_text(alert: &Alert) -> String {
    let labels = &alert.labels;
    let namespace = labels.get("namespace");
    let thing = [
        "pod",
        "deployment",
        "statefulset",
        "service",
        "container",
        "instance",
        "node",
    ]
    .iter()
    .find_map(|k| labels.get(*k));
    match (namespace, thing) {
        (Some(ns), Some(thing)) => format!(" ({ns}/{thing})"),
        (Some(one), None) | (None, Some(one)) => format!(" ({one})"),
        (None, None) => String::new(),
    }
}
