//! Kubernetes API objects → the fleet's trimmed model (DESIGN.md §4). Pure functions: an
//! object in, a model value out; nothing here does I/O.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::batch::v1 as batch;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use super::quantity;
use super::trimmed::TrimmedPod;
use crate::model::{
    Condition, ContainerState, CronInfo, EventType, JobInfo, JobOutcome, KubeEvent, KubeId,
    KubeKind, Labels, Node, ObjectRef, Pod, PodContainer, PodPhase, Workload,
};

fn name(meta: &ObjectMeta) -> String {
    meta.name.clone().unwrap_or_default()
}

fn namespace(meta: &ObjectMeta) -> String {
    meta.namespace.clone().unwrap_or_default()
}

fn created(meta: &ObjectMeta) -> Option<Timestamp> {
    meta.creation_timestamp.as_ref().map(|t| t.0)
}

fn controller(meta: &ObjectMeta) -> Option<&OwnerReference> {
    let owners = meta.owner_references.as_ref()?;
    owners
        .iter()
        .find(|o| o.controller == Some(true))
        .or(owners.first())
}

fn labels(meta: &ObjectMeta) -> BTreeMap<String, String> {
    meta.labels.clone().unwrap_or_default()
}

fn count(value: Option<i32>) -> u32 {
    value.unwrap_or(0).max(0) as u32
}

/// The identity of an object of `kind` in `context`.
pub fn id(context: &str, kind: KubeKind, meta: &ObjectMeta) -> KubeId {
    KubeId::new(context, namespace(meta), kind, name(meta))
}

pub fn pod(context: &str, pod: &TrimmedPod) -> Pod {
    let meta = &pod.metadata;
    let labels: Labels = meta.labels.iter().flatten().collect();
    let status = pod.status.as_ref();
    let spec = pod.spec.as_ref();
    let phase = match status.and_then(|s| s.phase.as_deref()) {
        Some("Pending") => PodPhase::Pending,
        Some("Running") => PodPhase::Running,
        Some("Succeeded") => PodPhase::Succeeded,
        Some("Failed") => PodPhase::Failed,
        _ => PodPhase::Unknown,
    };
    let statuses = status
        .and_then(|s| s.container_statuses.as_ref())
        .map(Vec::as_slice)
        .unwrap_or_default();
    // Every container of the spec, in spec order, with its status when kubelet gave one.
    let containers = spec
        .map(|s| s.containers.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|c| {
            let st = statuses.iter().find(|s| s.name == c.name);
            PodContainer {
                name: c.name.clone(),
                image: c.image.clone().unwrap_or_default(),
                ready: st.is_some_and(|s| s.ready),
                restarts: st.map(|s| count(Some(s.restart_count))).unwrap_or(0),
                state: container_state(st.and_then(|s| s.state.as_ref())),
                last_termination: st
                    .and_then(|s| s.last_state.as_ref())
                    .and_then(|s| s.terminated.as_ref())
                    .and_then(|t| t.reason.clone()),
            }
        })
        .collect();
    Pod {
        id: id(context, KubeKind::Pod, meta),
        created: created(meta),
        owner: controller(meta).map(|o| pod_owner(o, &labels)),
        labels,
        phase,
        node: spec.and_then(|s| s.node_name.clone()),
        ip: status.and_then(|s| s.pod_ip.clone()),
        containers,
        deleting: meta.deletion_timestamp.is_some(),
        cpu_millis: None,
        memory_bytes: None,
    }
}

/// A pod's owner as a user thinks of it: the Deployment rather than its ReplicaSet. A
/// Deployment names its ReplicaSets `<deployment>-<pod-template-hash>` and labels their
/// pods with that hash, so the Deployment is known without watching ReplicaSets.
fn pod_owner(owner: &OwnerReference, labels: &Labels) -> ObjectRef {
    if owner.kind == "ReplicaSet"
        && let Some(hash) = labels.get("pod-template-hash")
        && let Some(deployment) = owner.name.strip_suffix(&format!("-{hash}"))
    {
        return ObjectRef {
            kind: "Deployment".into(),
            name: deployment.to_string(),
        };
    }
    ObjectRef {
        kind: owner.kind.clone(),
        name: owner.name.clone(),
    }
}

