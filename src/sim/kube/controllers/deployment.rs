//! The Deployment controller: one ReplicaSet per template (named by the template hash,
//! numbered by `deployment.kubernetes.io/revision`), rolling updates paced by maxSurge and
//! maxUnavailable (or Recreate), rollbacks that revive an old ReplicaSet at a new
//! revision, a bounded revision history, and status with conditions — so `kubectl
//! rollout status|history|undo` behave as on a real cluster.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::build::{REVISION, TEMPLATE_HASH, replica_set_for, revision, template_hash};
use super::events::{self, Involved, Source};
use super::{Env, Timer};
use crate::sim::kube::resources::Kind;

const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";

fn replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.replicas.unwrap_or(0)
}

fn available(rs: &ReplicaSet) -> i32 {
    rs.status
        .as_ref()
        .and_then(|s| s.available_replicas)
        .unwrap_or(0)
}

fn hash_of(rs: &ReplicaSet) -> Option<&str> {
    rs.metadata
        .labels
        .as_ref()?
        .get(TEMPLATE_HASH)
        .map(String::as_str)
}

/// Resolve an int-or-percent against `total`, rounding up (surge) or down (unavailable).
fn resolve(value: Option<&IntOrString>, total: i32, round_up: bool) -> i32 {
    match value {
        Some(IntOrString::Int(n)) => *n,
        Some(IntOrString::String(s)) => {
            let percent: f64 = s.trim_end_matches('%').parse().unwrap_or(25.0);
            let exact = percent * f64::from(total) / 100.0;
            (if round_up {
                exact.ceil()
            } else {
                exact.floor()
            }) as i32
        }
        None => 0,
    }
}

pub fn reconcile(env: &mut Env, namespace: &str, name: &str) {
    let Some(deployment) = env.store.get_typed::<Deployment>(namespace, name) else {
        return;
    };
    if deployment.metadata.deletion_timestamp.is_some() {
        return;
    }
    let spec = deployment.spec.clone();
    let desired = spec.replicas.unwrap_or(1);
    let uid = deployment.metadata.uid.clone().unwrap_or_default();
    let mut sets: Vec<ReplicaSet> = env
        .store
        .owned_by(Kind::ReplicaSet, &uid)
        .iter()
        .filter_map(|o| o.parse().ok())
        .collect();
    sets.sort_by_key(|rs| revision(&rs.metadata));
    let hash = template_hash(&spec.template);
    let max_revision = sets
        .iter()
        .map(|rs| revision(&rs.metadata))
        .max()
        .unwrap_or(0);
    let paused = spec.paused == Some(true);
    let recreate = spec.strategy.as_ref().and_then(|s| s.type_.as_deref()) == Some("Recreate");
    let (max_surge, max_unavailable) = surge_and_unavailable(&deployment, desired);

    let mut created_new = false;
    let mut new_rs = match sets
        .iter()
        .position(|rs| hash_of(rs) == Some(hash.as_str()))
    {
        Some(i) => Some(sets.remove(i)),
        None if paused => None,
        None => {
            // The first ReplicaSet starts at full size; later ones grow as the rollout allows.
            let initial = if sets.iter().all(|rs| replicas(rs) == 0) && !recreate {
                desired
            } else {
                0
            };
            let rs = replica_set_for(&deployment, &hash, max_revision + 1, initial);
            let rs_name = rs.metadata.name.clone().unwrap_or_default();
            match env.store.create(rs) {
                Ok(rs) => {
                    created_new = true;
                    if initial > 0 {
                        scaled_event(env, &deployment, &rs_name, 0, initial);
                    }
                    Some(rs)
                }
                Err(_) => None,
            }
        }
    };
    let mut olds = sets;
    if let Some(rs) = new_rs.as_mut()
        && !paused
    {
        sync_new_annotations(env, &deployment, rs, max_revision, max_surge, desired);
    }

    if let Some(new) = new_rs.as_mut() {
        if paused {
            if olds.iter().all(|rs| replicas(rs) == 0) && replicas(new) != desired {
                set_replicas(env, &deployment, new, desired);
            }
        } else if recreate {
            if olds.iter().any(|rs| replicas(rs) > 0) {
                for rs in olds.iter_mut().filter(|rs| replicas(rs) > 0) {
                    set_replicas(env, &deployment, rs, 0);
                }
            } else if olds
                .iter()
                .all(|rs| rs.status.as_ref().is_none_or(|s| s.replicas == 0))
                && replicas(new) != desired
            {
                set_replicas(env, &deployment, new, desired);
            }
        } else {
            roll(
                env,
                &deployment,
                new,
                &mut olds,
                desired,
                max_surge,
                max_unavailable,
            );
        }
    }
    clean_up_history(env, &deployment, &olds);
    write_status(
        env,
        deployment,
        new_rs.as_ref(),
        &olds,
        desired,
        max_unavailable,
        created_new,
    );
}

