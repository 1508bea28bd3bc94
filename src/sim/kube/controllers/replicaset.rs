//! The ReplicaSet controller: keep `spec.replicas` pods, replacing any that are deleted
//! or evicted, and report how many are ready.

use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetStatus};
use k8s_openapi::api::core::v1::PodTemplateSpec;

use super::build::{owner_ref, pod_from_template};
use super::events::{self, Involved, Source};
use super::{Env, lifecycle};
use crate::sim::kube::object::{Phase, StoredObject};
use crate::sim::kube::resources::Kind;
use std::sync::Arc;

/// At most this many pods are created or deleted per pass (the real controller's burst).
const BURST: usize = 500;

pub fn reconcile(env: &mut Env, namespace: &str, name: &str) {
    let Some(rs) = env.store.get_typed::<ReplicaSet>(namespace, name) else {
        return;
    };
    if rs.metadata.deletion_timestamp.is_some() {
        return;
    }
    let uid = rs.metadata.uid.clone().unwrap_or_default();
    let desired = rs.spec.replicas.unwrap_or(1).max(0) as usize;
    let pods = env.store.owned_by(Kind::Pod, &uid);
    let mut active: Vec<Arc<StoredObject>> = pods
        .iter()
        .filter(|p| !p.summary.terminating && !p.summary.phase.finished())
        .cloned()
        .collect();
    let template = Some(&rs.spec)
        .and_then(|s| s.template.clone())
        .unwrap_or_default();
    if active.len() < desired {
        for _ in 0..(desired - active.len()).min(BURST) {
            if let Some(created) = create_pod(env, &rs, &template, namespace) {
                active.push(created);
            }
        }
    } else if active.len() > desired {
        // Delete the least useful first: unscheduled, then pending, then unready, newest.
        active.sort_by_key(|p| {
            let rank = match (p.summary.node.is_some(), p.summary.phase, p.summary.ready) {
                (false, _, _) => 0,
                (_, Phase::Pending, _) => 1,
                (_, _, false) => 2,
                _ => 3,
            };
            (rank, std::cmp::Reverse(p.resource_version))
        });
        let excess = (active.len() - desired).min(BURST);
        for pod in active.drain(..excess) {
            if lifecycle::begin_deletion(env.store, Kind::Pod, namespace, pod.name(), None).is_ok()
            {
                let message = format!("Deleted pod: {}", pod.name());
                events::normal(
                    env,
                    Involved::of(&rs),
                    Source::Controller("replicaset-controller"),
                    "SuccessfulDelete",
                    &message,
                );
            }
        }
    }
    let ready = active.iter().filter(|p| p.summary.ready).count() as i32;
    let status = ReplicaSetStatus {
        replicas: active.len() as i32,
        fully_labeled_replicas: Some(active.len() as i32),
        ready_replicas: Some(ready),
        available_replicas: Some(ready),
        observed_generation: rs.metadata.generation,
        terminating_replicas: None,
        conditions: None,
    };
    if rs.status.as_ref() != Some(&status) {
        let mut updated = rs;
        updated.status = Some(status);
        let _ = env.store.update(updated);
    }
}

fn create_pod(
    env: &mut Env,
    rs: &ReplicaSet,
    template: &PodTemplateSpec,
    namespace: &str,
) -> Option<Arc<StoredObject>> {
    let rs_name = rs.metadata.name.clone().unwrap_or_default();
    // A few tries in case a generated name is taken.
    for _ in 0..3 {
        let name = format!("{rs_name}-{}", env.store.rng().suffix(5));
        if env.store.get(Kind::Pod, namespace, &name).is_some() {
            continue;
        }
        let pod = pod_from_template(template, namespace, &name, owner_ref(rs));
        if env.store.create(pod).is_ok() {
            let message = format!("Created pod: {name}");
            events::normal(
                env,
                Involved::of(rs),
                Source::Controller("replicaset-controller"),
                "SuccessfulCreate",
                &message,
            );
            return env.store.get(Kind::Pod, namespace, &name);
        }
    }
    None
}
