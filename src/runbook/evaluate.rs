//! Evaluating a wait [`Condition`] over the fleet, live, as the store changes.
//!
//! Three answers, never a guess: it holds; not yet (and why, for the step's status line);
//! or unknown, when the fleet cannot say (the source is stale, the name is ambiguous) —
//! a wait must not pass because a table failed to load.

use super::condition::{Condition, KubeTarget, Outcome};
use super::template::{Params, Template};
use crate::model::{
    ContainerRunState, ContainerState, HealthCheck, KubeKind, PodPhase, SourceHealth, SourceKind,
    Workload,
};
use crate::store::Fleet;

/// What a condition's evaluation says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConditionState {
    Holds,
    /// Not yet, with what is still missing (`2/3 ready`).
    NotYet(String),
    /// The fleet cannot tell, and why.
    Unknown(String),
}

/// Evaluate `condition` with its placeholders filled from `params`.
pub fn evaluate(condition: &Condition, fleet: &Fleet, params: &Params) -> ConditionState {
    let fill = |t: &Template| t.render(params);
    match condition {
        Condition::RolledOut(target) => with_workload(fleet, target, params, |w| {
            let settled = w.observed_generation >= w.generation;
            if settled && w.updated >= w.desired && w.available >= w.desired && w.ready >= w.desired
            {
                ConditionState::Holds
            } else if !settled {
                ConditionState::NotYet("the controller has not seen the change yet".into())
            } else {
                ConditionState::NotYet(format!(
                    "{}/{} updated, {} ready, {} available",
                    w.updated, w.desired, w.ready, w.available
                ))
            }
        }),
        Condition::ReadyAtLeast { target, count } => with_workload(fleet, target, params, |w| {
            if w.ready >= *count {
                ConditionState::Holds
            } else {
                ConditionState::NotYet(format!("{}/{count} ready", w.ready))
            }
        }),
        Condition::Pod { target, ready } => pod(fleet, target, params, *ready),
        Condition::Job {
            target,
            prefix,
            outcome,
        } => {
            let name = fill(&target.name);
            let jobs = |w: &Workload| {
                if *prefix {
                    w.id.name.starts_with(&name)
                } else {
                    w.id.name == name
                }
            };
            newest_job(fleet, target, params, jobs, *outcome)
        }
        Condition::CronJob { target, outcome } => {
            let name = fill(&target.name);
            let owned = |w: &Workload| {
                w.owner
                    .as_ref()
                    .is_some_and(|o| o.kind == "CronJob" && o.name == name)
            };
            newest_job(fleet, target, params, owned, *outcome)
        }
        Condition::Container {
            name,
            host,
            healthy,
        } => container(fleet, &fill(name), host.as_ref().map(fill), *healthy),
        Condition::NodeReady { name, context } => {
            node(fleet, &fill(name), context.as_ref().map(fill))
        }
        Condition::Alert {
            name,
            namespace,
            resolved,
        } => alert(fleet, &fill(name), namespace.as_ref().map(fill), *resolved),
    }
}

/// Why a source cannot be believed now, if it cannot.
fn untrusted(fleet: &Fleet, kind: SourceKind, name: &str) -> Option<String> {
    let health = fleet
        .sources
        .iter()
        .find_map(|(key, health)| (key.kind == kind && key.name == name).then_some(health))?;
    match health {
        SourceHealth::Live => None,
        SourceHealth::Connecting => Some(format!("{name} is still connecting")),
        SourceHealth::Stale { since, error } => {
            Some(format!("{name} is stale since {since}: {error}"))
        }
        SourceHealth::Forbidden { what } => Some(format!("{name}: {what} is forbidden")),
        SourceHealth::Unavailable { error } => Some(format!("{name} is unavailable: {error}")),
    }
}

fn where_text(namespace: Option<&str>, context: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(ns) = namespace {
        out.push_str(&format!(" in {ns}"));
    }
    if let Some(ctx) = context {
        out.push_str(&format!(" @{ctx}"));
    }
    out
}

/// The one workload `target` names, or why there is not exactly one.
fn find_workload<'a>(
    fleet: &'a Fleet,
    target: &KubeTarget,
    params: &Params,
    matches: impl Fn(&Workload) -> bool,
) -> Result<Vec<&'a Workload>, ConditionState> {
    let namespace = target.namespace.as_ref().map(|t| t.render(params));
    let context = target.context.as_ref().map(|t| t.render(params));
    if fleet.contexts.is_empty() {
        return Err(ConditionState::Unknown(
            "no Kubernetes context is connected".into(),
        ));
    }
    if let Some(ctx) = &context {
        if !fleet.contexts.contains_key(ctx) {
            return Err(ConditionState::Unknown(format!(
                "context {ctx} is not connected"
            )));
        }
        if let Some(why) = untrusted(fleet, SourceKind::Kubernetes, ctx) {
            return Err(ConditionState::Unknown(why));
        }
    }
    let found: Vec<&Workload> = fleet
        .workloads
        .values()
        .filter(|w| {
            namespace.as_ref().is_none_or(|n| &w.id.namespace == n)
                && context.as_ref().is_none_or(|c| &w.id.context == c)
        })
        .filter(|w| matches(w))
        .collect();
    // A stale context could be hiding the object, or showing an old state of it.
    for w in &found {
        if let Some(why) = untrusted(fleet, SourceKind::Kubernetes, &w.id.context) {
            return Err(ConditionState::Unknown(why));
        }
    }
    if found.is_empty() {
        return Err(ConditionState::NotYet(format!(
            "no {}/{}{} in the fleet yet",
            target.kind.short(),
            target.name.render(params),
            where_text(namespace.as_deref(), context.as_deref())
        )));
    }
    Ok(found)
}