fn surge_and_unavailable(deployment: &Deployment, desired: i32) -> (i32, i32) {
    let rolling = deployment
        .spec
        .strategy
        .as_ref()
        .and_then(|s| s.rolling_update.as_ref());
    let surge = resolve(rolling.and_then(|r| r.max_surge.as_ref()), desired, true);
    let unavailable = resolve(
        rolling.and_then(|r| r.max_unavailable.as_ref()),
        desired,
        false,
    );
    if surge == 0 && unavailable == 0 {
        (0, 1)
    } else {
        (surge, unavailable)
    }
}

/// The new ReplicaSet carries the newest revision (a rollback renumbers the revived one),
/// the Deployment's change-cause and its desired sizes.
fn sync_new_annotations(
    env: &mut Env,
    deployment: &Deployment,
    rs: &mut ReplicaSet,
    max_revision: i64,
    max_surge: i32,
    desired: i32,
) {
    let mut annotations = rs.metadata.annotations.clone().unwrap_or_default();
    let current = revision(&rs.metadata);
    if current < max_revision {
        let mut history: Vec<String> = annotations
            .get("deployment.kubernetes.io/revision-history")
            .map(|h| h.split(',').map(str::to_string).collect())
            .unwrap_or_default();
        history.push(current.to_string());
        annotations.insert(
            "deployment.kubernetes.io/revision-history".into(),
            history.join(","),
        );
        annotations.insert(REVISION.into(), (max_revision + 1).to_string());
    }
    match deployment
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(CHANGE_CAUSE))
    {
        Some(cause) => {
            annotations.insert(CHANGE_CAUSE.into(), cause.clone());
        }
        None => {
            annotations.remove(CHANGE_CAUSE);
        }
    }
    annotations.insert(
        "deployment.kubernetes.io/desired-replicas".into(),
        desired.to_string(),
    );
    annotations.insert(
        "deployment.kubernetes.io/max-replicas".into(),
        (desired + max_surge).to_string(),
    );
    if rs.metadata.annotations.as_ref() != Some(&annotations) {
        rs.metadata.annotations = Some(annotations);
        if let Ok(updated) = env.store.update(rs.clone()) {
            *rs = updated;
        }
    }
}

/// One step of a rolling update: grow the new ReplicaSet within maxSurge, shrink the old
/// ones within maxUnavailable.
fn roll(
    env: &mut Env,
    deployment: &Deployment,
    new: &mut ReplicaSet,
    olds: &mut [ReplicaSet],
    desired: i32,
    max_surge: i32,
    max_unavailable: i32,
) {
    let total = |new: &ReplicaSet, olds: &[ReplicaSet]| {
        replicas(new) + olds.iter().map(replicas).sum::<i32>()
    };
    if replicas(new) > desired {
        set_replicas(env, deployment, new, desired);
    } else if replicas(new) < desired {
        let room = desired + max_surge - total(new, olds);
        if room > 0 {
            let to = replicas(new) + room.min(desired - replicas(new));
            set_replicas(env, deployment, new, to);
        }
    }
    if olds.iter().all(|rs| replicas(rs) == 0) {
        return;
    }
    let min_available = desired - max_unavailable;
    let new_unavailable = replicas(new) - available(new);
    let mut budget = total(new, olds) - min_available - new_unavailable;
    if budget <= 0 {
        return;
    }
    // First the old pods that are not available anyway, oldest ReplicaSet first.
    for rs in olds.iter_mut() {
        if budget <= 0 {
            break;
        }
        let unhealthy = (replicas(rs) - available(rs)).max(0).min(budget);
        if unhealthy > 0 {
            let to = replicas(rs) - unhealthy;
            set_replicas(env, deployment, rs, to);
            budget -= unhealthy;
        }
    }
    // Then available ones, as far as availability allows.
    let available_total = available(new) + olds.iter().map(available).sum::<i32>();
    let mut scale_down = (available_total - min_available).min(budget);
    for rs in olds.iter_mut() {
        if scale_down <= 0 {
            break;
        }
        let by = replicas(rs).min(scale_down);
        if by > 0 {
            let to = replicas(rs) - by;
            set_replicas(env, deployment, rs, to);
            scale_down -= by;
        }
    }
}

