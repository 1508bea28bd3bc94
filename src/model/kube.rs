//! Kubernetes objects, trimmed to what a view shows or an operation needs (DESIGN.md §4).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::health::{Health, HealthLevel};
use super::labels::Labels;

/// The kinds of Kubernetes object the fleet keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum KubeKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    CronJob,
    Job,
    Pod,
    Node,
}

impl KubeKind {
    pub const WORKLOADS: [KubeKind; 5] = [
        KubeKind::Deployment,
        KubeKind::StatefulSet,
        KubeKind::DaemonSet,
        KubeKind::CronJob,
        KubeKind::Job,
    ];

    /// The short name kubectl users type (`deploy`, `sts`, `cj`).
    pub fn short(self) -> &'static str {
        match self {
            KubeKind::Deployment => "deploy",
            KubeKind::StatefulSet => "sts",
            KubeKind::DaemonSet => "ds",
            KubeKind::CronJob => "cj",
            KubeKind::Job => "job",
            KubeKind::Pod => "pod",
            KubeKind::Node => "node",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            KubeKind::Deployment => "Deployment",
            KubeKind::StatefulSet => "StatefulSet",
            KubeKind::DaemonSet => "DaemonSet",
            KubeKind::CronJob => "CronJob",
            KubeKind::Job => "Job",
            KubeKind::Pod => "Pod",
            KubeKind::Node => "Node",
        }
    }

    /// Parse a kind as kubectl accepts it: full, plural or short name, any case.
    pub fn parse(text: &str) -> Option<KubeKind> {
        let t = text.to_ascii_lowercase();
        Some(match t.as_str() {
            "deployment" | "deployments" | "deploy" => KubeKind::Deployment,
            "statefulset" | "statefulsets" | "sts" => KubeKind::StatefulSet,
            "daemonset" | "daemonsets" | "ds" => KubeKind::DaemonSet,
            "cronjob" | "cronjobs" | "cj" => KubeKind::CronJob,
            "job" | "jobs" => KubeKind::Job,
            "pod" | "pods" | "po" => KubeKind::Pod,
            "node" | "nodes" | "no" => KubeKind::Node,
            _ => return None,
        })
    }
}

/// Explicit identity of a namespaced Kubernetes object: (context, namespace, kind, name).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubeId {
    pub context: String,
    pub namespace: String,
    pub kind: KubeKind,
    pub name: String,
}

impl KubeId {
    pub fn new(
        context: impl Into<String>,
        namespace: impl Into<String>,
        kind: KubeKind,
        name: impl Into<String>,
    ) -> Self {
        KubeId {
            context: context.into(),
            namespace: namespace.into(),
            kind,
            name: name.into(),
        }
    }
}

/// A reference from one object to another in the same context and namespace.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    pub kind: String,
    pub name: String,
}

/// A status condition (`Available`, `Progressing`, `Ready`, `MemoryPressure`...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    #[serde(rename = "type")]
    pub kind: String,
    pub status: bool,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub message: String,
}

/// What a CronJob adds to a workload row.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CronInfo {
    pub schedule: String,
    pub suspended: bool,
    pub last_schedule: Option<Timestamp>,
    /// `status.lastSuccessfulTime`: when a Job it made last succeeded.
    pub last_success: Option<Timestamp>,
    /// Outcome of the most recent Job it made, if known.
    pub last_outcome: Option<JobOutcome>,
    pub active: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobOutcome {
    Running,
    Succeeded,
    Failed,
}

impl JobOutcome {
    pub fn label(self) -> &'static str {
        match self {
            JobOutcome::Running => "running",
            JobOutcome::Succeeded => "succeeded",
            JobOutcome::Failed => "failed",
        }
    }
}

/// What a Job adds to a workload row.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobInfo {
    pub completions: u32,
    pub succeeded: u32,
    pub failed: u32,
    pub active: u32,
    pub finished: Option<Timestamp>,
}

/// A Deployment, StatefulSet, DaemonSet, CronJob or Job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    pub id: KubeId,
    pub created: Option<Timestamp>,
    pub labels: BTreeMap<String, String>,
    /// The pod selector's matchLabels, used to find the workload's pods.
    pub selector: BTreeMap<String, String>,
    pub images: Vec<String>,
    pub desired: u32,
    pub ready: u32,
    pub updated: u32,
    pub available: u32,
    pub paused: bool,
    pub generation: i64,
    pub observed_generation: i64,
    /// `deployment.kubernetes.io/revision` or the current ControllerRevision number.
    pub revision: Option<i64>,
    pub conditions: Vec<Condition>,
    pub cron: Option<CronInfo>,
    pub job: Option<JobInfo>,
    pub owner: Option<ObjectRef>,
}