fn with_workload(
    fleet: &Fleet,
    target: &KubeTarget,
    params: &Params,
    judge: impl Fn(&Workload) -> ConditionState,
) -> ConditionState {
    let name = target.name.render(params);
    let found = match find_workload(fleet, target, params, |w| {
        w.id.kind == target.kind && w.id.name == name
    }) {
        Ok(found) => found,
        Err(state) => return state,
    };
    match found.as_slice() {
        [one] => judge(one),
        many => ambiguous(
            target.kind,
            &name,
            many.iter().map(|w| (&*w.id.namespace, &*w.id.context)),
        ),
    }
}

fn ambiguous<'a>(
    kind: KubeKind,
    name: &str,
    places: impl Iterator<Item = (&'a str, &'a str)>,
) -> ConditionState {
    let places: Vec<String> = places.map(|(ns, ctx)| format!("{ns}@{ctx}")).collect();
    ConditionState::Unknown(format!(
        "{}/{name} is ambiguous ({}): add -n NAMESPACE or @CONTEXT",
        kind.short(),
        places.join(", ")
    ))
}

fn newest_job(
    fleet: &Fleet,
    target: &KubeTarget,
    params: &Params,
    chosen: impl Fn(&Workload) -> bool,
    outcome: Outcome,
) -> ConditionState {
    let found = match find_workload(fleet, target, params, |w| {
        w.id.kind == KubeKind::Job && chosen(w)
    }) {
        Ok(found) => found,
        Err(state) => return state,
    };
    let contexts: std::collections::BTreeSet<(&str, &str)> = found
        .iter()
        .map(|w| (w.id.namespace.as_str(), w.id.context.as_str()))
        .collect();
    if contexts.len() > 1 {
        return ambiguous(
            target.kind,
            &target.name.render(params),
            contexts.into_iter(),
        );
    }
    // Found is not empty: find_workload says NotYet otherwise.
    let Some(job) = found.into_iter().max_by(|a, b| {
        a.created
            .cmp(&b.created)
            .then_with(|| a.id.name.cmp(&b.id.name))
    }) else {
        return ConditionState::NotYet("no job yet".into());
    };
    let info = job.job.clone().unwrap_or_default();
    let succeeded = info.succeeded >= info.completions.max(1);
    let failed = !succeeded && info.failed > 0 && info.active == 0;
    let name = &job.id.name;
    match (outcome, succeeded, failed) {
        (Outcome::Succeeded, true, _) | (Outcome::Failed, _, true) => ConditionState::Holds,
        (Outcome::Succeeded, _, true) => ConditionState::NotYet(format!("job {name} failed")),
        (Outcome::Failed, true, _) => ConditionState::NotYet(format!("job {name} succeeded")),
        _ => ConditionState::NotYet(format!(
            "job {name}: {} active, {}/{} succeeded",
            info.active,
            info.succeeded,
            info.completions.max(1)
        )),
    }
}

fn pod(fleet: &Fleet, target: &KubeTarget, params: &Params, want_ready: bool) -> ConditionState {
    let name = target.name.render(params);
    let namespace = target.namespace.as_ref().map(|t| t.render(params));
    let context = target.context.as_ref().map(|t| t.render(params));
    if fleet.contexts.is_empty() {
        return ConditionState::Unknown("no Kubernetes context is connected".into());
    }
    let found: Vec<_> = fleet
        .pods
        .values()
        .filter(|p| {
            p.id.name == name
                && namespace.as_ref().is_none_or(|n| &p.id.namespace == n)
                && context.as_ref().is_none_or(|c| &p.id.context == c)
        })
        .collect();
    let pod = match found.as_slice() {
        [one] => *one,
        [] => {
            return ConditionState::NotYet(format!(
                "no pod/{name}{} yet",
                where_text(namespace.as_deref(), context.as_deref())
            ));
        }
        many => {
            return ambiguous(
                KubeKind::Pod,
                &name,
                many.iter().map(|p| (&*p.id.namespace, &*p.id.context)),
            );
        }
    };
    if let Some(why) = untrusted(fleet, SourceKind::Kubernetes, &pod.id.context) {
        return ConditionState::Unknown(why);
    }
    if pod.deleting {
        return ConditionState::NotYet(format!("pod/{name} is terminating"));
    }
    if pod.phase != PodPhase::Running {
        return ConditionState::NotYet(format!("pod/{name} is {}", pod.phase.label()));
    }
    // A crash-looping pod is phase Running with a container waiting: not running.
    if let Some(c) = pod
        .containers
        .iter()
        .find(|c| !matches!(c.state, ContainerState::Running { .. }))
    {
        let state = match &c.state {
            ContainerState::Waiting { reason } => format!("waiting: {reason}"),
            ContainerState::Terminated { reason, .. } => format!("terminated: {reason}"),
            ContainerState::Running { .. } => unreachable!("filtered above"),
        };
        return ConditionState::NotYet(format!("container {} is {state}", c.name));
    }
    if want_ready && let Some(c) = pod.containers.iter().find(|c| !c.ready) {
        return ConditionState::NotYet(format!("container {} is not ready", c.name));
    }
    ConditionState::Holds
}