fn set_replicas(env: &mut Env, deployment: &Deployment, rs: &mut ReplicaSet, to: i32) {
    let from = replicas(rs);
    if from == to {
        return;
    }
    rs.spec.replicas = Some(to);
    if let Ok(updated) = env.store.update(rs.clone()) {
        *rs = updated;
        let name = rs.metadata.name.clone().unwrap_or_default();
        scaled_event(env, deployment, &name, from, to);
    }
}

fn scaled_event(env: &mut Env, deployment: &Deployment, rs: &str, from: i32, to: i32) {
    let (direction, reason) = if to > from {
        ("up", "ScalingReplicaSet")
    } else {
        ("down", "ScalingReplicaSet")
    };
    let message = format!("Scaled {direction} replica set {rs} from {from} to {to}");
    events::normal(
        env,
        Involved::of(deployment),
        Source::Controller("deployment-controller"),
        reason,
        &message,
    );
}

/// Old ReplicaSets at zero beyond `revisionHistoryLimit` are deleted, oldest first.
fn clean_up_history(env: &mut Env, deployment: &Deployment, olds: &[ReplicaSet]) {
    let limit = deployment.spec.revision_history_limit.unwrap_or(10).max(0) as usize;
    let idle: Vec<&ReplicaSet> = olds
        .iter()
        .filter(|rs| replicas(rs) == 0 && rs.status.as_ref().is_none_or(|s| s.replicas == 0))
        .collect();
    if idle.len() > limit {
        for rs in &idle[..idle.len() - limit] {
            let namespace = rs.metadata.namespace.as_deref().unwrap_or_default();
            let name = rs.metadata.name.as_deref().unwrap_or_default();
            env.store.delete(Kind::ReplicaSet, namespace, name);
        }
    }
}

