//! The `kubernetes:` section of a scenario file: clusters, their nodes, namespaces and
//! workloads, bulk generation (for `big`), churn and timed faults.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use crate::sim::common::time::SimSpan;

/// This API's part of a scenario.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubeScenario {
    /// The clusters served; the first is the kubeconfig's current context and is also
    /// served at the root path. None means one empty cluster named `prod`.
    #[serde(default)]
    pub clusters: Vec<ClusterSpec>,
}

/// One cluster.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    pub name: String,
    /// The default namespace of this cluster's kubeconfig contexts.
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub nodes: NodeSpec,
    #[serde(default)]
    pub namespaces: Vec<NamespaceSpec>,
    /// Many similar deployments, for load (`big`).
    #[serde(default)]
    pub generate: Option<GenerateSpec>,
    /// Steady background changes to pods.
    #[serde(default)]
    pub churn: Option<ChurnSpec>,
    #[serde(default)]
    pub faults: Vec<FaultSpec>,
    /// Velero installed: its CRDs served, its Schedules and their past Backups. Absent,
    /// `velero.io/v1` is not served at all.
    #[serde(default)]
    pub velero: Option<VeleroSpec>,
}

impl ClusterSpec {
    /// A cluster with nodes and nothing else (scenarios without a `kubernetes:` section).
    pub fn empty(name: &str) -> ClusterSpec {
        ClusterSpec {
            name: name.to_string(),
            namespace: None,
            nodes: NodeSpec::default(),
            namespaces: Vec::new(),
            generate: None,
            churn: None,
            faults: Vec::new(),
            velero: None,
        }
    }
}

/// The cluster's nodes: `count` workers named `<prefix>-1…`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    #[serde(default = "default_node_count")]
    pub count: u32,
    #[serde(default = "default_node_prefix")]
    pub prefix: String,
    #[serde(default = "default_cpu")]
    pub cpu: String,
    #[serde(default = "default_memory")]
    pub memory: String,
    #[serde(default = "default_max_pods")]
    pub max_pods: u32,
    #[serde(default = "default_zones")]
    pub zones: Vec<String>,
}

impl Default for NodeSpec {
    fn default() -> NodeSpec {
        NodeSpec {
            count: default_node_count(),
            prefix: default_node_prefix(),
            cpu: default_cpu(),
            memory: default_memory(),
            max_pods: default_max_pods(),
            zones: default_zones(),
        }
    }
}

fn default_node_count() -> u32 {
    3
}
fn default_node_prefix() -> String {
    "node".into()
}
fn default_cpu() -> String {
    "8".into()
}
fn default_memory() -> String {
    "32Gi".into()
}
fn default_max_pods() -> u32 {
    110
}
fn default_zones() -> Vec<String> {
    vec!["zone-a".into(), "zone-b".into(), "zone-c".into()]
}

/// A namespace and what runs in it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamespaceSpec {
    pub name: String,
    #[serde(default)]
    pub workloads: Vec<WorkloadSpec>,
    /// ConfigMaps by name, each with its data.
    #[serde(default)]
    pub config_maps: BTreeMap<String, BTreeMap<String, String>>,
}

/// The controller a workload runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    CronJob,
}

/// How a StatefulSet starts, stops and replaces its pods (`podManagementPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PodManagement {
    /// One pod at a time, each waiting for those before it to be ready; a pod that never
    /// gets ready stops rollouts until it is deleted by hand (Kubernetes' default).
    OrderedReady,
    /// All at once; a rollout replaces pods that are not ready too.
    Parallel,
}

impl PodManagement {
    /// The value of `spec.podManagementPolicy`.
    pub fn policy(self) -> &'static str {
        match self {
            PodManagement::OrderedReady => "OrderedReady",
            PodManagement::Parallel => "Parallel",
        }
    }
}

/// How a container's logs read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogStyle {
    /// nginx-style access log lines.
    HttpAccess,
    /// JSON lines with levels, request ids and the odd stack trace.
    JsonApp,
    /// A queue worker's plain-text lines.
    Worker,
    /// PostgreSQL's log, with slow-query lines and checkpoints.
    Postgres,
    /// Redis' log.
    Redis,
    /// A backup job's progress lines.
    Backup,
    /// Prometheus-style logfmt lines (monitoring agents).
    Logfmt,
}

/// One workload.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    pub name: String,
    pub kind: WorkloadKind,
    pub image: String,
    #[serde(default)]
    pub replicas: Option<i32>,
    /// The container port; with `service: true` a ClusterIP Service exposes it.
    #[serde(default)]
    pub port: Option<i32>,
    #[serde(default)]
    pub service: bool,
    /// Log style; guessed from the image when absent.
    #[serde(default)]
    pub logs: Option<LogStyle>,
    /// Log lines per second per container.
    #[serde(default)]
    pub log_rate: Option<f64>,
    /// Earlier images, oldest first: each becomes an earlier revision (rollout history).
    #[serde(default)]
    pub history: Vec<String>,
    /// CronJobs: the schedule (five cron fields, UTC).
    #[serde(default)]
    pub schedule: Option<String>,
    /// Jobs: how long a run takes, in simulated time.
    #[serde(default, deserialize_with = "optional_duration")]
    pub run_time: Option<f64>,
    /// Apps (by `app` label, same namespace) whose outages show up as errors in these logs.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// Resource requests, e.g. `250m` and `256Mi`.
    #[serde(default)]
    pub cpu: Option<String>,
    #[serde(default)]
    pub memory: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Container command arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// StatefulSets: `ordered_ready` (the default) or `parallel`.
    #[serde(default)]
    pub pod_management: Option<PodManagement>,
}

