//! Docker operations as the runner sees them: which host a container is on, what a plan
//! says (Docker has no dry-run, so the plan reads the container and says so), and
//! execution through `ops::docker`.

use std::path::Path;

use bollard::Docker;
use jiff::Timestamp;

use super::backup_config::BackupTarget;
use super::docker::{self, ContainerAction};
use super::kube::KubePlan;
use super::{ContainerRef, OpError, Operation};
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

    async fn client(&self, host: &str) -> Result<Docker, OpError> {
        let endpoint = self
            .get(host)
            .ok_or_else(|| OpError::Refused(format!("no Docker host named {host}")))?;
        docker::client_for(endpoint).await
    }
}

/// The `[[backup]]` entry `name` of the config.
fn backup_target<'a>(config: &'a Config, name: &str) -> Result<&'a BackupTarget, OpError> {
    config
        .backups
        .iter()
        .find(|b| b.name == name)
        .ok_or_else(|| OpError::Refused(format!("no [[backup]] named {name} in the config")))
}

/// Docker has no dry-run: the plan inspects the container, so a missing one (or a
/// backup of a stopped one) is refused before the prompt, and says what will run.
pub async fn plan(
    op: &Operation,
    hosts: &DockerHosts,
    config: &Config,
) -> Result<KubePlan, OpError> {
    let (target, lines) = match op {
        Operation::Container { target, action } => {
            let effect = match action {
                ContainerAction::Restart => "stop (10 s grace, then SIGKILL) and start again",
                ContainerAction::Stop => "stop (10 s grace, then SIGKILL); it stays stopped",
                ContainerAction::Start => "start",
            };
            (
                target,
                vec![format!("{} {}: {effect}", action.verb(), target.name)],
            )
        }
        Operation::ContainerBackup { target, backup } => {
            let entry = backup_target(config, backup)?;
            (
                target,
                vec![
                    format!("run in {}: {:?} (argv, no shell)", target.name, entry.argv),
                    format!(
                        "stdout saved under the data dir's backups/{}/{}/, with size and SHA-256",
                        target.host, entry.container
                    ),
                ],
            )
        }
        _ => return Err(OpError::Refused("not a Docker operation".into())),
    };
    let docker = hosts.client(&target.host).await?;
    let state = inspect_state(&docker, target).await?;
    let mut lines = lines;
    lines.push(format!("now: {state}"));
    Ok(KubePlan {
        lines,
        dry_run: "not available for Docker (the container was inspected)".into(),
        ..KubePlan::default()
    })
}

async fn inspect_state(docker: &Docker, target: &ContainerRef) -> Result<String, OpError> {
    let inspect =
        docker
            .inspect_container(&target.id, None)
            .await
            .map_err(|e| match OpError::from(e) {
                OpError::Refused(m) => OpError::Refused(format!("{}: {m}", target.name)),
                other => other,
            })?;
    let state = inspect.state.unwrap_or_default();
    Ok(format!(
        "{} (started {}, restarts {})",
        state
            .status
            .map(|s| s.to_string())
            .unwrap_or_else(|| "unknown".into()),
        state.started_at.unwrap_or_default(),
        inspect.restart_count.unwrap_or_default()
    ))
}

/// Execute a Docker operation and read the result back.
pub async fn execute(
    op: &Operation,
    hosts: &DockerHosts,
    config: &Config,
    data_dir: &Path,
) -> Result<String, OpError> {
    match op {
        Operation::Container { target, action } => {
            let docker = hosts.client(&target.host).await?;
            docker::container_action(&docker, &target.id, *action).await?;
            // Verify: what the engine says now.
            let state = inspect_state(&docker, target).await?;
            Ok(format!("{} {}; now {state}", past(*action), target.name))
        }
        Operation::ContainerBackup { target, backup } => {
            let entry = backup_target(config, backup)?;
            let docker = hosts.client(&target.host).await?;
            let record =
                docker::backup(&docker, &target.host, entry, data_dir, Timestamp::now()).await?;
            Ok(format!(
                "backup {} succeeded: {} bytes, sha256 {}, {}",
                backup,
                record.bytes,
                &record.sha256[..record.sha256.len().min(16)],
                record.path.display()
            ))
        }
        _ => Err(OpError::Refused("not a Docker operation".into())),
    }
}

fn past(action: ContainerAction) -> &'static str {
    match action {
        ContainerAction::Restart => "restarted",
        ContainerAction::Stop => "stopped",
        ContainerAction::Start => "started",
    }
}