impl Workload {
    /// Health as an on-call engineer reads it from the row.
    pub fn health(&self) -> Health {
        match self.id.kind {
            KubeKind::CronJob => {
                let cron = self.cron.clone().unwrap_or_default();
                match cron.last_outcome {
                    Some(JobOutcome::Failed) => {
                        Health::new(HealthLevel::Warning, "last job failed")
                    }
                    Some(JobOutcome::Running) => Health::new(HealthLevel::Progressing, "running"),
                    _ if cron.suspended => Health::new(HealthLevel::Unknown, "suspended"),
                    _ => Health::ok(),
                }
            }
            KubeKind::Job => {
                let job = self.job.clone().unwrap_or_default();
                if job.failed > 0 && job.active == 0 && job.succeeded < job.completions.max(1) {
                    Health::new(HealthLevel::Critical, format!("{} failed", job.failed))
                } else if job.active > 0 {
                    Health::new(HealthLevel::Progressing, "running")
                } else {
                    Health::ok()
                }
            }
            _ => {
                if let Some(failed) = self
                    .conditions
                    .iter()
                    .find(|c| c.kind == "Progressing" && !c.status)
                {
                    return Health::new(HealthLevel::Critical, failed.reason.clone());
                }
                if self.desired > 0 && self.ready == 0 {
                    Health::new(HealthLevel::Critical, "no replica ready")
                } else if self.updated < self.desired || self.observed_generation < self.generation
                {
                    Health::new(HealthLevel::Progressing, "rolling out")
                } else if self.ready < self.desired {
                    Health::new(
                        HealthLevel::Warning,
                        format!("{}/{} ready", self.ready, self.desired),
                    )
                } else {
                    Health::ok()
                }
            }
        }
    }

    /// Rollout progress in 0..=1: the share of desired replicas updated and available.
    pub fn rollout_progress(&self) -> f64 {
        if self.desired == 0 {
            return 1.0;
        }
        f64::from(self.updated.min(self.available)) / f64::from(self.desired)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PodPhase {
    Pending,
    Running,
    Succeeded,
    Failed,
    Unknown,
}

impl PodPhase {
    pub fn label(self) -> &'static str {
        match self {
            PodPhase::Pending => "Pending",
            PodPhase::Running => "Running",
            PodPhase::Succeeded => "Succeeded",
            PodPhase::Failed => "Failed",
            PodPhase::Unknown => "Unknown",
        }
    }
}

/// A container's current state, as kubelet reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerState {
    Running { since: Option<Timestamp> },
    Waiting { reason: String },
    Terminated { reason: String, exit_code: i32 },
}

#[derive(Debug, Clone, Eq)]
pub struct PodContainer {
    pub name: String,
    pub image: String,
    pub ready: bool,
    pub restarts: u32,
    pub state: ContainerState,
    /// Reason of the last termination (`OOMKilled`, `Error`), kept after a restart.
    pub last_termination: Option<String>,
}

#[derive(Debug, Clone, Eq)]
pub struct Pod {
    pub id: KubeId,
    pub created: Option<Timestamp>,
    pub labels: Labels,
    pub phase: PodPhase,
    pub node: Option<String>,
    pub ip: Option<String>,
    pub owner: Option<ObjectRef>,
    pub containers: Vec<PodContainer>,
    pub deleting: bool,
    /// From metrics.k8s.io, when sampled.
    pub cpu_millis: Option<u64>,
    pub memory_bytes: Option<u64>,
}

/// Field by field, like a derived `PartialEq`, but what changes between two reports of
/// the same container first (ready, restarts, state), so an update that changed something
/// is told apart without reading its name and image. Destructured, so a new field cannot
/// be forgotten.
impl PartialEq for PodContainer {
    fn eq(&self, other: &Self) -> bool {
        let PodContainer {
            name,
            image,
            ready,
            restarts,
            state,
            last_termination,
        } = self;
        *ready == other.ready
            && *restarts == other.restarts
            && *state == other.state
            && *last_termination == other.last_termination
            && *name == other.name
            && *image == other.image
    }
}

