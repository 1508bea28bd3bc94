//! Pods as the source decodes them: only the fields views and operations read.
//!
//! A big cluster's pod list is most of what the console ever decodes (50,000 pods are
//! about 120 MB of JSON). k8s-openapi's `Pod` allocates every field of it — volumes, env,
//! probes, security contexts, conditions, `managedFields` on real clusters — only for
//! the source to throw them away. `TrimmedPod` names a dozen fields; serde skips the rest
//! without allocating, which makes the list several times cheaper in time and peak memory.
//! It is a `Resource` like any k8s-openapi type, so kube-rs lists and watches it.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ContainerState;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use serde::{Deserialize, Deserializer, Serialize};

/// The metadata fields pilothouse keeps, decoded into a k8s `ObjectMeta` (which kube-rs
/// needs, for the resourceVersion a watch resumes from).
fn trimmed_meta<'de, D: Deserializer<'de>>(d: D) -> Result<ObjectMeta, D::Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Meta {
        name: Option<String>,
        namespace: Option<String>,
        resource_version: Option<String>,
        uid: Option<String>,
        labels: Option<BTreeMap<String, String>>,
        owner_references: Option<Vec<OwnerReference>>,
        creation_timestamp: Option<Time>,
        deletion_timestamp: Option<Time>,
    }
    let m = Meta::deserialize(d)?;
    Ok(ObjectMeta {
        name: m.name,
        namespace: m.namespace,
        resource_version: m.resource_version,
        uid: m.uid,
        labels: m.labels,
        owner_references: m.owner_references,
        creation_timestamp: m.creation_timestamp,
        deletion_timestamp: m.deletion_timestamp,
        ..ObjectMeta::default()
    })
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct TrimmedPod {
    #[serde(deserialize_with = "trimmed_meta", default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: Option<Spec>,
    #[serde(default)]
    pub status: Option<Status>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Spec {
    #[serde(default)]
    pub node_name: Option<String>,
    #[serde(default)]
    pub containers: Vec<Container>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Container {
    pub name: String,
    #[serde(default)]
    pub image: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    #[serde(default)]
    pub phase: Option<String>,
    #[serde(default, rename = "podIP")]
    pub pod_ip: Option<String>,
    #[serde(default)]
    pub container_statuses: Option<Vec<ContainerStatus>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStatus {
    pub name: String,
    #[serde(default)]
    pub ready: bool,
    #[serde(default)]
    pub restart_count: i32,
    #[serde(default)]
    pub state: Option<ContainerState>,
    #[serde(default)]
    pub last_state: Option<ContainerState>,
}

impl k8s_openapi::Resource for TrimmedPod {
    const API_VERSION: &'static str = "v1";
    const GROUP: &'static str = "";
    const KIND: &'static str = "Pod";
    const VERSION: &'static str = "v1";
    const URL_PATH_SEGMENT: &'static str = "pods";
    type Scope = k8s_openapi::NamespaceResourceScope;
}

impl k8s_openapi::Metadata for TrimmedPod {
    type Ty = ObjectMeta;

    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn metadata_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_what_is_kept_and_skips_the_rest() {
        let pod: TrimmedPod = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "api-1", "namespace": "shop", "resourceVersion": "42",
                "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}],
                "annotations": {"big": "x"}, "labels": {"app": "api"}},
            "spec": {"nodeName": "n1", "volumes": [{"name": "v"}],
                "containers": [{"name": "api", "image": "shop/api:1", "env": [{"name": "A"}]}]},
            "status": {"phase": "Running", "podIP": "10.0.0.1", "conditions": [],
                "containerStatuses": [{"name": "api", "ready": true, "restartCount": 2,
                    "image": "shop/api:1", "imageID": "x",
                    "state": {"running": {"startedAt": "2026-11-22T10:00:00Z"}}}]}
        }))
        .expect("decodes");
        assert_eq!(pod.metadata.resource_version.as_deref(), Some("42"));
        assert!(pod.metadata.managed_fields.is_none());
        assert!(pod.metadata.annotations.is_none());
        let spec = pod.spec.as_ref().expect("spec");
        assert_eq!(spec.node_name.as_deref(), Some("n1"));
        assert_eq!(spec.containers[0].image.as_deref(), Some("shop/api:1"));
        let status = pod.status.as_ref().expect("status");
        assert_eq!(status.pod_ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(
            status.container_statuses.as_ref().expect("statuses")[0].restart_count,
            2
        );
    }
}
