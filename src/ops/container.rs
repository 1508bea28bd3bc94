//! Docker operations as the runner sees them: which host a container is on, what a plan
//! says (Docker has no dry-run, so the plan reads the container and says so), and
//! execution through `ops::docker`.

use std::path::Path;

use super::kube::KubePlan;
use super::{OpError, Operation};
use crate::config::Config;
use crate::sources::docker::DockerEndpoint;

/// The fleet's Docker hosts, by the name the HOST column shows.
#[derive(Debug, Clone, Default)]
pub struct DockerHosts(pub Vec<DockerEndpoint>);

impl DockerHosts {
    pub fn get(&self, host: &str) -> Option<&DockerEndpoint> {
        self.0.iter().find(|e| e.name == host)
    }

    /// The engine's URL, who the audit log says was acted on.
    pub fn url_of(&self, host: &str) -> Option<String> {
        self.get(host).map(|e| e.url.to_url())
    }
}

/// Docker has no dry-run: the plan reads the container so that a missing one is refused
/// before the prompt.
pub async fn plan(
    op: &Operation,
    hosts: &DockerHosts,
    _config: &Config,
) -> Result<KubePlan, OpError> {
    let host = op.docker_host().unwrap_or_default();
    let _endpoint = hosts
        .get(host)
        .ok_or_else(|| OpError::Refused(format!("no Docker host named {host}")))?;
    Ok(KubePlan {
        lines: vec![op.summary()],
        dry_run: "not available for Docker".into(),
        ..KubePlan::default()
    })
}

pub async fn execute(
    op: &Operation,
    hosts: &DockerHosts,
    _config: &Config,
    _data_dir: &Path,
) -> Result<String, OpError> {
    let host = op.docker_host().unwrap_or_default();
    let _endpoint = hosts
        .get(host)
        .ok_or_else(|| OpError::Refused(format!("no Docker host named {host}")))?;
    Err(OpError::Refused(
        "Docker operations are not built yet".into(),
    ))
}
