//! Alerts: the scenario's timeline (firing and resolving in simulated time, as
//! Prometheus would send them) and alerts clients push; and each alert's status —
//! silenced by active silences, inhibited by firing critical alerts.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use super::matchers::{Labels, fingerprint, fingerprint_hex, valid_label_name};
use super::routing;
use super::scenario::AlertSpec;
use super::silences::SilenceStore;
use crate::sim::common::time::Nanos;
use crate::sim::common::time::rfc3339_millis;

const SECOND: Nanos = 1_000_000_000;
/// Prometheus re-sends firing alerts every minute (`--rules.alert.resend-delay`) with
/// `endsAt` four re-sends ahead.
const RESEND: Nanos = 60 * SECOND;
/// At most this many pushed alerts are kept.
const MAX_PUSHED: usize = 10_000;
/// Resolved pushed alerts are forgotten after this long.
const KEEP_RESOLVED: Nanos = 3600 * SECOND;

/// An alert as it stands at some instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub labels: Labels,
    pub annotations: Labels,
    pub starts_at: Nanos,
    pub ends_at: Nanos,
    pub updated_at: Nanos,
    pub generator_url: String,
    pub fingerprint: u64,
    /// `endsAt` was not given but set from the resolve timeout.
    pub timeout: bool,
}

impl Alert {
    /// Resolved alerts are not listed (Alertmanager's API filter).
    pub fn is_resolved(&self, now: Nanos) -> bool {
        self.ends_at < now
    }
}

/// A scenario alert with its place on the timeline (offsets from the sim's start).
#[derive(Debug, Clone)]
struct TimelineAlert {
    labels: Labels,
    annotations: Labels,
    fires_at: Nanos,
    resolves_at: Option<Nanos>,
    every: Option<Nanos>,
    generator_url: String,
    fingerprint: u64,
}

impl TimelineAlert {
    /// When the current firing began (offset), if it is firing at offset `r`.
    fn firing_since(&self, r: Nanos) -> Option<Nanos> {
        if r < self.fires_at {
            return None;
        }
        let (start, end) = match self.every.filter(|&p| p > 0) {
            Some(period) => {
                let k = (r - self.fires_at).div_euclid(period);
                (
                    self.fires_at + k * period,
                    self.resolves_at.map(|e| e + k * period),
                )
            }
            None => (self.fires_at, self.resolves_at),
        };
        end.is_none_or(|e| r < e).then_some(start)
    }
}

/// What a client posted.
#[derive(Debug, Clone, Default)]
pub struct PostedAlert {
    pub labels: Labels,
    pub annotations: Labels,
    pub starts_at: Option<Nanos>,
    pub ends_at: Option<Nanos>,
    pub generator_url: String,
}

/// The scenario's alerts and the pushed ones.
#[derive(Debug)]
pub struct AlertStore {
    origin: Nanos,
    timeline: Vec<TimelineAlert>,
    pushed: HashMap<u64, Alert>,
}

/// Go's `url.QueryEscape`, for `generatorURL`.
fn query_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

