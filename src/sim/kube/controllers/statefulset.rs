//! The StatefulSet controller: pods `<name>-0…<name>-N-1`, created in order, each waiting
//! for the one before to be ready (OrderedReady), or all at once (Parallel); scale-down
//! from the highest ordinal; rolling updates from the highest ordinal down to the
//! partition, one pod at a time; ControllerRevisions for history.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetStatus};

use super::build::{owner_ref, pod_from_template};
use super::events::{self, Involved, Source};
use super::{Env, lifecycle, revisions};
use crate::sim::kube::object::StoredObject;
use crate::sim::kube::resources::Kind;

const REVISION_LABEL: &str = "controller-revision-hash";

/// A pod of the set, as stored.
type SetPod = Arc<StoredObject>;

/// Every pod ready and none terminating: what OrderedReady waits for before each step.
fn all_ready(pods: &BTreeMap<usize, SetPod>) -> bool {
    pods.values()
        .all(|p| p.summary.ready && !p.summary.terminating)
}

pub fn reconcile(env: &mut Env, namespace: &str, name: &str) {
    let Some(sts) = env.store.get_typed::<StatefulSet>(namespace, name) else {
        return;
    };
    if sts.metadata.deletion_timestamp.is_some() {
        return;
    }
    let spec = sts.spec.clone();
    let desired = spec.replicas.unwrap_or(1).max(0) as usize;
    let update = revisions::ensure(
        env,
        &sts,
        &spec.template,
        spec.selector.match_labels.clone(),
    );
    let status = sts.status.clone().unwrap_or_default();
    let current_revision = status
        .current_revision
        .clone()
        .unwrap_or_else(|| update.name.clone());
    let uid = sts.metadata.uid.clone().unwrap_or_default();
    // Pods by ordinal.
    let mut pods: BTreeMap<usize, SetPod> = BTreeMap::new();
    for pod in env.store.owned_by(Kind::Pod, &uid) {
        if let Some(ordinal) = pod.name().rsplit('-').next().and_then(|o| o.parse().ok()) {
            pods.insert(ordinal, pod);
        }
    }
    let partition = spec
        .update_strategy
        .as_ref()
        .and_then(|s| s.rolling_update.as_ref())
        .and_then(|r| r.partition)
        .unwrap_or(0)
        .max(0) as usize;
    let on_delete = spec
        .update_strategy
        .as_ref()
        .and_then(|s| s.type_.as_deref())
        == Some("OnDelete");
    let ordered = spec.pod_management_policy.as_deref() != Some("Parallel");
    let missing: Vec<usize> = (0..desired).filter(|i| !pods.contains_key(i)).collect();
    let surplus: Vec<&SetPod> = pods.range(desired..).rev().map(|(_, p)| p).collect();
    if !missing.is_empty() || !surplus.is_empty() {
        if ordered {
            scale_in_order(env, &sts, &pods, &missing, &surplus, &update.name);
        } else {
            scale_at_once(env, &sts, &missing, &surplus, &update.name);
        }
    } else if !on_delete && (!ordered || all_ready(&pods)) {
        // OrderedReady touches nothing while any pod is not ready (the controller stops at
        // the first such pod before it reaches the update), so a crash-looping pod blocks
        // the rollout; Parallel goes on to the update, which replaces it too.
        update_next(env, &sts, &pods, partition, &update.name);
    }
    let count = |f: &dyn Fn(&StoredObject) -> bool| pods.values().filter(|p| f(p)).count() as i32;
    let replicas = count(&|p| !p.summary.terminating);
    let ready = count(&|p| p.summary.ready);
    let updated =
        count(&|p| p.label(REVISION_LABEL) == Some(update.name.as_str()) && !p.summary.terminating);
    let current = count(&|p| {
        p.label(REVISION_LABEL) == Some(current_revision.as_str()) && !p.summary.terminating
    });
    // The update is complete when every wanted pod runs the update revision and is ready.
    let done = updated as usize == desired && ready as usize == desired;
    let (current_revision, current) = if done {
        (update.name.clone(), updated)
    } else {
        (current_revision, current)
    };
    let new_status = StatefulSetStatus {
        observed_generation: sts.metadata.generation,
        replicas,
        ready_replicas: Some(ready),
        available_replicas: Some(ready),
        current_replicas: Some(current),
        updated_replicas: Some(updated),
        current_revision: Some(current_revision.clone()),
        update_revision: Some(update.name.clone()),
        collision_count: Some(0),
        conditions: None,
    };
    let limit = spec.revision_history_limit.unwrap_or(10).max(0) as usize;
    revisions::clean_up(env, &sts, limit, &[&update.name, &current_revision]);
    if sts.status.as_ref() != Some(&new_status) {
        let mut sts = sts;
        sts.status = Some(new_status);
        let _ = env.store.update(sts);
    }
}