fn container_state(state: Option<&core::ContainerState>) -> ContainerState {
    let Some(state) = state else {
        return ContainerState::Waiting {
            reason: "ContainerCreating".into(),
        };
    };
    if let Some(t) = &state.terminated {
        ContainerState::Terminated {
            reason: t.reason.clone().unwrap_or_default(),
            exit_code: t.exit_code,
        }
    } else if let Some(w) = &state.waiting {
        ContainerState::Waiting {
            reason: w.reason.clone().unwrap_or_default(),
        }
    } else {
        ContainerState::Running {
            since: state
                .running
                .as_ref()
                .and_then(|r| r.started_at.as_ref())
                .map(|t| t.0),
        }
    }
}

fn images(template: Option<&core::PodTemplateSpec>) -> Vec<String> {
    template
        .and_then(|t| t.spec.as_ref())
        .map(|s| {
            s.containers
                .iter()
                .filter_map(|c| c.image.clone())
                .collect()
        })
        .unwrap_or_default()
}

fn match_labels(
    selector: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector>,
) -> BTreeMap<String, String> {
    selector
        .and_then(|s| s.match_labels.clone())
        .unwrap_or_default()
}

fn base(context: &str, kind: KubeKind, meta: &ObjectMeta) -> Workload {
    Workload {
        id: id(context, kind, meta),
        created: created(meta),
        labels: labels(meta),
        selector: BTreeMap::new(),
        images: Vec::new(),
        desired: 0,
        ready: 0,
        updated: 0,
        available: 0,
        paused: false,
        generation: meta.generation.unwrap_or(0),
        observed_generation: 0,
        revision: None,
        conditions: Vec::new(),
        cron: None,
        job: None,
        owner: controller(meta).map(|o| ObjectRef {
            kind: o.kind.clone(),
            name: o.name.clone(),
        }),
    }
}

/// A string field the API types declare sometimes as `String`, sometimes as
/// `Option<String>` (condition types differ between kinds).
trait Text {
    fn text(&self) -> &str;
}

impl Text for String {
    fn text(&self) -> &str {
        self
    }
}

impl Text for Option<String> {
    fn text(&self) -> &str {
        self.as_deref().unwrap_or("")
    }
}

macro_rules! conditions {
    ($list:expr) => {
        $list
            .iter()
            .flatten()
            .map(|c| Condition {
                kind: c.type_.text().to_string(),
                status: c.status.text() == "True",
                reason: c.reason.text().to_string(),
                message: c.message.text().to_string(),
            })
            .collect()
    };
}

pub fn deployment(context: &str, d: &apps::Deployment) -> Workload {
    let mut w = base(context, KubeKind::Deployment, &d.metadata);
    let spec = &d.spec;
    w.selector = match_labels(Some(&spec.selector));
    w.images = images(Some(&spec.template));
    w.desired = count(Some(spec.replicas.unwrap_or(1)));
    w.paused = spec.paused.unwrap_or(false);
    if let Some(s) = &d.status {
        w.ready = count(s.ready_replicas);
        w.updated = count(s.updated_replicas);
        w.available = count(s.available_replicas);
        w.observed_generation = s.observed_generation.unwrap_or(0);
        w.conditions = conditions!(s.conditions);
    }
    w.revision = d
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("deployment.kubernetes.io/revision"))
        .and_then(|r| r.parse().ok());
    w
}

pub fn statefulset(context: &str, s: &apps::StatefulSet) -> Workload {
    let mut w = base(context, KubeKind::StatefulSet, &s.metadata);
    let spec = &s.spec;
    w.selector = match_labels(Some(&spec.selector));
    w.images = images(Some(&spec.template));
    w.desired = count(Some(spec.replicas.unwrap_or(1)));
    if let Some(st) = &s.status {
        w.ready = count(st.ready_replicas);
        w.updated = count(st.updated_replicas);
        w.available = count(st.available_replicas);
        w.observed_generation = st.observed_generation.unwrap_or(0);
        w.conditions = conditions!(st.conditions);
    }
    w
}

