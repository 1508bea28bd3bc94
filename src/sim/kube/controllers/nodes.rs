//! Nodes: how they look, their heartbeats (a Lease in `kube-node-lease` every ten
//! seconds, status every five minutes), and going NotReady — conditions Unknown, the
//! unreachable taints, their pods unready and, five minutes on, evicted.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{
    DaemonEndpoint, Node, NodeAddress, NodeCondition, NodeDaemonEndpoints, NodeSpec, NodeStatus,
    NodeSystemInfo, Pod, Taint,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, Time};

use super::events::{self, Involved, Source};
use super::{Env, Timer, lifecycle, pod_status};
use crate::sim::common::seeded::{Rng, fnv};
use crate::sim::kube::resources::Kind;

/// Lease renewal period (simulated seconds).
pub const HEARTBEAT_SECS: f64 = 10.0;
/// How often an unchanged node status is re-posted.
const STATUS_SECS: i64 = 300;
/// How long pods tolerate an unreachable node before eviction.
pub const EVICTION_SECS: f64 = 300.0;

/// What a node is made of.
pub struct NodeShape<'a> {
    pub cpu: &'a str,
    pub memory: &'a str,
    pub max_pods: u32,
    pub zone: &'a str,
    pub control_plane: bool,
}

/// A node as a kubelet registers it: node `index` owns 10.244.`index`.0/24.
pub fn build_node(
    name: &str,
    index: u32,
    shape: &NodeShape,
    created: Timestamp,
    rng: &mut Rng,
) -> Node {
    let mut labels: BTreeMap<String, String> = [
        ("kubernetes.io/hostname", name),
        ("kubernetes.io/os", "linux"),
        ("kubernetes.io/arch", "amd64"),
        ("beta.kubernetes.io/os", "linux"),
        ("beta.kubernetes.io/arch", "amd64"),
        ("topology.kubernetes.io/zone", shape.zone),
        ("node.kubernetes.io/instance-type", "m6i.2xlarge"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let role = if shape.control_plane {
        "control-plane"
    } else {
        "worker"
    };
    labels.insert(format!("node-role.kubernetes.io/{role}"), String::new());
    let quantity = |s: &str| Quantity(s.to_string());
    let capacity: BTreeMap<String, Quantity> = [
        ("cpu", quantity(shape.cpu)),
        ("memory", quantity(shape.memory)),
        ("pods", quantity(&shape.max_pods.to_string())),
        ("ephemeral-storage", quantity("203056560Ki")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let mut allocatable = capacity.clone();
    allocatable.insert("ephemeral-storage".into(), quantity("187136925387"));
    let taints = shape.control_plane.then(|| {
        vec![Taint {
            key: "node-role.kubernetes.io/control-plane".into(),
            effect: "NoSchedule".into(),
            value: None,
            time_added: None,
        }]
    });
    let ip = node_ip(index);
    Node {
        metadata: ObjectMeta {
            name: Some(name.into()),
            labels: Some(labels),
            annotations: Some(
                [("node.alpha.kubernetes.io/ttl".to_string(), "0".to_string())].into(),
            ),
            creation_timestamp: Some(Time(created)),
            ..ObjectMeta::default()
        },
        spec: Some(NodeSpec {
            pod_cidr: Some(pod_cidr(index)),
            pod_cidrs: Some(vec![pod_cidr(index)]),
            provider_id: Some(format!("aws:///{}/i-{:017x}", shape.zone, fnv(name) >> 4)),
            taints,
            ..NodeSpec::default()
        }),
        status: Some(NodeStatus {
            capacity: Some(capacity),
            allocatable: Some(allocatable),
            conditions: Some(conditions(true, created)),
            addresses: Some(vec![
                NodeAddress {
                    type_: "InternalIP".into(),
                    address: ip,
                },
                NodeAddress {
                    type_: "Hostname".into(),
                    address: name.into(),
                },
            ]),
            daemon_endpoints: Some(NodeDaemonEndpoints {
                kubelet_endpoint: Some(DaemonEndpoint { port: 10250 }),
            }),
            node_info: Some(NodeSystemInfo {
                architecture: "amd64".into(),
                boot_id: rng.uuid(),
                container_runtime_version: "containerd://1.7.24".into(),
                kernel_version: "6.8.0-1019-aws".into(),
                kube_proxy_version: "v1.32.4".into(),
                kubelet_version: "v1.32.4".into(),
                machine_id: rng.hex(2),
                operating_system: "linux".into(),
                os_image: "Ubuntu 24.04.1 LTS".into(),
                system_uuid: rng.uuid(),
                ..NodeSystemInfo::default()
            }),
            phase: None,
            ..NodeStatus::default()
        }),
    }
}

/// Node `index`'s address.
pub fn node_ip(index: u32) -> String {
    format!("10.0.{}.{}", index / 250, index % 250 + 10)
}

/// Node `index`'s pod range.
pub fn pod_cidr(index: u32) -> String {
    format!("10.244.{}.0/24", index % 256)
}

/// The four conditions, healthy or (kubelet silent) Unknown.
fn conditions(ready: bool, now: Timestamp) -> Vec<NodeCondition> {
    let row = |kind: &str, status: &str, reason: &str, message: &str| NodeCondition {
        type_: kind.into(),
        status: status.into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
        last_heartbeat_time: Some(Time(now)),
        last_transition_time: Some(Time(now)),
    };
    if ready {
        vec![
            row(
                "MemoryPressure",
                "False",
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available",
            ),
            row(
                "DiskPressure",
                "False",
                "KubeletHasNoDiskPressure",
                "kubelet has no disk pressure",
            ),
            row(
                "PIDPressure",
                "False",
                "KubeletHasSufficientPID",
                "kubelet has sufficient PID available",
            ),
            row(
                "Ready",
                "True",
                "KubeletReady",
                "kubelet is posting ready status",
            ),
        ]
    } else {
        ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
            .into_iter()
            .map(|k| {
                row(
                    k,
                    "Unknown",
                    "NodeStatusUnknown",
                    "Kubelet stopped posting node status.",
                )
            })
            .collect()
    }
}

/// The Lease a node's kubelet renews.
pub fn lease_for(node: &str, now: Timestamp) -> Lease {
    Lease {
        metadata: ObjectMeta {
            name: Some(node.into()),
            namespace: Some("kube-node-lease".into()),
            ..ObjectMeta::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(node.into()),
            lease_duration_seconds: Some(40),
            renew_time: Some(MicroTime(now)),
            ..LeaseSpec::default()
        }),
    }
}

/// Renew the leases of live nodes; re-post status that is five minutes old.
pub fn heartbeat(env: &mut Env) {
    let nodes: Vec<String> = env
        .store
        .list(Kind::Node, None, None)
        .map(|n| n.name().to_string())
        .collect();
    for name in nodes {
        if env.cluster.faults.node_down(env.secs, &name) {
            continue;
        }
        if let Some(mut lease) = env.store.get_typed::<Lease>("kube-node-lease", &name) {
            lease.spec.get_or_insert_with(Default::default).renew_time = Some(MicroTime(env.now));
            let _ = env.store.update(lease);
        }
        let Some(mut node) = env.store.get_typed::<Node>("", &name) else {
            continue;
        };
        let stale = node
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
            .and_then(|c| c.last_heartbeat_time.as_ref())
            .is_none_or(|t| env.secs - env.cluster.clock.map().secs_at(t.0) >= STATUS_SECS as f64);
        if stale {
            for c in node
                .status
                .iter_mut()
                .flat_map(|s| s.conditions.iter_mut().flatten())
            {
                c.last_heartbeat_time = Some(Time(env.now));
            }
            let _ = env.store.update(node);
        }
    }
}

/// A node goes down (or comes back).
pub fn set_down(env: &mut Env, name: &str, down: bool) {
    let Some(mut node) = env.store.get_typed::<Node>("", name) else {
        return;
    };
    let mut fresh = conditions(!down, env.now);
    if !down {
        // Keep the original transition times of conditions that did not change.
        for c in &mut fresh {
            c.last_transition_time = Some(Time(env.now));
        }
    }
    node.status.get_or_insert_with(Default::default).conditions = Some(fresh);
    let taints = node
        .spec
        .get_or_insert_with(Default::default)
        .taints
        .get_or_insert_with(Vec::new);
    taints.retain(|t| t.key != "node.kubernetes.io/unreachable");
    if down {
        for effect in ["NoSchedule", "NoExecute"] {
            taints.push(Taint {
                key: "node.kubernetes.io/unreachable".into(),
                effect: effect.into(),
                value: None,
                time_added: (effect == "NoExecute").then_some(Time(env.now)),
            });
        }
    }
    if taints.is_empty() {
        node.spec.get_or_insert_with(Default::default).taints = None;
    }
    let status = if down { "NodeNotReady" } else { "NodeReady" };
    events::normal(
        env,
        Involved::of(&node),
        Source::NodeController,
        status,
        &format!("Node {name} status is now: {status}"),
    );
    let _ = env.store.update(node);
    let pods: Vec<(String, String, Box<str>, Box<str>)> = env
        .store
        .list(Kind::Pod, None, None)
        .filter(|p| p.summary.node.as_deref() == Some(name))
        .map(|p| {
            (
                p.namespace().to_string(),
                p.name().to_string(),
                p.key.clone(),
                p.uid.clone(),
            )
        })
        .collect();
    for (namespace, pod_name, key, uid) in pods {
        if down {
            if let Some(mut pod) = env.store.get_typed::<Pod>(&namespace, &pod_name) {
                pod_status::set_condition(&mut pod, "Ready", false, None, env.now);
                events::warning(
                    env,
                    Involved::of(&pod),
                    Source::NodeController,
                    "NodeNotReady",
                    "Node is not ready",
                );
                let _ = env.store.update(pod);
            }
        } else {
            if let Some(mut pod) = env.store.get_typed::<Pod>(&namespace, &pod_name)
                && pod.metadata.deletion_timestamp.is_none()
            {
                let running = matches!(
                    pod_status::stage(&pod),
                    pod_status::Stage::Running { ready: true }
                );
                if running {
                    pod_status::set_condition(&mut pod, "Ready", true, None, env.now);
                    let _ = env.store.update(pod);
                }
            }
            // The kubelet is back: whatever was waiting on it moves on.
            env.sched.at(env.secs + 0.5, Timer::PodStep(key, uid));
        }
    }
}

/// Five minutes NotReady: the pods' tolerations expire and they are evicted. They stay
/// Terminating until the node returns, but their controllers replace them elsewhere.
pub fn evict(env: &mut Env, name: &str) {
    if !env.cluster.faults.node_down(env.secs, name) {
        return;
    }
    let pods: Vec<(String, String)> = env
        .store
        .list(Kind::Pod, None, None)
        .filter(|p| p.summary.node.as_deref() == Some(name) && !p.summary.terminating)
        // DaemonSet pods tolerate an unreachable node.
        .filter(|p| p.controller.as_ref().and_then(|c| c.kind) != Some(Kind::DaemonSet))
        .map(|p| (p.namespace().to_string(), p.name().to_string()))
        .collect();
    for (namespace, pod_name) in pods {
        if let Ok(value) =
            lifecycle::begin_deletion(env.store, Kind::Pod, &namespace, &pod_name, None)
            && let Ok(pod) = serde_json::from_value::<Pod>(value)
        {
            let message = format!("Marking for deletion Pod {namespace}/{pod_name}");
            events::normal(
                env,
                Involved::of(&pod),
                Source::Controller("taint-eviction-controller"),
                "TaintManagerEviction",
                &message,
            );
        }
    }
}