fn write_status(
    env: &mut Env,
    mut deployment: Deployment,
    new: Option<&ReplicaSet>,
    olds: &[ReplicaSet],
    desired: i32,
    max_unavailable: i32,
    created_new: bool,
) {
    let all: Vec<&ReplicaSet> = new.into_iter().chain(olds.iter()).collect();
    let status_of = |f: fn(&ReplicaSet) -> i32| all.iter().map(|rs| f(rs)).sum::<i32>();
    let replicas_total = status_of(|rs| rs.status.as_ref().map_or(0, |s| s.replicas));
    let ready = status_of(|rs| {
        rs.status
            .as_ref()
            .and_then(|s| s.ready_replicas)
            .unwrap_or(0)
    });
    let available_total = status_of(available);
    let updated = new
        .and_then(|rs| rs.status.as_ref())
        .map_or(0, |s| s.replicas);
    let spec_total = status_of(replicas);
    let old = deployment.status.clone().unwrap_or_default();
    let mut status = DeploymentStatus {
        observed_generation: deployment.metadata.generation,
        replicas: Some(replicas_total),
        updated_replicas: Some(updated),
        ready_replicas: Some(ready),
        available_replicas: Some(available_total),
        unavailable_replicas: Some((spec_total.max(desired) - available_total).max(0)),
        conditions: old.conditions.clone(),
        collision_count: None,
        terminating_replicas: None,
    };
    let now = Time(env.now);
    let rs_name = new
        .and_then(|rs| rs.metadata.name.clone())
        .unwrap_or_default();
    let mut conditions: BTreeMap<String, DeploymentCondition> = old
        .conditions
        .unwrap_or_default()
        .into_iter()
        .map(|c| (c.type_.clone().unwrap_or_default(), c))
        .collect();
    let is_available = available_total >= desired - max_unavailable;
    set(
        &mut conditions,
        "Available",
        is_available,
        if is_available {
            "MinimumReplicasAvailable"
        } else {
            "MinimumReplicasUnavailable"
        },
        if is_available {
            "Deployment has minimum availability.".to_string()
        } else {
            "Deployment does not have minimum availability.".to_string()
        },
        &now,
        false,
    );
    let complete = updated == desired
        && replicas_total == desired
        && available_total == desired
        && new.is_some();
    let progressed = status.replicas != old.replicas
        || status.updated_replicas != old.updated_replicas
        || status.available_replicas != old.available_replicas
        || status.ready_replicas != old.ready_replicas;
    let deadline = deployment.spec.progress_deadline_seconds.unwrap_or(600);
    let paused = deployment.spec.paused == Some(true);
    let (ok, reason, message) = if paused {
        (true, "DeploymentPaused", "Deployment is paused".to_string())
    } else if complete {
        (
            true,
            "NewReplicaSetAvailable",
            format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
        )
    } else if created_new {
        (
            true,
            "NewReplicaSetCreated",
            format!("Created new replica set \"{rs_name}\""),
        )
    } else {
        let last = conditions
            .get("Progressing")
            .and_then(|c| c.last_update_time.as_ref())
            .map(|t| env.cluster.clock.map().secs_at(t.0));
        let stuck = !progressed && last.is_some_and(|t| env.secs - t > f64::from(deadline));
        if stuck {
            (
                false,
                "ProgressDeadlineExceeded",
                format!("ReplicaSet \"{rs_name}\" has timed out progressing."),
            )
        } else {
            (
                true,
                "ReplicaSetUpdated",
                format!("ReplicaSet \"{rs_name}\" is progressing."),
            )
        }
    };
    set(
        &mut conditions,
        "Progressing",
        ok,
        reason,
        message,
        &now,
        progressed || created_new,
    );
    status.conditions = Some(
        ["Available", "Progressing"]
            .iter()
            .filter_map(|k| conditions.remove(*k))
            .collect(),
    );
    let mut annotations = deployment.metadata.annotations.clone().unwrap_or_default();
    if let Some(rs) = new {
        annotations.insert(REVISION.into(), revision(&rs.metadata).to_string());
    }
    let annotations_changed = deployment.metadata.annotations.as_ref() != Some(&annotations);
    if deployment.status.as_ref() != Some(&status) || annotations_changed {
        let key = format!(
            "{}/{}",
            deployment.metadata.namespace.as_deref().unwrap_or_default(),
            deployment.metadata.name.as_deref().unwrap_or_default()
        );
        deployment.status = Some(status);
        deployment.metadata.annotations = Some(annotations);
        if env.store.update(deployment).is_ok() && !complete && ok {
            // Look again when the progress deadline would pass.
            // Rounded, so the many writes of one rollout share one timer.
            env.sched.once(
                (env.secs + f64::from(deadline) + 1.0).ceil(),
                Timer::Reconcile(Kind::Deployment, key.into()),
            );
        }
    }
}

/// Set a condition; its transition time moves only when its status changes, its update
/// time when it changes at all or progress was made.
fn set(
    conditions: &mut BTreeMap<String, DeploymentCondition>,
    kind: &str,
    ok: bool,
    reason: &str,
    message: String,
    now: &Time,
    progressed: bool,
) {
    let status = if ok { "True" } else { "False" };
    let entry = conditions
        .entry(kind.to_string())
        .or_insert_with(|| DeploymentCondition {
            type_: Some(kind.to_string()),
            status: Some(status.to_string()),
            last_transition_time: Some(now.clone()),
            last_update_time: Some(now.clone()),
            reason: None,
            message: None,
        });
    let changed =
        entry.status.as_deref() != Some(status) || entry.reason.as_deref() != Some(reason);
    if entry.status.as_deref() != Some(status) {
        entry.last_transition_time = Some(now.clone());
    }
    if changed || progressed {
        entry.last_update_time = Some(now.clone());
    }
    entry.status = Some(status.to_string());
    entry.reason = Some(reason.to_string());
    entry.message = Some(message);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_as_kubernetes_does() {
        let pct = IntOrString::String("25%".into());
        assert_eq!(resolve(Some(&pct), 3, true), 1);
        assert_eq!(resolve(Some(&pct), 3, false), 0);
        assert_eq!(resolve(Some(&IntOrString::Int(2)), 3, false), 2);
    }
}
