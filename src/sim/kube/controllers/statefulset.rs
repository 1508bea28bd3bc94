//! The StatefulSet controller: pods `<name>-0…<name>-N-1`, created in order, each waiting
//! for the one before to be ready (OrderedReady); scale-down from the highest ordinal;
//! rolling updates from the highest ordinal down to the partition, one pod at a time;
//! ControllerRevisions for history.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetStatus};

use super::build::{owner_ref, pod_from_template};
use super::events::{self, Involved, Source};
use super::{Env, lifecycle, revisions};
use crate::sim::kube::resources::Kind;

const REVISION_LABEL: &str = "controller-revision-hash";

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
    let mut pods: BTreeMap<usize, std::sync::Arc<crate::sim::kube::object::StoredObject>> =
        BTreeMap::new();
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
    let all_ready =
        |pods: &BTreeMap<usize, std::sync::Arc<crate::sim::kube::object::StoredObject>>| {
            pods.values()
                .all(|p| p.summary.ready && !p.summary.terminating)
        };
    // One action per pass, as OrderedReady allows: create the first missing pod once all
    // before it are ready, or remove the highest surplus, or replace the highest stale one.
    let missing = (0..desired).find(|i| !pods.contains_key(i));
    let surplus = pods.keys().rev().find(|i| **i >= desired).copied();
    if let Some(ordinal) = missing {
        let blocked = pods
            .range(..ordinal)
            .any(|(_, p)| !p.summary.ready || p.summary.terminating);
        if !blocked {
            create_pod(env, &sts, ordinal, &update.name);
        }
    } else if let Some(ordinal) = surplus {
        if all_ready(&pods)
            && let Some(pod) = pods.get(&ordinal)
            && !pod.summary.terminating
        {
            let pod_name = pod.name().to_string();
            if lifecycle::begin_deletion(env.store, Kind::Pod, namespace, &pod_name, None).is_ok() {
                let message = format!("delete Pod {pod_name} in StatefulSet {name} successful");
                events::normal(
                    env,
                    Involved::of(&sts),
                    Source::Controller("statefulset-controller"),
                    "SuccessfulDelete",
                    &message,
                );
            }
        }
    } else if !on_delete && all_ready(&pods) {
        let stale = pods.iter().rev().find(|(i, p)| {
            **i >= partition && p.label(REVISION_LABEL) != Some(update.name.as_str())
        });
        if let Some((_, pod)) = stale {
            let pod_name = pod.name().to_string();
            let _ = lifecycle::begin_deletion(env.store, Kind::Pod, namespace, &pod_name, None);
        }
    }
    let count = |f: &dyn Fn(&crate::sim::kube::object::StoredObject) -> bool| {
        pods.values().filter(|p| f(p)).count() as i32
    };
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