fn container(fleet: &Fleet, name: &str, host: Option<String>, healthy: bool) -> ConditionState {
    let found: Vec<_> = fleet
        .containers
        .values()
        .filter(|c| {
            (c.name == name || c.id.id.starts_with(name))
                && host.as_ref().is_none_or(|h| &c.id.host == h)
        })
        .collect();
    let c = match found.as_slice() {
        [one] => *one,
        [] if !fleet.sources.keys().any(|k| k.kind == SourceKind::Docker)
            && fleet.containers.is_empty() =>
        {
            return ConditionState::Unknown("no Docker Engine is connected".into());
        }
        [] => return ConditionState::NotYet(format!("no container {name} yet")),
        many => {
            let hosts: Vec<&str> = many.iter().map(|c| c.id.host.as_str()).collect();
            return ConditionState::Unknown(format!(
                "ctr/{name} is ambiguous (on {}): add @HOST",
                hosts.join(", ")
            ));
        }
    };
    if let Some(why) = untrusted(fleet, SourceKind::Docker, &c.id.host) {
        return ConditionState::Unknown(why);
    }
    if c.state != ContainerRunState::Running {
        return ConditionState::NotYet(format!("{name} is {}", c.state.label()));
    }
    if healthy {
        match c.health_check {
            Some(HealthCheck::Healthy) | None => {}
            Some(HealthCheck::Starting) => {
                return ConditionState::NotYet(format!("{name}'s health check is starting"));
            }
            Some(HealthCheck::Unhealthy) => {
                return ConditionState::NotYet(format!("{name} is unhealthy"));
            }
        }
    }
    ConditionState::Holds
}

fn node(fleet: &Fleet, name: &str, context: Option<String>) -> ConditionState {
    if fleet.contexts.is_empty() {
        return ConditionState::Unknown("no Kubernetes context is connected".into());
    }
    let found: Vec<_> = fleet
        .nodes
        .values()
        .filter(|n| n.name == name && context.as_ref().is_none_or(|c| &n.context == c))
        .collect();
    let n = match found.as_slice() {
        [one] => *one,
        [] => return ConditionState::NotYet(format!("no node/{name} yet")),
        many => {
            return ambiguous(
                KubeKind::Node,
                name,
                many.iter().map(|n| ("", n.context.as_str())),
            );
        }
    };
    if let Some(why) = untrusted(fleet, SourceKind::Kubernetes, &n.context) {
        return ConditionState::Unknown(why);
    }
    match n.ready {
        Some(true) => ConditionState::Holds,
        Some(false) => ConditionState::NotYet(format!("node/{name} is NotReady")),
        None => ConditionState::Unknown(format!("node/{name} reports no Ready condition")),
    }
}

fn alert(fleet: &Fleet, name: &str, namespace: Option<String>, resolved: bool) -> ConditionState {
    // An alert missing from a stale Alertmanager's list is not a resolved alert.
    let sources: Vec<&str> = fleet
        .sources
        .keys()
        .filter(|k| k.kind == SourceKind::Alertmanager)
        .map(|k| k.name.as_str())
        .collect();
    for source in &sources {
        if let Some(why) = untrusted(fleet, SourceKind::Alertmanager, source) {
            return ConditionState::Unknown(why);
        }
    }
    if sources.is_empty() && fleet.alerts.is_empty() {
        return ConditionState::Unknown("no Alertmanager is connected".into());
    }
    let active = fleet
        .alerts
        .values()
        .filter(|a| {
            a.name() == name
                && namespace
                    .as_ref()
                    .is_none_or(|n| a.labels.get("namespace") == Some(n))
        })
        .count();
    match (resolved, active) {
        (true, 0) | (false, 1..) => ConditionState::Holds,
        (true, n) => ConditionState::NotYet(format!(
            "{name} is still active ({n} alert{})",
            if n == 1 { "" } else { "s" }
        )),
        (false, _) => ConditionState::NotYet(format!("{name} is not firing")),
    }
}
