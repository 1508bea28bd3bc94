//! Docker containers, keyed by (docker host, container id).

use std::collections::{BTreeMap, VecDeque};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::health::{Health, HealthLevel};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContainerId {
    pub host: String,
    pub id: String,
}

impl ContainerId {
    pub fn new(host: impl Into<String>, id: impl Into<String>) -> Self {
        ContainerId {
            host: host.into(),
            id: id.into(),
        }
    }

    /// The 12-character id the docker CLI prints.
    pub fn short(&self) -> &str {
        &self.id[..self.id.len().min(12)]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainerRunState {
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
}

impl ContainerRunState {
    pub fn label(self) -> &'static str {
        match self {
            ContainerRunState::Created => "created",
            ContainerRunState::Running => "running",
            ContainerRunState::Paused => "paused",
            ContainerRunState::Restarting => "restarting",
            ContainerRunState::Removing => "removing",
            ContainerRunState::Exited => "exited",
            ContainerRunState::Dead => "dead",
        }
    }
}

/// The container's HEALTHCHECK result, when it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthCheck {
    Starting,
    Healthy,
    Unhealthy,
}

/// Samples of CPU and memory history a container keeps for its sparklines: a minute of a
/// streamed container's samples, longer for one sampled sparsely.
pub const CONTAINER_HISTORY: usize = 60;

/// Network and block I/O in bytes per second, between a container's latest two stats
/// samples. `None` when unknown: a single sample gives no rate, a container without a
/// network (`--network none`) has no network figures at all, and some kernels account no
/// block I/O. Never a zero that means "no data".
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct IoRates {
    /// Received over every network interface of the container.
    pub net_rx: Option<f64>,
    /// Sent over every network interface of the container.
    pub net_tx: Option<f64>,
    pub block_read: Option<f64>,
    pub block_write: Option<f64>,
}

/// Recent usage samples, oldest first, each at most [`CONTAINER_HISTORY`] long.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsageHistory {
    /// CPU % as the CPU column shows it (100 = one CPU busy).
    pub cpu_percent: VecDeque<f32>,
    /// Memory in use, bytes.
    pub memory_bytes: VecDeque<u64>,
}

impl UsageHistory {
    /// Add a sample to a history, dropping the oldest past [`CONTAINER_HISTORY`].
    pub fn push<T>(history: &mut VecDeque<T>, value: T) {
        if history.len() >= CONTAINER_HISTORY {
            history.pop_front();
        }
        history.push_back(value);
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DockerContainer {
    pub id: ContainerId,
    pub name: String,
    pub image: String,
    pub state: ContainerRunState,
    pub health_check: Option<HealthCheck>,
    pub ports: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub created: Option<Timestamp>,
    pub started: Option<Timestamp>,
    pub restart_count: u32,
    pub exit_code: Option<i64>,
    pub oom_killed: bool,
    /// Latest stats sample, when one has been taken.
    pub cpu_percent: Option<f64>,
    pub memory_usage_bytes: Option<u64>,
    pub memory_limit_bytes: Option<u64>,
    /// Network and block I/O rates from the latest two samples.
    pub io: IoRates,
    /// Recent CPU and memory samples, for sparklines.
    pub history: UsageHistory,
}

impl DockerContainer {
    pub fn compose_project(&self) -> Option<&str> {
        self.labels
            .get("com.docker.compose.project")
            .map(String::as_str)
    }

    pub fn compose_service(&self) -> Option<&str> {
        self.labels
            .get("com.docker.compose.service")
            .map(String::as_str)
    }

    pub fn health(&self) -> Health {
        if self.oom_killed {
            return Health::new(HealthLevel::Critical, "OOMKilled");
        }
        match (self.state, self.health_check) {
            (_, Some(HealthCheck::Unhealthy)) => Health::new(HealthLevel::Critical, "unhealthy"),
            (ContainerRunState::Restarting, _) => Health::new(HealthLevel::Critical, "restarting"),
            (ContainerRunState::Dead, _) => Health::new(HealthLevel::Critical, "dead"),
            (ContainerRunState::Exited, _) => match self.exit_code {
                Some(0) => Health::new(HealthLevel::Unknown, "exited 0"),
                Some(code) => Health::new(HealthLevel::Warning, format!("exited {code}")),
                None => Health::new(HealthLevel::Warning, "exited"),
            },
            (ContainerRunState::Running, Some(HealthCheck::Starting))
            | (ContainerRunState::Created, _) => Health::new(HealthLevel::Progressing, "starting"),
            (ContainerRunState::Paused, _) => Health::new(HealthLevel::Warning, "paused"),
            (ContainerRunState::Removing, _) => Health::new(HealthLevel::Progressing, "removing"),
            (ContainerRunState::Running, _) => Health::ok(),
        }
    }
}