/// Velero in a cluster.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VeleroSpec {
    /// Where Velero's objects live.
    #[serde(default = "default_velero_namespace")]
    pub namespace: String,
    #[serde(default)]
    pub schedules: Vec<VeleroScheduleSpec>,
}

fn default_velero_namespace() -> String {
    "velero".into()
}

/// One Velero Schedule and its history.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VeleroScheduleSpec {
    pub name: String,
    /// Five cron fields, UTC.
    pub schedule: String,
    /// How long its Backups are kept, as Velero writes it (`168h0m0s`); 720h when absent.
    #[serde(default)]
    pub ttl: Option<String>,
    /// The namespaces backed up; all when empty.
    #[serde(default)]
    pub included_namespaces: Vec<String>,
    /// How many past runs exist as Completed Backups at start.
    #[serde(default = "default_backup_history")]
    pub history: u32,
    /// How long one run takes, in simulated time.
    #[serde(default, deserialize_with = "optional_duration")]
    pub run_time: Option<f64>,
}

fn default_backup_history() -> u32 {
    3
}

/// Bulk workloads: `namespaces` × `deployments_per_namespace` deployments of `replicas`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateSpec {
    pub namespaces: u32,
    pub deployments_per_namespace: u32,
    pub replicas: i32,
    #[serde(default = "default_generated_image")]
    pub image: String,
    #[serde(default)]
    pub log_rate: Option<f64>,
}

fn default_generated_image() -> String {
    "registry.example.com/svc/app:1.0.0".into()
}

/// Background churn on pods.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChurnSpec {
    /// Pod status changes per simulated second (a container restarts, readiness flips).
    #[serde(default)]
    pub pod_updates_per_second: f64,
    /// Pods deleted per simulated second (their ReplicaSets replace them).
    #[serde(default)]
    pub pod_replacements_per_second: f64,
}

/// The kinds of fault the sim injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Matching pods' containers exit soon after starting: CrashLoopBackOff.
    CrashLoop,
    /// Matching pods' containers are OOM-killed after a while and restart.
    OomKill,
    /// New containers of matching pods cannot pull their image: ImagePullBackOff.
    ImagePull,
    /// A node stops reporting: NotReady, its pods unready, evicted after five minutes.
    NodeNotReady,
    /// Every API request waits `latency_ms` first.
    ApiLatency,
    /// A fraction (`rate`) of API requests fail with 500.
    ApiErrors,
    /// A fraction (`rate`) of API requests get 429 Too Many Requests.
    ApiThrottle,
    /// Open watches are closed (once, or every `every`).
    DropWatches,
    /// History is compacted: watches and continue tokens from before get 410 Gone.
    ExpireResourceVersions,
}

/// A fault, at a simulated time after start, for a while or until the end.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    pub kind: FaultKind,
    /// When it starts, in simulated time since start (`90s`, `5m`); now when absent.
    #[serde(default, deserialize_with = "optional_duration")]
    pub at: Option<f64>,
    /// How long it lasts; until the end when absent.
    #[serde(default, rename = "for", deserialize_with = "optional_duration")]
    pub duration: Option<f64>,
    #[serde(default)]
    pub namespace: Option<String>,
    /// Which pods (label selector), for container faults.
    #[serde(default)]
    pub selector: Option<String>,
    /// Which node, for `node_not_ready`.
    #[serde(default)]
    pub node: Option<String>,
    #[serde(default)]
    pub latency_ms: Option<u64>,
    #[serde(default)]
    pub rate: Option<f64>,
    /// For `drop_watches` and `expire_resource_versions`: repeat this often.
    #[serde(default, deserialize_with = "optional_duration")]
    pub every: Option<f64>,
    /// For `crash_loop` and `oom_kill`: a restart cures it. Once the fault is active,
    /// deleting or replacing a pod it matches (`kubectl delete pod`, a rollout restart)
    /// ends the fault for every pod it matched, so the new pod starts healthy. Without
    /// it a fault outlives restarts, as a bad disk or a broken config would.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub heals_on_restart: bool,
}

/// A duration in seconds, as scenario files write it (`90s`, `5m`, `1h30m`, or a number).
fn optional_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(Option::<SimSpan>::deserialize(d)?.map(SimSpan::secs_f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_reads_from_yaml() {
        let f: FaultSpec =
            serde_norway::from_str("kind: crash_loop\nat: 1m\nfor: 10m\nselector: app=postgres\n")
                .expect("parse");
        assert_eq!(f.kind, FaultKind::CrashLoop);
        assert_eq!((f.at, f.duration), (Some(60.0), Some(600.0)));
        assert!(
            !f.heals_on_restart,
            "a restart heals nothing unless the file says so"
        );
    }

    #[test]
    fn a_fault_may_heal_on_restart() {
        let f: FaultSpec = serde_norway::from_str(
            "kind: crash_loop\nselector: app=postgres\nheals_on_restart: true\n",
        )
        .expect("parse");
        assert!(f.heals_on_restart);
    }
}
