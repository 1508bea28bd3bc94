//! Building the objects controllers create — owner references, template hashes, pods
//! from templates, ReplicaSets from Deployments — shared with the scenario loader so the
//! initial estate looks exactly as if the controllers had made it.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, ReplicaSetSpec};
use k8s_openapi::api::core::v1::{Pod, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};

use crate::sim::common::seeded::{fnv, safe_encode};
use crate::sim::kube::admission::Admission;
use crate::sim::kube::types::SimObject;

/// The label a Deployment's ReplicaSets and pods carry its template hash in.
pub const TEMPLATE_HASH: &str = "pod-template-hash";
/// The annotation holding a ReplicaSet's (and its Deployment's) revision.
pub const REVISION: &str = "deployment.kubernetes.io/revision";

/// A controller owner reference to `owner`.
pub fn owner_ref<T: SimObject>(owner: &T) -> OwnerReference {
    let meta = owner.metadata();
    OwnerReference {
        api_version: T::SIM_KIND.resource().api_version(),
        kind: T::SIM_KIND.resource().kind.to_string(),
        name: meta.name.clone().unwrap_or_default(),
        uid: meta.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// The hash of a pod template (ignoring its own hash label), as the Deployment
/// controller names ReplicaSets: fnv over the template, in Kubernetes' safe alphabet.
pub fn template_hash(template: &PodTemplateSpec) -> String {
    let mut t = template.clone();
    if let Some(meta) = t.metadata.as_mut() {
        if let Some(labels) = meta.labels.as_mut() {
            labels.remove(TEMPLATE_HASH);
        }
        // An emptied map or metadata hashes as an absent one.
        if meta.labels.as_ref().is_some_and(|l| l.is_empty()) {
            meta.labels = None;
        }
        if *meta == ObjectMeta::default() {
            t.metadata = None;
        }
    }
    let json = serde_json::to_string(&t).unwrap_or_default();
    safe_encode(fnv(&json) & 0xffff_ffff)
}

/// A revision number from an object's annotations (0 when absent).
pub fn revision(meta: &ObjectMeta) -> i64 {
    meta.annotations
        .as_ref()
        .and_then(|a| a.get(REVISION))
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

/// A template with `label=value` added to its labels.
pub fn labelled_template(template: &PodTemplateSpec, label: &str, value: &str) -> PodTemplateSpec {
    let mut t = template.clone();
    t.metadata
        .get_or_insert_with(Default::default)
        .labels
        .get_or_insert_with(BTreeMap::new)
        .insert(label.into(), value.into());
    t
}

/// A selector with `label=value` added.
pub fn labelled_selector(selector: &LabelSelector, label: &str, value: &str) -> LabelSelector {
    let mut s = selector.clone();
    s.match_labels
        .get_or_insert_with(BTreeMap::new)
        .insert(label.into(), value.into());
    s
}

/// The ReplicaSet a Deployment runs a template hash as.
pub fn replica_set_for(
    deployment: &Deployment,
    hash: &str,
    revision: i64,
    replicas: i32,
) -> ReplicaSet {
    let spec = deployment.spec.clone();
    let template = labelled_template(&spec.template, TEMPLATE_HASH, hash);
    let mut annotations: BTreeMap<String, String> = deployment
        .metadata
        .annotations
        .clone()
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k != REVISION && k != "kubectl.kubernetes.io/last-applied-configuration")
        .collect();
    annotations.insert(REVISION.into(), revision.to_string());
    annotations.insert(
        "deployment.kubernetes.io/desired-replicas".into(),
        spec.replicas.unwrap_or(1).to_string(),
    );
    annotations.insert(
        "deployment.kubernetes.io/max-replicas".into(),
        spec.replicas.unwrap_or(1).to_string(),
    );
    let name = deployment.metadata.name.clone().unwrap_or_default();
    let mut rs = ReplicaSet {
        metadata: ObjectMeta {
            name: Some(format!("{name}-{hash}")),
            namespace: deployment.metadata.namespace.clone(),
            labels: template.metadata.as_ref().and_then(|m| m.labels.clone()),
            annotations: Some(annotations),
            owner_references: Some(vec![owner_ref(deployment)]),
            ..ObjectMeta::default()
        },
        spec: ReplicaSetSpec {
            replicas: Some(replicas),
            min_ready_seconds: spec.min_ready_seconds,
            selector: labelled_selector(&spec.selector, TEMPLATE_HASH, hash),
            template: Some(template),
        },
        status: None,
    };
    rs.apply_defaults();
    rs
}

/// A new pod from a template, owned by `owner`, with the API server's defaults.
pub fn pod_from_template(
    template: &PodTemplateSpec,
    namespace: &str,
    name: &str,
    owner: OwnerReference,
) -> Pod {
    let meta = template.metadata.clone().unwrap_or_default();
    let mut pod = Pod {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            generate_name: Some(format!("{}-", owner.name)),
            namespace: Some(namespace.to_string()),
            labels: meta.labels,
            annotations: meta.annotations,
            owner_references: Some(vec![owner]),
            ..ObjectMeta::default()
        },
        spec: template.spec.clone(),
        status: None,
    };
    pod.apply_defaults();
    if let Some(status) = pod.status.as_mut() {
        status.qos_class = Some(qos_class(pod.spec.as_ref()).into());
    }
    pod
}

/// The QoS class of a pod spec: Guaranteed, Burstable or BestEffort.
pub fn qos_class(spec: Option<&PodSpec>) -> &'static str {
    let containers = spec.map(|s| s.containers.as_slice()).unwrap_or_default();
    let mut any = false;
    let mut guaranteed = !containers.is_empty();
    for c in containers {
        let r = c.resources.as_ref();
        let requests = r.and_then(|r| r.requests.as_ref());
        let limits = r.and_then(|r| r.limits.as_ref());
        any |= requests.is_some_and(|m| !m.is_empty()) || limits.is_some_and(|m| !m.is_empty());
        let full =
            |m: Option<
                &BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
            >| { m.is_some_and(|m| m.contains_key("cpu") && m.contains_key("memory")) };
        guaranteed &= full(limits) && (requests.is_none() || requests == limits);
    }
    if guaranteed {
        "Guaranteed"
    } else if any {
        "Burstable"
    } else {
        "BestEffort"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_ignores_its_own_label() {
        let t = PodTemplateSpec::default();
        let h = template_hash(&t);
        assert_eq!(template_hash(&labelled_template(&t, TEMPLATE_HASH, &h)), h);
        assert_ne!(template_hash(&labelled_template(&t, "app", "x")), h);
    }
}
