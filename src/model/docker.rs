//! Docker containers, keyed by (docker host, container id).

use std::collections::BTreeMap;

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