impl AlertStore {
    pub fn new(specs: &[AlertSpec], origin: Nanos) -> AlertStore {
        let mut timeline = Vec::new();
        for spec in specs {
            let count = spec.replicas.unwrap_or(1).max(1);
            for i in 1..=count {
                let fill = |m: &BTreeMap<String, String>| -> Labels {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.replace("{i}", &i.to_string())))
                        .collect()
                };
                let labels = fill(&spec.labels);
                let generator_url = spec.expr.as_ref().map_or_else(String::new, |expr| {
                    format!(
                        "http://prometheus.monitoring.svc:9090/graph?g0.expr={}&g0.tab=1",
                        query_escape(expr)
                    )
                });
                timeline.push(TimelineAlert {
                    fingerprint: fingerprint(&labels),
                    labels,
                    annotations: fill(&spec.annotations),
                    fires_at: spec.fires_at.nanos(),
                    resolves_at: spec.resolves_at.map(|s| s.nanos()),
                    every: spec.every.map(|s| s.nanos()),
                    generator_url,
                });
            }
        }
        AlertStore {
            origin,
            timeline,
            pushed: HashMap::new(),
        }
    }

    /// Every alert not resolved at `now`, by fingerprint (a pushed alert replaces a
    /// scenario alert with the same labels).
    pub fn current(&self, now: Nanos) -> Vec<Alert> {
        let mut alerts: BTreeMap<u64, Alert> = BTreeMap::new();
        for t in &self.timeline {
            let Some(since) = t.firing_since(now - self.origin) else {
                continue;
            };
            let starts_at = self.origin + since;
            let updated_at = starts_at + (now - starts_at).div_euclid(RESEND) * RESEND;
            alerts.insert(
                t.fingerprint,
                Alert {
                    labels: t.labels.clone(),
                    annotations: t.annotations.clone(),
                    starts_at,
                    ends_at: updated_at + 4 * RESEND,
                    updated_at,
                    generator_url: t.generator_url.clone(),
                    fingerprint: t.fingerprint,
                    timeout: false,
                },
            );
        }
        for alert in self.pushed.values().filter(|a| !a.is_resolved(now)) {
            alerts.insert(alert.fingerprint, alert.clone());
        }
        alerts.into_values().collect()
    }

    /// Accept posted alerts, as `POST /api/v2/alerts` does: the valid ones are stored
    /// even when others are refused; the refusals come back as one message.
    pub fn push(&mut self, posted: Vec<PostedAlert>, now: Nanos) -> Result<(), String> {
        let mut errors = Vec::new();
        for p in posted {
            let mut labels = p.labels;
            labels.retain(|_, v| !v.is_empty());
            let starts_at = p.starts_at.or(p.ends_at).unwrap_or(now);
            let (ends_at, timeout) = match p.ends_at {
                Some(e) => (e, false),
                None => (now + routing::RESOLVE_TIMEOUT_SECS * SECOND, true),
            };
            if let Err(e) = validate(&labels, &p.annotations, starts_at, ends_at) {
                errors.push(e);
                continue;
            }
            let mut alert = Alert {
                fingerprint: fingerprint(&labels),
                labels,
                annotations: p.annotations,
                starts_at,
                ends_at,
                updated_at: now,
                generator_url: p.generator_url,
                timeout,
            };
            if let Some(old) = self.pushed.get(&alert.fingerprint) {
                let overlaps = (alert.ends_at > old.starts_at && alert.ends_at < old.ends_at)
                    || (alert.starts_at > old.starts_at && alert.starts_at < old.ends_at);
                if overlaps {
                    alert.starts_at = alert.starts_at.min(old.starts_at);
                    if !alert.is_resolved(now) && old.ends_at > alert.ends_at && !old.timeout {
                        alert.ends_at = old.ends_at;
                    }
                }
            }
            self.pushed.insert(alert.fingerprint, alert);
        }
        self.collect_garbage(now);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    fn collect_garbage(&mut self, now: Nanos) {
        self.pushed.retain(|_, a| a.ends_at + KEEP_RESOLVED >= now);
        while self.pushed.len() > MAX_PUSHED {
            let oldest = self
                .pushed
                .values()
                .min_by_key(|a| (!a.is_resolved(now), a.updated_at))
                .map(|a| a.fingerprint);
            match oldest {
                Some(fp) => {
                    self.pushed.remove(&fp);
                }
                None => break,
            }
        }
    }
}

/// Alertmanager's `Alert.Validate` and `LabelSet.Validate`.
fn validate(
    labels: &Labels,
    annotations: &Labels,
    starts_at: Nanos,
    ends_at: Nanos,
) -> Result<(), String> {
    if labels.is_empty() {
        return Err("at least one label pair required".to_string());
    }
    for name in labels.keys().chain(annotations.keys()) {
        if !valid_label_name(name) {
            return Err(format!("invalid label set: invalid name \"{name}\""));
        }
    }
    if ends_at < starts_at {
        return Err("start time must be before end time".to_string());
    }
    Ok(())
}