pub fn daemonset(context: &str, d: &apps::DaemonSet) -> Workload {
    let mut w = base(context, KubeKind::DaemonSet, &d.metadata);
    w.selector = match_labels(Some(&d.spec.selector));
    w.images = images(Some(&d.spec.template));
    if let Some(st) = &d.status {
        w.desired = count(Some(st.desired_number_scheduled));
        w.ready = count(Some(st.number_ready));
        w.updated = count(st.updated_number_scheduled);
        w.available = count(st.number_available);
        w.observed_generation = st.observed_generation.unwrap_or(0);
        w.conditions = conditions!(st.conditions);
    }
    w
}

pub fn job(context: &str, j: &batch::Job) -> Workload {
    let mut w = base(context, KubeKind::Job, &j.metadata);
    let completions = j
        .spec
        .as_ref()
        .map(|s| count(Some(s.completions.unwrap_or(1))))
        .unwrap_or(1);
    if let Some(spec) = &j.spec {
        w.selector = match_labels(spec.selector.as_ref());
        w.images = images(Some(&spec.template));
    }
    w.desired = completions;
    let mut info = JobInfo {
        completions,
        ..JobInfo::default()
    };
    if let Some(st) = &j.status {
        info.succeeded = count(st.succeeded);
        info.failed = count(st.failed);
        info.active = count(st.active);
        info.finished = st.completion_time.as_ref().map(|t| t.0).or_else(|| {
            st.conditions
                .iter()
                .flatten()
                .find(|c| c.type_ == "Failed" && c.status == "True")
                .and_then(|c| c.last_transition_time.as_ref().map(|t| t.0))
        });
        w.ready = info.succeeded;
        w.updated = info.succeeded;
        w.available = info.succeeded;
        w.conditions = conditions!(st.conditions);
    }
    w.observed_generation = w.generation;
    w.job = Some(info);
    w
}

pub fn cronjob(context: &str, c: &batch::CronJob) -> Workload {
    let mut w = base(context, KubeKind::CronJob, &c.metadata);
    let mut cron = CronInfo::default();
    let spec = &c.spec;
    cron.schedule = spec.schedule.clone();
    cron.suspended = spec.suspend.unwrap_or(false);
    w.images = images(spec.job_template.spec.as_ref().map(|s| &s.template));
    if let Some(st) = &c.status {
        cron.active = st.active.as_ref().map_or(0, |a| a.len() as u32);
        cron.last_schedule = st.last_schedule_time.as_ref().map(|t| t.0);
        let last_success = st.last_successful_time.as_ref().map(|t| t.0);
        cron.last_success = last_success;
        // The status says when the last Job was made and when one last succeeded. A Job
        // made after the last success that is no longer active did not succeed.
        cron.last_outcome = match (cron.active, cron.last_schedule, last_success) {
            (1.., _, _) => Some(JobOutcome::Running),
            (0, Some(scheduled), Some(success)) if success >= scheduled => {
                Some(JobOutcome::Succeeded)
            }
            (0, Some(_), _) => Some(JobOutcome::Failed),
            (0, None, Some(_)) => Some(JobOutcome::Succeeded),
            (0, None, None) => None,
        };
    }
    w.observed_generation = w.generation;
    w.cron = Some(cron);
    w
}

