//! Restart, stop and start a container, as `docker restart|stop|start` do.

use std::time::Duration;

use bollard::Docker;

use super::is_not_found;
use crate::ops::OpError;

/// What the docker CLI waits, by default, between the stop signal and SIGKILL: the
/// engine's default, used when a container was created without `--stop-timeout`.
pub const DEFAULT_STOP_GRACE: Duration = Duration::from_secs(10);

/// How long to wait when a container's stop timeout is -1 ("wait forever"): the answer
/// must end some time; past this the outcome is reported as unknown.
const UNBOUNDED_STOP_WAIT: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContainerAction {
    Restart,
    Stop,
    Start,
}

impl ContainerAction {
    /// The verb as the docker CLI and the audit log say it.
    pub fn verb(self) -> &'static str {
        match self {
            ContainerAction::Restart => "restart",
            ContainerAction::Stop => "stop",
            ContainerAction::Start => "start",
        }
    }
}

impl std::fmt::Display for ContainerAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.verb())
    }
}

/// Do `action` to `container` (a name or id) and return once the engine has done it.
///
/// Stop and restart send the container's stop signal, then SIGKILL after its stop
/// timeout: 10 s unless it was created with `--stop-timeout`. Like the docker CLI,
/// pilothouse sends no timeout of its own, so a database given a minute to shut down
/// cleanly gets its minute; the request waits that long plus the client's usual timeout.
/// Stopping a stopped container or starting a running one is done already, not an error.
pub async fn container_action(
    docker: &Docker,
    container: &str,
    action: ContainerAction,
) -> Result<(), OpError> {
    let failed = |error: bollard::errors::Error| in_context(action, container, error.into());
    let inspect = docker
        .inspect_container(container, None)
        .await
        .map_err(|error| {
            if is_not_found(&error) {
                OpError::Refused(format!("{action} {container}: no such container"))
            } else {
                failed(error)
            }
        })?;
    let grace = stop_grace(inspect.config.and_then(|c| c.stop_timeout));
    let docker = docker.clone().with_timeout(docker.timeout() + grace);
    let result = match action {
        ContainerAction::Restart => docker.restart_container(container, None).await,
        ContainerAction::Stop => docker.stop_container(container, None).await,
        ContainerAction::Start => docker.start_container(container, None).await,
    };
    match result {
        Ok(()) => Ok(()),
        Err(error) if is_not_modified(&error) => Ok(()),
        Err(error) => Err(failed(error)),
    }
}

/// How long the engine may wait before it kills, from the container's `StopTimeout`.
fn stop_grace(stop_timeout: Option<i64>) -> Duration {
    match stop_timeout {
        None => DEFAULT_STOP_GRACE,
        Some(seconds) if seconds < 0 => UNBOUNDED_STOP_WAIT,
        Some(seconds) => Duration::from_secs(seconds.unsigned_abs()),
    }
}

/// 304: the container already was in the state asked for.
fn is_not_modified(error: &bollard::errors::Error) -> bool {
    matches!(
        error,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 304,
            ..
        }
    )
}

/// The error, its message prefixed with what was being done.
fn in_context(action: ContainerAction, container: &str, error: OpError) -> OpError {
    let said = |message: String| format!("{action} {container}: {message}");
    match error {
        OpError::ReadOnly(m) => OpError::ReadOnly(m),
        OpError::Forbidden(m) => OpError::Forbidden(said(m)),
        OpError::Refused(m) => OpError::Refused(said(m)),
        OpError::Failed(m) => OpError::Failed(said(m)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grace_is_the_containers_stop_timeout() {
        assert_eq!(stop_grace(None), DEFAULT_STOP_GRACE);
        assert_eq!(stop_grace(Some(60)), Duration::from_secs(60));
        assert_eq!(stop_grace(Some(-1)), UNBOUNDED_STOP_WAIT);
    }

    #[test]
    fn engine_errors_say_what_was_being_done() {
        let error = bollard::errors::Error::DockerResponseServerError {
            status_code: 409,
            message: "container is paused".into(),
        };
        assert_eq!(
            in_context(ContainerAction::Stop, "db", error.into()),
            OpError::Refused("stop db: container is paused".into())
        );
    }
}