/// Field by field, like a derived `PartialEq`, but the fields an update usually changes
/// (phase, containers, metrics) before the ones it never does (identity, labels): most
/// upserts replace a pod with a changed one, and the fleet store compares every upsert
/// with what it holds (an identical one changes nothing), so the usual answer, "not
/// equal", comes before reading the id's and labels' strings. Destructured, so a new field
/// cannot be forgotten.
impl PartialEq for Pod {
    fn eq(&self, other: &Self) -> bool {
        let Pod {
            id,
            created,
            labels,
            phase,
            node,
            ip,
            owner,
            containers,
            deleting,
            cpu_millis,
            memory_bytes,
        } = self;
        *phase == other.phase
            && *deleting == other.deleting
            && *cpu_millis == other.cpu_millis
            && *memory_bytes == other.memory_bytes
            && *containers == other.containers
            && *node == other.node
            && *ip == other.ip
            && *created == other.created
            && *owner == other.owner
            && *labels == other.labels
            && *id == other.id
    }
}

impl Pod {
    pub fn ready_count(&self) -> usize {
        self.containers.iter().filter(|c| c.ready).count()
    }

    pub fn restarts(&self) -> u32 {
        self.containers.iter().map(|c| c.restarts).sum()
    }

    /// The most telling reason a container is not running, if any (`CrashLoopBackOff`).
    pub fn waiting_reason(&self) -> Option<&str> {
        self.containers.iter().find_map(|c| match &c.state {
            ContainerState::Waiting { reason } if !reason.is_empty() => Some(reason.as_str()),
            ContainerState::Terminated { reason, .. } if !reason.is_empty() => {
                Some(reason.as_str())
            }
            _ => None,
        })
    }

    pub fn last_termination(&self) -> Option<&str> {
        self.containers
            .iter()
            .find_map(|c| c.last_termination.as_deref())
    }

    /// The status word kubectl prints in its STATUS column.
    pub fn status_text(&self) -> &str {
        if self.deleting {
            return "Terminating";
        }
        self.waiting_reason().unwrap_or(self.phase.label())
    }

    pub fn health(&self) -> Health {
        if self.deleting {
            return Health::new(HealthLevel::Progressing, "terminating");
        }
        if let Some(reason) = self.waiting_reason() {
            let level = match reason {
                "ContainerCreating" | "PodInitializing" | "Completed" => HealthLevel::Progressing,
                _ => HealthLevel::Critical,
            };
            if !(reason == "Completed" && self.phase == PodPhase::Succeeded) {
                return Health::new(level, reason);
            }
        }
        match self.phase {
            PodPhase::Succeeded => Health::ok(),
            PodPhase::Failed => Health::new(HealthLevel::Critical, "failed"),
            PodPhase::Pending => Health::new(HealthLevel::Progressing, "pending"),
            PodPhase::Unknown => Health::new(HealthLevel::Unknown, "unknown"),
            PodPhase::Running => {
                let ready = self.ready_count();
                if ready < self.containers.len() {
                    Health::new(
                        HealthLevel::Warning,
                        format!("{ready}/{} ready", self.containers.len()),
                    )
                } else if self.restarts() > 0 && self.last_termination() == Some("OOMKilled") {
                    Health::new(HealthLevel::Warning, "OOMKilled before")
                } else {
                    Health::ok()
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub context: String,
    pub name: String,
    pub created: Option<Timestamp>,
    pub roles: Vec<String>,
    pub version: String,
    /// The `Ready` condition: `None` when the kubelet never said.
    pub ready: Option<bool>,
    /// Other conditions that are true (`MemoryPressure`, `DiskPressure`...).
    pub pressures: Vec<String>,
    pub unschedulable: bool,
    pub taints: Vec<String>,
    pub cpu_allocatable_millis: u64,
    pub memory_allocatable_bytes: u64,
    pub cpu_used_millis: Option<u64>,
    pub memory_used_bytes: Option<u64>,
}

impl Node {
    pub fn health(&self) -> Health {
        match self.ready {
            Some(false) => Health::new(HealthLevel::Critical, "NotReady"),
            None => Health::new(HealthLevel::Unknown, "no Ready condition"),
            Some(true) if !self.pressures.is_empty() => {
                Health::new(HealthLevel::Warning, self.pressures.join(","))
            }
            Some(true) if self.unschedulable => {
                Health::new(HealthLevel::Warning, "SchedulingDisabled")
            }
            Some(true) => Health::ok(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EventType {
    Warning,
    Normal,
}

/// A Kubernetes Event, keyed by (context, namespace, name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeEvent {
    pub context: String,
    pub namespace: String,
    pub name: String,
    pub kind: EventType,
    pub reason: String,
    pub message: String,
    pub object: ObjectRef,
    pub count: u32,
    pub last_seen: Option<Timestamp>,
}
