//! Several Alertmanagers, one list: alerts merged and de-duplicated by fingerprint.
//!
//! An HA pair of Alertmanagers reports every alert twice with the same fingerprint (it is
//! a hash of the labels). The merged list holds each fingerprint once, as reported by the
//! first Alertmanager in configured order that has it; its `source` says which. When that
//! Alertmanager goes away its last answer is kept (its health says stale), so a dead
//! Alertmanager never makes the list look healthier than it was.

use std::collections::{BTreeMap, HashMap};

use crate::model::alert::Silence;
use crate::model::{Alert, AlertId};
use crate::store::SourceEvent;

/// The merged alerts and silences of several Alertmanagers, and what the console was sent.
#[derive(Debug, Default)]
pub struct AlertMerge {
    /// The last answer of each Alertmanager, by its position in the configured order;
    /// `None` until it first answers.
    reports: Vec<Option<Report>>,
    /// What the console holds, by fingerprint.
    sent: HashMap<String, Alert>,
}

/// One Alertmanager's answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub alerts: Vec<Alert>,
    pub silences: Vec<Silence>,
}

impl AlertMerge {
    /// For `count` Alertmanagers.
    pub fn new(count: usize) -> AlertMerge {
        AlertMerge {
            reports: vec![None; count],
            sent: HashMap::new(),
        }
    }

    /// Take the answer of Alertmanager `index`; returns the events that bring the console
    /// up to date, as one batch (none when nothing changed).
    pub fn update(&mut self, index: usize, report: Report) -> Option<SourceEvent> {
        if let Some(slot) = self.reports.get_mut(index) {
            *slot = Some(report);
        }
        let merged = self.merged();
        let mut events = Vec::new();
        let gone: Vec<AlertId> = self
            .sent
            .iter()
            .filter(|(fp, sent)| merged.get(*fp).is_none_or(|a| a.id != sent.id))
            .map(|(_, sent)| sent.id.clone())
            .collect();
        for id in gone {
            self.sent.remove(&id.fingerprint);
            events.push(SourceEvent::DeleteAlert(id));
        }
        for (fingerprint, alert) in merged {
            if self.sent.get(&fingerprint) != Some(&alert) {
                self.sent.insert(fingerprint, alert.clone());
                events.push(SourceEvent::UpsertAlert(alert));
            }
        }
        (!events.is_empty()).then_some(SourceEvent::Batch(events))
    }

    /// Each fingerprint once, from the first Alertmanager that reports it.
    fn merged(&self) -> BTreeMap<String, Alert> {
        let mut merged = BTreeMap::new();
        for report in self.reports.iter().flatten() {
            for alert in &report.alerts {
                merged
                    .entry(alert.id.fingerprint.clone())
                    .or_insert_with(|| alert.clone());
            }
        }
        merged
    }

    /// Every silence known, newest end first; an HA pair's copies once (same id).
    pub fn silences(&self) -> Vec<Silence> {
        let mut by_id: BTreeMap<&str, &Silence> = BTreeMap::new();
        for report in self.reports.iter().flatten() {
            for silence in &report.silences {
                by_id.entry(silence.id.as_str()).or_insert(silence);
            }
        }
        let mut all: Vec<Silence> = by_id.into_values().cloned().collect();
        all.sort_by(|a, b| {
            a.state
                .cmp(&b.state)
                .then(b.ends_at.cmp(&a.ends_at))
                .then(a.id.cmp(&b.id))
        });
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AlertState;

    fn alert(source: &str, fp: &str, state: AlertState) -> Alert {
        Alert {
            id: AlertId {
                source: source.into(),
                fingerprint: fp.into(),
            },
            labels: [("alertname".to_string(), fp.to_uppercase())].into(),
            annotations: Default::default(),
            state,
            starts_at: None,
            silenced_by: vec![],
        }
    }

    fn events(batch: Option<SourceEvent>) -> Vec<SourceEvent> {
        match batch {
            Some(SourceEvent::Batch(events)) => events,
            None => vec![],
            Some(other) => panic!("not a batch: {other:?}"),
        }
    }

    fn report(alerts: Vec<Alert>) -> Report {
        Report {
            alerts,
            silences: vec![],
        }
    }

    #[test]
    fn an_ha_pair_reports_each_alert_once() {
        let mut merge = AlertMerge::new(2);
        let first = events(merge.update(
            0,
            report(vec![
                alert("am-1", "a", AlertState::Firing),
                alert("am-1", "b", AlertState::Firing),
            ]),
        ));
        assert_eq!(first.len(), 2);
        // The second of the pair reports the same two and one only it has seen yet.
        let second = events(merge.update(
            1,
            report(vec![
                alert("am-2", "a", AlertState::Firing),
                alert("am-2", "b", AlertState::Firing),
                alert("am-2", "c", AlertState::Firing),
            ]),
        ));
        assert_eq!(
            second,
            vec![SourceEvent::UpsertAlert(alert(
                "am-2",
                "c",
                AlertState::Firing
            ))]
        );
        // Nothing changed: nothing sent.
        assert!(
            merge
                .update(
                    0,
                    report(vec![
                        alert("am-1", "a", AlertState::Firing),
                        alert("am-1", "b", AlertState::Firing),
                    ])
                )
                .is_none()
        );
    }

    #[test]
    fn resolved_alerts_go_and_a_changed_state_is_sent() {
        let mut merge = AlertMerge::new(2);
        merge.update(0, report(vec![alert("am-1", "a", AlertState::Firing)]));
        merge.update(1, report(vec![alert("am-2", "a", AlertState::Firing)]));
        let changed =
            events(merge.update(0, report(vec![alert("am-1", "a", AlertState::Silenced)])));
        assert_eq!(
            changed,
            vec![SourceEvent::UpsertAlert(alert(
                "am-1",
                "a",
                AlertState::Silenced
            ))]
        );
        // Resolved in the first: the second still has it, so it moves there.
        let moved = events(merge.update(0, report(vec![])));
        assert_eq!(
            moved,
            vec![
                SourceEvent::DeleteAlert(alert("am-1", "a", AlertState::Firing).id),
                SourceEvent::UpsertAlert(alert("am-2", "a", AlertState::Firing)),
            ]
        );
        let gone = events(merge.update(1, report(vec![])));
        assert_eq!(
            gone,
            vec![SourceEvent::DeleteAlert(
                alert("am-2", "a", AlertState::Firing).id
            )]
        );
    }
}
