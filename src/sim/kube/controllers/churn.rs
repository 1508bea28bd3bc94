//! Background churn (the `big` scenario's steady stream of pod changes): containers
//! restart in place, and pods are deleted for their ReplicaSets to replace.

use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateRunning, ContainerStateTerminated, Pod,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use std::sync::Arc;

use super::{Env, lifecycle};
use crate::sim::kube::object::{Phase, StoredObject};
use crate::sim::kube::resources::Kind;
use crate::sim::kube::scenario::ChurnSpec;

/// How often a round runs (simulated seconds).
const ROUND_SECS: f64 = 0.1;

/// One round; returns the delay until the next.
pub fn round(env: &mut Env, spec: &ChurnSpec) -> f64 {
    let updates = count(env, spec.pod_updates_per_second * ROUND_SECS);
    let replacements = count(env, spec.pod_replacements_per_second * ROUND_SECS);
    let total = env.store.count(Kind::Pod);
    if total == 0 {
        return 1.0;
    }
    let mut picks: Vec<(usize, bool)> = (0..updates + replacements)
        .map(|i| (env.sched.rng.range(0, total as u64) as usize, i < updates))
        .collect();
    picks.sort_unstable_by_key(|&(at, _)| at);
    for (stored, update) in pods_at(env, &picks) {
        if update {
            if stored.summary.phase != Phase::Running || stored.summary.terminating {
                continue;
            }
            if let Ok(mut pod) = stored.parse::<Pod>() {
                restart_in_place(&mut pod, env.now);
                let _ = env.store.update(pod);
            }
            continue;
        }
        let owned_by_rs = stored.controller.as_ref().and_then(|c| c.kind) == Some(Kind::ReplicaSet);
        if owned_by_rs && !stored.summary.terminating {
            let _ = lifecycle::begin_deletion(
                env.store,
                Kind::Pod,
                stored.namespace(),
                stored.name(),
                None,
            );
        }
    }
    ROUND_SECS
}

/// The pods at the given positions of the store's order (sorted), each with its tag, in
/// one walk: stepping to each pick separately walked half of 50,000 pods per pick, a
/// hundred times a second.
fn pods_at<T: Copy>(env: &Env, picks: &[(usize, T)]) -> Vec<(Arc<StoredObject>, T)> {
    let mut out = Vec::with_capacity(picks.len());
    let mut wanted = picks.iter().peekable();
    for (at, stored) in env.store.list(Kind::Pod, None, None).enumerate() {
        while let Some(&&(pick, tag)) = wanted.peek()
            && pick == at
        {
            out.push((stored.clone(), tag));
            wanted.next();
        }
        if wanted.peek().is_none() {
            break;
        }
    }
    out
}

/// A whole number of actions averaging `expected`.
fn count(env: &mut Env, expected: f64) -> usize {
    let whole = expected.floor();
    let extra = usize::from(env.sched.rng.unit() < expected - whole);
    whole as usize + extra
}

/// The first container exits and is restarted at once (one MODIFIED event).
fn restart_in_place(pod: &mut Pod, now: jiff::Timestamp) {
    let Some(c) = pod
        .status
        .as_mut()
        .and_then(|s| s.container_statuses.as_mut())
        .and_then(|c| c.first_mut())
    else {
        return;
    };
    let started = c
        .state
        .as_ref()
        .and_then(|s| s.running.as_ref())
        .and_then(|r| r.started_at.clone());
    c.last_state = Some(ContainerState {
        terminated: Some(ContainerStateTerminated {
            exit_code: 137,
            reason: Some("Error".into()),
            started_at: started,
            finished_at: Some(Time(now)),
            container_id: c.container_id.clone(),
            ..ContainerStateTerminated::default()
        }),
        ..ContainerState::default()
    });
    c.state = Some(ContainerState {
        running: Some(ContainerStateRunning {
            started_at: Some(Time(now)),
        }),
        ..ContainerState::default()
    });
    c.restart_count += 1;
}
