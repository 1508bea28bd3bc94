//! What sources send: the only way the outside world changes the fleet (DESIGN.md §2).

use super::access::Grant;
use super::usage::UsageSample;
use crate::logs::{RawLogLine, StreamKey};
use crate::model::{
    Alert, AlertId, ContainerBackup, ContainerId, DockerContainer, Environment, HostId, HostSample,
    KubeEvent, KubeId, KubeKind, Node, Pod, SourceHealth, SourceKey, VeleroSchedule, Workload,
};

/// A Kubernetes context as the header shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextInfo {
    pub name: String,
    pub environment: Environment,
    /// `None` means all namespaces.
    pub namespace: Option<String>,
}

/// The part of the fleet one source owns, which it can clear before a relist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every object of one kind in one context (`Pod` covers pods, `Node` nodes...).
    Kube {
        context: String,
        kind: KubeKind,
    },
    /// Every event of one context.
    KubeEvents {
        context: String,
    },
    /// Every Velero Schedule of one context.
    VeleroSchedules {
        context: String,
    },
    DockerHost {
        host: String,
    },
    Alerts {
        source: String,
    },
    Hosts {
        source: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum SourceEvent {
    Health {
        source: SourceKey,
        health: SourceHealth,
    },
    Context(ContextInfo),
    UpsertWorkload(Workload),
    DeleteWorkload(KubeId),
    UpsertPod(Pod),
    DeletePod(KubeId),
    UpsertNode(Node),
    DeleteNode {
        context: String,
        name: String,
    },
    UpsertEvent(KubeEvent),
    DeleteEvent {
        context: String,
        namespace: String,
        name: String,
    },
    UpsertSchedule(VeleroSchedule),
    DeleteSchedule {
        context: String,
        namespace: String,
        name: String,
    },
    /// The config's container backup targets with their history, whole (read at start
    /// and after a container backup ran; they are few).
    ContainerBackups(Vec<ContainerBackup>),
    UpsertContainer(DockerContainer),
    DeleteContainer(ContainerId),
    HostSample {
        id: HostId,
        sample: HostSample,
    },
    DeleteHost(HostId),
    UpsertAlert(Alert),
    DeleteAlert(AlertId),
    /// Forget everything in a scope, e.g. before the upserts of a relist.
    Clear(Scope),
    /// Events applied together, so no frame shows half of a relist.
    Batch(Vec<SourceEvent>),
    /// Log lines, routed to the log store rather than the fleet.
    Log(Vec<RawLogLine>),
    /// Lines a source had to drop because its channel was full.
    LogDropped {
        stream: StreamKey,
        lines: u64,
    },
    /// A list/watch of `resource` in `context` was refused (403), or is readable again.
    Readable {
        context: String,
        resource: String,
        readable: bool,
    },
    /// Answers of SelfSubjectAccessReviews, cached for operations.
    Grants {
        context: String,
        grants: Vec<Grant>,
    },
    /// Whether `context` serves `metrics.k8s.io` (learnt at the first sampling).
    MetricsApi {
        context: String,
        available: bool,
    },
    /// One sampling round of pod and node usage in `context`.
    Usage {
        context: String,
        pods: Vec<UsageSample>,
        nodes: Vec<UsageSample>,
    },
    /// The namespaces of a context, whole (they are few; used for `:ns` completion).
    Namespaces {
        context: String,
        names: Vec<String>,
    },
    /// A context was disconnected: forget everything it reported.
    ForgetContext {
        context: String,
    },
}
