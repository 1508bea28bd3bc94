//! The DaemonSet controller: one pod per node (control-plane nodes only when tolerated),
//! bound directly, replaced node by node on a template change (maxUnavailable 1).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetStatus};
use k8s_openapi::api::core::v1::Toleration;

use super::build::{owner_ref, pod_from_template};
use super::events::{self, Involved, Source};
use super::{Env, lifecycle, revisions};
use crate::sim::kube::object::StoredObject;
use crate::sim::kube::resources::Kind;

const REVISION_LABEL: &str = "controller-revision-hash";

fn tolerates_control_plane(tolerations: Option<&Vec<Toleration>>) -> bool {
    tolerations.into_iter().flatten().any(|t| {
        t.operator.as_deref() == Some("Exists")
            && t.key
                .as_deref()
                .is_none_or(|k| k == "node-role.kubernetes.io/control-plane")
    })
}

pub fn reconcile(env: &mut Env, namespace: &str, name: &str) {
    let Some(ds) = env.store.get_typed::<DaemonSet>(namespace, name) else {
        return;
    };
    if ds.metadata.deletion_timestamp.is_some() {
        return;
    }
    let spec = ds.spec.clone();
    let revision = revisions::ensure(env, &ds, &spec.template, spec.selector.match_labels.clone());
    let pod_spec = spec.template.spec.as_ref();
    let everywhere = tolerates_control_plane(pod_spec.and_then(|s| s.tolerations.as_ref()));
    let selector = pod_spec
        .and_then(|s| s.node_selector.clone())
        .unwrap_or_default();
    let nodes: Vec<String> = env
        .store
        .list(Kind::Node, None, None)
        .filter(|n| everywhere || n.label("node-role.kubernetes.io/control-plane").is_none())
        .filter(|n| selector.iter().all(|(k, v)| n.label(k) == Some(v.as_str())))
        .map(|n| n.name().to_string())
        .collect();
    let uid = ds.metadata.uid.clone().unwrap_or_default();
    let mut by_node: HashMap<String, Vec<Arc<StoredObject>>> = HashMap::new();
    for pod in env.store.owned_by(Kind::Pod, &uid) {
        if let Some(node) = pod.summary.node.as_deref() {
            by_node.entry(node.to_string()).or_default().push(pod);
        }
    }
    for node in &nodes {
        let live = by_node
            .get(node)
            .is_some_and(|pods| pods.iter().any(|p| !p.summary.terminating));
        if !live {
            create_pod(env, &ds, node, &revision.hash);
        }
    }
    for (node, pods) in &by_node {
        if !nodes.contains(node) {
            for p in pods.iter().filter(|p| !p.summary.terminating) {
                let _ = lifecycle::begin_deletion(env.store, Kind::Pod, namespace, p.name(), None);
            }
        }
    }
    // Rolling update: replace one stale pod when all the others are ready.
    let live: Vec<&Arc<StoredObject>> = by_node
        .values()
        .flatten()
        .filter(|p| !p.summary.terminating)
        .collect();
    let unavailable = live.iter().filter(|p| !p.summary.ready).count();
    let on_delete = spec
        .update_strategy
        .as_ref()
        .and_then(|s| s.type_.as_deref())
        == Some("OnDelete");
    if !on_delete
        && unavailable == 0
        && live.len() == nodes.len()
        && let Some(stale) = live
            .iter()
            .find(|p| p.label(REVISION_LABEL) != Some(revision.hash.as_str()))
    {
        let _ = lifecycle::begin_deletion(env.store, Kind::Pod, namespace, stale.name(), None);
    }
    let ready = live.iter().filter(|p| p.summary.ready).count() as i32;
    let updated = live
        .iter()
        .filter(|p| p.label(REVISION_LABEL) == Some(revision.hash.as_str()))
        .count() as i32;
    let status = DaemonSetStatus {
        desired_number_scheduled: nodes.len() as i32,
        current_number_scheduled: live.len() as i32,
        number_ready: ready,
        number_available: Some(ready),
        number_unavailable: Some((nodes.len() as i32 - ready).max(0)),
        updated_number_scheduled: Some(updated),
        number_misscheduled: 0,
        observed_generation: ds.metadata.generation,
        collision_count: None,
        conditions: None,
    };
    let limit = spec.revision_history_limit.unwrap_or(10).max(0) as usize;
    revisions::clean_up(env, &ds, limit, &[&revision.name]);
    if ds.status.as_ref() != Some(&status) {
        let mut ds = ds;
        ds.status = Some(status);
        let _ = env.store.update(ds);
    }
}

fn create_pod(env: &mut Env, ds: &DaemonSet, node: &str, hash: &str) {
    let spec = ds.spec.clone();
    let namespace = ds.metadata.namespace.clone().unwrap_or_default();
    let ds_name = ds.metadata.name.clone().unwrap_or_default();
    let name = format!("{ds_name}-{}", env.store.rng().suffix(5));
    let mut pod = pod_from_template(&spec.template, &namespace, &name, owner_ref(ds));
    pod.metadata
        .labels
        .get_or_insert_with(BTreeMap::new)
        .insert(REVISION_LABEL.into(), hash.into());
    if let Some(pod_spec) = pod.spec.as_mut() {
        pod_spec.node_name = Some(node.into());
    }
    if env.store.create(pod).is_ok() {
        let message = format!("Created pod: {name}");
        events::normal(
            env,
            Involved::of(ds),
            Source::Controller("daemonset-controller"),
            "SuccessfulCreate",
            &message,
        );
    }
}