pub fn node(context: &str, n: &core::Node) -> Node {
    let meta = &n.metadata;
    let labels = meta.labels.as_ref();
    let mut roles: Vec<String> = labels
        .into_iter()
        .flatten()
        .filter_map(|(k, _)| k.strip_prefix("node-role.kubernetes.io/"))
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect();
    roles.sort();
    let status = n.status.as_ref();
    let conditions = status.and_then(|s| s.conditions.as_ref());
    let ready = conditions
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
        .map(|c| c.status == "True");
    let pressures = conditions
        .into_iter()
        .flatten()
        .filter(|c| c.type_ != "Ready" && c.status == "True")
        .map(|c| c.type_.clone())
        .collect();
    let spec = n.spec.as_ref();
    let taints = spec
        .and_then(|s| s.taints.as_ref())
        .into_iter()
        .flatten()
        .map(|t| match &t.value {
            Some(v) if !v.is_empty() => format!("{}={}:{}", t.key, v, t.effect),
            _ => format!("{}:{}", t.key, t.effect),
        })
        .collect();
    let allocatable = status.and_then(|s| s.allocatable.as_ref());
    let alloc = |key: &str, parse: fn(&str) -> Option<u64>| {
        allocatable
            .and_then(|a| a.get(key))
            .and_then(|q| parse(&q.0))
            .unwrap_or(0)
    };
    Node {
        context: context.to_string(),
        name: name(meta),
        created: created(meta),
        roles,
        version: status
            .and_then(|s| s.node_info.as_ref())
            .map(|i| i.kubelet_version.clone())
            .unwrap_or_default(),
        ready,
        pressures,
        unschedulable: spec.and_then(|s| s.unschedulable).unwrap_or(false),
        taints,
        cpu_allocatable_millis: alloc("cpu", quantity::cpu_millis),
        memory_allocatable_bytes: alloc("memory", quantity::bytes),
        cpu_used_millis: None,
        memory_used_bytes: None,
    }
}

