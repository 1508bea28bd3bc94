//! The domain model every part of pilothouse speaks: what the sources report and the views show.

pub mod alert;
pub mod backup;
pub mod docker;
pub mod health;
pub mod host;
pub mod kube;
pub mod labels;
pub mod source;

pub use alert::{Alert, AlertId, AlertState, Severity};
pub use backup::{ContainerBackup, ScheduleKey, VeleroSchedule};
pub use docker::{ContainerId, ContainerRunState, DockerContainer, HealthCheck};
pub use health::{Health, HealthLevel};
pub use host::{Disk, Host, HostId, HostSample};
pub use kube::{
    Condition, ContainerState, CronInfo, EventType, JobInfo, JobOutcome, KubeEvent, KubeId,
    KubeKind, Node, ObjectRef, Pod, PodContainer, PodPhase, Workload,
};
pub use labels::Labels;
pub use source::{Environment, SourceHealth, SourceKey, SourceKind};
