//! An incident's scope: where the trouble is, as alert labels, and which alerts and
//! operations therefore belong to it.
//!
//! The rule is "any of", on purpose. An incident declared from `HighErrorRate
//! {namespace=shop, service=api}` is fixed by restarting the database behind the API
//! (`sim-prod/shop/sts/postgres`), not the API itself; a postmortem missing that action
//! would be worse than one holding a neighbour's. So:
//!
//! - an **alert** belongs when it is the incident's own alert, or shares any scope label
//!   with the same value (`namespace=shop` brings in `KubePodCrashLooping` of
//!   `postgres-0`); with an empty scope every alert belongs except `severity=none` ones
//!   (Watchdog-style heartbeats, which fire forever);
//! - an **operation** (an audit target such as `ctx/ns/kind/name`, `host/ctr/name`,
//!   `ctx/node/name`, `place/alerts/name`) belongs when its namespace equals the scope's
//!   `namespace`, or its name or place (context or Docker host) equals the value of any
//!   other scope label (`instance` without its `:port`), or it silences the incident's
//!   own alert; with an empty scope every operation belongs. Time and explicit links are
//!   [`super::audit_merge`]'s part.

use std::collections::BTreeMap;

use crate::model::{Alert, Severity as AlertSeverity};

/// The labels that say where something is. Not `job` or `severity`: they would join
/// unrelated alerts (every kube-state-metrics alert shares `job`).
pub const SCOPE_LABELS: [&str; 10] = [
    "namespace",
    "deployment",
    "statefulset",
    "daemonset",
    "service",
    "pod",
    "container",
    "instance",
    "node",
    "host",
];

/// The scope labels of `alert`.
pub fn scope_of(alert: &Alert) -> BTreeMap<String, String> {
    alert
        .labels
        .iter()
        .filter(|(k, v)| SCOPE_LABELS.contains(&k.as_str()) && !v.is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Whether `alert` belongs to an incident with this scope (its own alert is matched by
/// the caller, by fingerprint).
pub fn alert_in_scope(scope: &BTreeMap<String, String>, alert: &Alert) -> bool {
    if scope.is_empty() {
        return alert.severity() != AlertSeverity::None;
    }
    scope
        .iter()
        .any(|(key, value)| alert.labels.get(key) == Some(value))
}

/// An audit target split into its parts: `[place/][namespace/]kind/name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetParts<'a> {
    /// The Kubernetes context, Docker host or Alertmanager.
    pub place: Option<&'a str>,
    pub namespace: Option<&'a str>,
    /// `deploy`, `sts`, `pod`, `node`, `ctr`, `schedule`, `alerts` …
    pub kind: Option<&'a str>,
    pub name: &'a str,
}

impl<'a> TargetParts<'a> {
    /// Read the shapes `Operation::target_path` writes; anything else is all name.
    pub fn parse(target: &'a str) -> TargetParts<'a> {
        let segments: Vec<&str> = target.split('/').collect();
        match segments.as_slice() {
            [place, namespace, kind, name] => TargetParts {
                place: Some(place),
                namespace: Some(namespace),
                kind: Some(kind),
                name,
            },
            [place, kind, name] => TargetParts {
                place: Some(place),
                namespace: None,
                kind: Some(kind),
                name,
            },
            [kind, name] => TargetParts {
                place: None,
                namespace: None,
                kind: Some(kind),
                name,
            },
            _ => TargetParts {
                place: None,
                namespace: None,
                kind: None,
                name: target,
            },
        }
    }
}

/// Whether an operation on `target` belongs to an incident with this scope, declared
/// from an alert named `alertname` (if any).
pub fn target_in_scope(
    scope: &BTreeMap<String, String>,
    alertname: Option<&str>,
    target: &str,
) -> bool {
    if scope.is_empty() {
        return true;
    }
    let parts = TargetParts::parse(target);
    let silences_own_alert =
        parts.kind == Some("alerts") && alertname.is_some_and(|name| name == parts.name);
    silences_own_alert
        || scope.iter().any(|(key, value)| match key.as_str() {
            "namespace" => parts.namespace == Some(value.as_str()),
            "instance" => {
                let host = strip_port(value);
                parts.name == host || parts.place == Some(host)
            }
            _ => parts.name == value || parts.place == Some(value.as_str()),
        })
}

/// `host:9100` → `host`; `[::1]:9100` → `[::1]`; a value without a port is unchanged.
fn strip_port(instance: &str) -> &str {
    match instance.rsplit_once(':') {
        Some((host, port))
            if !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && (!host.contains(':') || host.ends_with(']')) =>
        {
            host
        }
        _ => instance,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn targets_match_by_namespace_name_or_place() {
        let s = scope(&[
            ("namespace", "shop"),
            ("service", "api"),
            ("instance", "shop-app-1:8000"),
        ]);
        let yes = [
            "sim-prod/shop/sts/postgres",
            "sim-prod/web/deploy/api",
            "shop-docker-01/ctr/shop-app-1",
            "sim-prod/alerts/HighErrorRate",
        ];
        for target in yes {
            assert!(
                target_in_scope(&s, Some("HighErrorRate"), target),
                "{target}"
            );
        }
        let no = [
            "sim-prod/web/deploy/frontend",
            "sim-prod/node/prod-node-2",
            "shop-docker-01/ctr/shop-db-1",
            "sim-prod/alerts/Watchdog",
        ];
        for target in no {
            assert!(
                !target_in_scope(&s, Some("HighErrorRate"), target),
                "{target}"
            );
        }
        assert!(target_in_scope(&BTreeMap::new(), None, "anything/at/all"));
        let host = scope(&[("instance", "shop-docker-01")]);
        assert!(target_in_scope(&host, None, "shop-docker-01/ctr/shop-db-1"));
    }

    #[test]
    fn ports_are_stripped_from_instances_only_when_they_are_ports() {
        assert_eq!(strip_port("node-1:9100"), "node-1");
        assert_eq!(strip_port("[::1]:9100"), "[::1]");
        assert_eq!(strip_port("fe80::1"), "fe80::1");
        assert_eq!(strip_port("node-1"), "node-1");
    }
}