pub fn event(context: &str, e: &core::Event) -> KubeEvent {
    let meta = &e.metadata;
    let last_seen = e
        .last_timestamp
        .as_ref()
        .map(|t| t.0)
        .or_else(|| e.event_time.as_ref().map(|t| t.0))
        .or_else(|| {
            e.series
                .as_ref()
                .and_then(|s| s.last_observed_time.as_ref())
                .map(|t| t.0)
        })
        .or_else(|| e.first_timestamp.as_ref().map(|t| t.0))
        .or_else(|| created(meta));
    let count = e
        .series
        .as_ref()
        .and_then(|s| s.count)
        .or(e.count)
        .unwrap_or(1);
    KubeEvent {
        context: context.to_string(),
        namespace: namespace(meta),
        name: name(meta),
        kind: if e.type_.as_deref() == Some("Warning") {
            EventType::Warning
        } else {
            EventType::Normal
        },
        reason: e.reason.clone().unwrap_or_default(),
        message: e.message.clone().unwrap_or_default(),
        object: ObjectRef {
            kind: e.involved_object.kind.clone().unwrap_or_default(),
            name: e.involved_object.name.clone().unwrap_or_default(),
        },
        count: count.max(1) as u32,
        last_seen,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pod_with_crashlooping_container_and_replicaset_owner() {
        let p: TrimmedPod = serde_json::from_value(json!({
            "metadata": {"name": "api-7d9f-x", "namespace": "shop",
                "labels": {"app": "api", "pod-template-hash": "7d9f"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "name": "api-7d9f", "uid": "u", "controller": true}],
                "creationTimestamp": "2026-11-22T10:00:00Z"},
            "spec": {"nodeName": "node-1", "containers": [
                {"name": "api", "image": "shop/api:1.4"},
                {"name": "sidecar", "image": "envoy:1"}]},
            "status": {"phase": "Running", "podIP": "10.0.0.7", "containerStatuses": [
                {"name": "api", "image": "shop/api:1.4", "imageID": "", "ready": false,
                 "restartCount": 4,
                 "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                 "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}},
                {"name": "sidecar", "image": "envoy:1", "imageID": "", "ready": true,
                 "restartCount": 0, "state": {"running": {"startedAt": "2026-11-22T10:00:05Z"}}}
            ]}
        }))
        .unwrap();
        let m = pod("prod", &p);
        assert_eq!(
            m.id,
            KubeId::new("prod", "shop", KubeKind::Pod, "api-7d9f-x")
        );
        assert_eq!(
            m.owner,
            Some(ObjectRef {
                kind: "Deployment".into(),
                name: "api".into()
            })
        );
        assert_eq!(m.node.as_deref(), Some("node-1"));
        assert_eq!(m.ready_count(), 1);
        assert_eq!(m.restarts(), 4);
        assert_eq!(m.status_text(), "CrashLoopBackOff");
        assert_eq!(m.last_termination(), Some("OOMKilled"));
    }

    #[test]
    fn deployment_status_and_revision() {
        let d: apps::Deployment = serde_json::from_value(json!({
            "metadata": {"name": "api", "namespace": "shop", "generation": 3,
                "annotations": {"deployment.kubernetes.io/revision": "5"}},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "api"}},
                "template": {"spec": {"containers": [{"name": "api", "image": "shop/api:1.5"}]}}},
            "status": {"replicas": 4, "readyReplicas": 2, "updatedReplicas": 1,
                "availableReplicas": 2, "observedGeneration": 3,
                "conditions": [{"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated"}]}
        }))
        .unwrap();
        let w = deployment("prod", &d);
        assert_eq!((w.desired, w.ready, w.updated, w.available), (3, 2, 1, 2));
        assert_eq!(w.revision, Some(5));
        assert_eq!(w.images, vec!["shop/api:1.5".to_string()]);
        assert_eq!(w.selector.get("app").map(String::as_str), Some("api"));
        assert_eq!(w.health().reason, "rolling out");
    }

    #[test]
    fn cronjob_outcome_from_status_times() {
        let mk = |active: usize, sched: &str, success: Option<&str>| {
            let c: batch::CronJob = serde_json::from_value(json!({
                "metadata": {"name": "backup", "namespace": "shop"},
                "spec": {"schedule": "0 2 * * *", "jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}}},
                "status": {
                    "active": (0..active).map(|i| json!({"name": format!("j{i}")})).collect::<Vec<_>>(),
                    "lastScheduleTime": sched,
                    "lastSuccessfulTime": success,
                }
            }))
            .unwrap();
            cronjob("prod", &c).cron.unwrap().last_outcome
        };
        assert_eq!(
            mk(1, "2026-11-22T02:00:00Z", None),
            Some(JobOutcome::Running)
        );
        assert_eq!(
            mk(0, "2026-11-22T02:00:00Z", Some("2026-11-22T02:03:00Z")),
            Some(JobOutcome::Succeeded)
        );
        assert_eq!(
            mk(0, "2026-11-22T02:00:00Z", Some("2026-11-21T02:03:00Z")),
            Some(JobOutcome::Failed)
        );
    }

    #[test]
    fn node_conditions_taints_and_allocatable() {
        let n: core::Node = serde_json::from_value(json!({
            "metadata": {"name": "node-1", "labels": {"node-role.kubernetes.io/worker": ""}},
            "spec": {"unschedulable": true, "taints": [
                {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"},
                {"key": "dedicated", "value": "db", "effect": "NoExecute"}]},
            "status": {"allocatable": {"cpu": "3800m", "memory": "15Gi"},
                "nodeInfo": {"kubeletVersion": "v1.32.1", "architecture": "", "bootID": "",
                    "containerRuntimeVersion": "", "kernelVersion": "", "kubeProxyVersion": "",
                    "machineID": "", "operatingSystem": "", "osImage": "", "systemUUID": ""},
                "conditions": [{"type": "Ready", "status": "True"},
                               {"type": "MemoryPressure", "status": "True"},
                               {"type": "DiskPressure", "status": "False"}]}
        }))
        .unwrap();
        let m = node("prod", &n);
        assert_eq!(m.roles, vec!["worker".to_string()]);
        assert_eq!(m.ready, Some(true));
        assert_eq!(m.pressures, vec!["MemoryPressure".to_string()]);
        assert!(m.unschedulable);
        assert_eq!(
            m.taints,
            vec![
                "node.kubernetes.io/unschedulable:NoSchedule".to_string(),
                "dedicated=db:NoExecute".to_string()
            ]
        );
        assert_eq!(m.cpu_allocatable_millis, 3800);
        assert_eq!(m.memory_allocatable_bytes, 15 << 30);
        assert_eq!(m.version, "v1.32.1");
    }
}