/// Why an alert is suppressed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertStatus {
    pub silenced_by: Vec<String>,
    pub inhibited_by: Vec<String>,
}

impl AlertStatus {
    pub fn state(&self) -> &'static str {
        if self.silenced_by.is_empty() && self.inhibited_by.is_empty() {
            "active"
        } else {
            "suppressed"
        }
    }
}

/// The status of each of `alerts` (in the same order).
pub fn statuses(alerts: &[Alert], silences: &SilenceStore, now: Nanos) -> Vec<AlertStatus> {
    alerts
        .iter()
        .map(|target| {
            let mut inhibited_by: Vec<String> = alerts
                .iter()
                .filter(|source| {
                    source.fingerprint != target.fingerprint
                        && routing::inhibits(&source.labels, &target.labels)
                })
                .map(|source| fingerprint_hex(&source.labels))
                .collect();
            inhibited_by.sort();
            AlertStatus {
                silenced_by: silences.muting(&target.labels, now),
                inhibited_by,
            }
        })
        .collect()
}

/// A `GettableAlert`.
pub fn to_json(alert: &Alert, status: &AlertStatus) -> Value {
    let mut value = json!({
        "annotations": alert.annotations,
        "endsAt": rfc3339_millis(alert.ends_at),
        "fingerprint": format!("{:016x}", alert.fingerprint),
        "receivers": [{"name": routing::receiver(&alert.labels)}],
        "startsAt": rfc3339_millis(alert.starts_at),
        "status": {
            "inhibitedBy": status.inhibited_by,
            "silencedBy": status.silenced_by,
            "state": status.state(),
        },
        "updatedAt": rfc3339_millis(alert.updated_at),
        "labels": alert.labels,
    });
    if !alert.generator_url.is_empty() {
        value["generatorURL"] = json!(alert.generator_url);
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::alertmanager::matchers::Matcher;
    use crate::sim::alertmanager::scenario::AlertScenario;
    use crate::sim::alertmanager::silences::PostedSilence;

    const ORIGIN: Nanos = 1_795_371_578_000_000_000;
    const MIN: Nanos = 60 * SECOND;

    fn store(yaml: &str) -> AlertStore {
        let scenario: AlertScenario = serde_norway::from_str(yaml).unwrap();
        AlertStore::new(&scenario.alerts, ORIGIN)
    }

    fn names(alerts: &[Alert]) -> Vec<&str> {
        alerts
            .iter()
            .map(|a| a.labels["alertname"].as_str())
            .collect()
    }

    #[test]
    fn the_timeline_fires_and_resolves_in_simulated_time() {
        let s = store(
            "alerts:\n  - labels: {alertname: HighCPUUsage, severity: warning}\n    fires_at: -12m\n  - labels: {alertname: HighErrorRate, severity: critical}\n    fires_at: 6m\n    resolves_at: 14m\n    expr: 'error_rate > 5'\n",
        );
        assert_eq!(names(&s.current(ORIGIN)), ["HighCPUUsage"]);
        let during = s.current(ORIGIN + 7 * MIN);
        assert_eq!(names(&during).len(), 2);
        let errors = during
            .iter()
            .find(|a| a.labels["alertname"] == "HighErrorRate")
            .unwrap();
        assert_eq!(errors.starts_at, ORIGIN + 6 * MIN);
        assert!(errors.ends_at > ORIGIN + 7 * MIN);
        assert_eq!(
            errors.generator_url,
            "http://prometheus.monitoring.svc:9090/graph?g0.expr=error_rate+%3E+5&g0.tab=1"
        );
        assert_eq!(names(&s.current(ORIGIN + 15 * MIN)), ["HighCPUUsage"]);
        let cpu = &s.current(ORIGIN + 3 * MIN)[0];
        assert_eq!(cpu.starts_at, ORIGIN - 12 * MIN);
    }

    #[test]
    fn repeating_alerts_fire_again_each_period() {
        let s = store(
            "alerts:\n  - labels: {alertname: Flappy}\n    fires_at: 1m\n    resolves_at: 2m\n    every: 10m\n",
        );
        assert!(s.current(ORIGIN + 90 * SECOND).len() == 1);
        assert!(s.current(ORIGIN + 5 * MIN).is_empty());
        let again = s.current(ORIGIN + 11 * MIN + SECOND);
        assert_eq!(again[0].starts_at, ORIGIN + 11 * MIN);
    }

    #[test]
    fn replicas_fill_in_their_index() {
        let s = store(
            "alerts:\n  - labels: {alertname: NodeDown, instance: 'node-{i}'}\n    replicas: 3\n",
        );
        let mut sorted: Vec<String> = s
            .current(ORIGIN)
            .iter()
            .map(|a| a.labels["instance"].clone())
            .collect();
        sorted.sort();
        assert_eq!(sorted, ["node-1", "node-2", "node-3"]);
    }

    #[test]
    fn pushed_alerts_time_out_merge_and_are_validated() {
        let mut s = store("");
        let labels: Labels = [("alertname".to_string(), "Pushed".to_string())]
            .into_iter()
            .collect();
        s.push(
            vec![PostedAlert {
                labels: labels.clone(),
                ..PostedAlert::default()
            }],
            ORIGIN,
        )
        .unwrap();
        let a = &s.current(ORIGIN)[0];
        assert_eq!(a.ends_at, ORIGIN + 5 * MIN, "resolve_timeout");
        s.push(
            vec![PostedAlert {
                labels: labels.clone(),
                ..PostedAlert::default()
            }],
            ORIGIN + MIN,
        )
        .unwrap();
        assert_eq!(
            s.current(ORIGIN + MIN)[0].starts_at,
            ORIGIN,
            "the earliest start is kept"
        );
        assert!(
            s.current(ORIGIN + 7 * MIN).is_empty(),
            "resolved by timeout"
        );
        let err = s
            .push(
                vec![
                    PostedAlert::default(),
                    PostedAlert {
                        labels: [("bad-name".to_string(), "x".to_string())]
                            .into_iter()
                            .collect(),
                        ..PostedAlert::default()
                    },
                ],
                ORIGIN,
            )
            .unwrap_err();
        assert_eq!(
            err,
            "at least one label pair required; invalid label set: invalid name \"bad-name\""
        );
    }

    #[test]
    fn silences_and_inhibitions_suppress() {
        let s = store(
            "alerts:\n  - labels: {alertname: DiskFull, instance: n1, severity: critical}\n  - labels: {alertname: DiskFull, instance: n1, severity: warning}\n  - labels: {alertname: HighCPUUsage, instance: n1, severity: warning}\n",
        );
        let mut silences = SilenceStore::new(1);
        let id = silences
            .set(
                PostedSilence {
                    id: None,
                    matchers: vec![Matcher::parse("alertname=HighCPUUsage").unwrap()],
                    starts_at: ORIGIN,
                    ends_at: ORIGIN + MIN,
                    created_by: "ci".into(),
                    comment: "test".into(),
                },
                ORIGIN,
            )
            .unwrap();
        let alerts = s.current(ORIGIN);
        let st = statuses(&alerts, &silences, ORIGIN);
        let by_name = |name: &str, sev: &str| {
            let i = alerts
                .iter()
                .position(|a| a.labels["alertname"] == name && a.labels["severity"] == sev)
                .unwrap();
            (&alerts[i], &st[i])
        };
        let (critical, critical_status) = by_name("DiskFull", "critical");
        assert_eq!(critical_status.state(), "active");
        let (_, warning_status) = by_name("DiskFull", "warning");
        assert_eq!(
            warning_status.inhibited_by,
            [format!("{:016x}", critical.fingerprint)]
        );
        assert_eq!(warning_status.state(), "suppressed");
        let (cpu, cpu_status) = by_name("HighCPUUsage", "warning");
        assert_eq!(cpu_status.silenced_by, [id]);
        let v = to_json(cpu, cpu_status);
        assert_eq!(v["status"]["state"], "suppressed");
        assert_eq!(v["receivers"][0]["name"], "ops-chat");
        assert!(v.get("generatorURL").is_none());
    }
}
