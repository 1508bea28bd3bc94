//! Docker operations: restart, stop and start a container, and back one up by running a
//! configured argv in it (DESIGN.md §6). Every request goes through bollard; no shell
//! ever sees a name.
//!
//! - [`container`]: [`container_action`], with the docker CLI's stop semantics;
//! - [`backup`]: [`backup()`] and the backup history the backups view reads;
//! - here: a client for a fleet host, opened as the Docker source opens it, and finding
//!   which host has a container.

pub mod backup;
pub mod container;

use bollard::Docker;

pub use backup::{BackupRecord, backup, history_path, last_success, load_history};
pub use container::{ContainerAction, container_action};

use super::OpError;
use crate::sources::docker::DockerEndpoint;
use crate::sources::docker::connect::{ConnectError, connect};

/// A client for `endpoint`, connected as the Docker source connects (TLS, SSH, API
/// version agreed). An engine that cannot be reached refuses the operation: nothing was
/// sent, so nothing changed.
pub async fn client_for(endpoint: &DockerEndpoint) -> Result<Docker, OpError> {
    connect(&endpoint.url).await.map_err(|error| match error {
        ConnectError::PermissionDenied(_) => {
            OpError::Forbidden(format!("Docker host {}: {error}", endpoint.name))
        }
        other => OpError::Refused(format!("Docker host {}: {other}", endpoint.name)),
    })
}

/// The host that has `container` and a client for it: the endpoint named `host` when one
/// is given, else the first of `endpoints` whose engine knows the container.
pub async fn locate_container(
    container: &str,
    host: Option<&str>,
    endpoints: &[DockerEndpoint],
) -> Result<(DockerEndpoint, Docker), OpError> {
    if let Some(host) = host {
        let endpoint = endpoints
            .iter()
            .find(|e| e.name == host)
            .ok_or_else(|| OpError::Refused(format!("no Docker host named {host}")))?;
        return Ok((endpoint.clone(), client_for(endpoint).await?));
    }
    // Hosts that could not be asked are named, since the container may be on one of them.
    let mut unreachable = Vec::new();
    for endpoint in endpoints {
        let docker = match client_for(endpoint).await {
            Ok(docker) => docker,
            Err(error) => {
                unreachable.push(error.to_string());
                continue;
            }
        };
        match docker.inspect_container(container, None).await {
            Ok(_) => return Ok((endpoint.clone(), docker)),
            Err(error) if is_not_found(&error) => {}
            Err(error) => unreachable.push(format!("Docker host {}: {error}", endpoint.name)),
        }
    }
    let mut message = format!("no Docker host has a container {container}");
    if !unreachable.is_empty() {
        message.push_str(&format!(" (not asked: {})", unreachable.join("; ")));
    }
    Err(OpError::Refused(message))
}

/// Whether the engine said 404: no such container (or exec, or image).
pub(crate) fn is_not_found(error: &bollard::errors::Error) -> bool {
    matches!(
        error,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}