/// OrderedReady scaling, one step per pass: create the first missing pod once every pod
/// before it is ready, or remove the highest surplus one once all are ready.
fn scale_in_order(
    env: &mut Env,
    sts: &StatefulSet,
    pods: &BTreeMap<usize, SetPod>,
    missing: &[usize],
    surplus: &[&SetPod],
    revision: &str,
) {
    if let Some(&ordinal) = missing.first() {
        let blocked = pods
            .range(..ordinal)
            .any(|(_, p)| !p.summary.ready || p.summary.terminating);
        if !blocked {
            create_pod(env, sts, ordinal, revision);
        }
    } else if let Some(pod) = surplus.first()
        && all_ready(pods)
        && !pod.summary.terminating
    {
        delete_pod(env, sts, pod.name());
    }
}

/// Parallel scaling: every missing pod created and every surplus one removed at once,
/// whatever state the others are in.
fn scale_at_once(
    env: &mut Env,
    sts: &StatefulSet,
    missing: &[usize],
    surplus: &[&SetPod],
    revision: &str,
) {
    for &ordinal in missing {
        create_pod(env, sts, ordinal, revision);
    }
    for pod in surplus.iter().filter(|p| !p.summary.terminating) {
        delete_pod(env, sts, pod.name());
    }
}

/// The rolling update's next step, taken as the StatefulSet controller takes it: from the
/// highest ordinal down to the partition, delete the first pod on an old revision whether
/// or not it is healthy, but stop at one that is not healthy yet (the replacement still
/// starting), so pods are replaced one at a time.
fn update_next(
    env: &mut Env,
    sts: &StatefulSet,
    pods: &BTreeMap<usize, SetPod>,
    partition: usize,
    revision: &str,
) {
    for (_, pod) in pods.range(partition..).rev() {
        if pod.label(REVISION_LABEL) != Some(revision) && !pod.summary.terminating {
            delete_pod(env, sts, pod.name());
            return;
        }
        if !pod.summary.ready || pod.summary.terminating {
            return;
        }
    }
}

/// Delete a pod of the set (it terminates; a replacement follows once it is gone).
fn delete_pod(env: &mut Env, sts: &StatefulSet, pod_name: &str) {
    let namespace = sts.metadata.namespace.as_deref().unwrap_or_default();
    let name = sts.metadata.name.as_deref().unwrap_or_default();
    if lifecycle::begin_deletion(env.store, Kind::Pod, namespace, pod_name, None).is_ok() {
        let message = format!("delete Pod {pod_name} in StatefulSet {name} successful");
        events::normal(
            env,
            Involved::of(sts),
            Source::Controller("statefulset-controller"),
            "SuccessfulDelete",
            &message,
        );
    }
}

fn create_pod(env: &mut Env, sts: &StatefulSet, ordinal: usize, revision: &str) {
    let spec = sts.spec.clone();
    let namespace = sts.metadata.namespace.clone().unwrap_or_default();
    let sts_name = sts.metadata.name.clone().unwrap_or_default();
    let name = format!("{sts_name}-{ordinal}");
    let mut pod = pod_from_template(&spec.template, &namespace, &name, owner_ref(sts));
    pod.metadata.generate_name = None;
    let labels = pod.metadata.labels.get_or_insert_with(BTreeMap::new);
    labels.insert(REVISION_LABEL.into(), revision.into());
    labels.insert("statefulset.kubernetes.io/pod-name".into(), name.clone());
    labels.insert("apps.kubernetes.io/pod-index".into(), ordinal.to_string());
    if let Some(pod_spec) = pod.spec.as_mut() {
        pod_spec.hostname = Some(name.clone());
        pod_spec.subdomain = spec.service_name.clone();
    }
    if env.store.create(pod).is_ok() {
        let message = format!("create Pod {name} in StatefulSet {sts_name} successful");
        events::normal(
            env,
            Involved::of(sts),
            Source::Controller("statefulset-controller"),
            "SuccessfulCreate",
            &message,
        );
    }
}
