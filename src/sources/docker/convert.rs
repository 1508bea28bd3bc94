//! From the engine's inspect answer to the store's [`DockerContainer`]: only what a view
//! shows or an operation needs (DESIGN.md §4).

use std::collections::BTreeMap;

use bollard::models::{
    ContainerInspectResponse, ContainerStateStatusEnum, ContainerSummary,
    ContainerSummaryStateEnum, HealthStatusEnum, PortBinding,
};
use jiff::Timestamp;

use crate::model::docker::{IoRates, UsageHistory};
use crate::model::{ContainerId, ContainerRunState, DockerContainer, HealthCheck};

/// The container `inspect` describes, on `host`; `None` without an id.
pub fn container_from_inspect(
    host: &str,
    inspect: &ContainerInspectResponse,
) -> Option<DockerContainer> {
    let id = inspect.id.as_deref().filter(|id| !id.is_empty())?;
    let state = inspect.state.as_ref();
    let run_state = state.map_or(ContainerRunState::Created, |s| {
        run_state(s.status, s.running, s.paused, s.restarting, s.dead)
    });
    let config = inspect.config.as_ref();
    let image = config
        .and_then(|c| c.image.clone())
        .or_else(|| inspect.image.clone())
        .unwrap_or_default();
    let labels: BTreeMap<String, String> = config
        .and_then(|c| c.labels.as_ref())
        .map(|l| l.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let ports = inspect
        .network_settings
        .as_ref()
        .and_then(|n| n.ports.as_ref())
        .map(|ports| port_list(ports.iter().map(|(k, v)| (k.as_str(), v.as_deref()))))
        .unwrap_or_default();
    // The engine keeps the last run's exit code while the container runs again; it only
    // means something once the container has stopped (or is waiting to restart).
    let exit_code = match run_state {
        ContainerRunState::Exited | ContainerRunState::Dead | ContainerRunState::Restarting => {
            state.and_then(|s| s.exit_code)
        }
        _ => None,
    };
    Some(DockerContainer {
        id: ContainerId::new(host, id),
        name: inspect
            .name
            .as_deref()
            .unwrap_or(id)
            .trim_start_matches('/')
            .to_string(),
        image,
        state: run_state,
        health_check: state
            .and_then(|s| s.health.as_ref())
            .and_then(|h| h.status)
            .and_then(health_check),
        ports,
        labels,
        created: inspect.created.as_deref().and_then(engine_time),
        started: state
            .and_then(|s| s.started_at.as_deref())
            .and_then(engine_time),
        restart_count: inspect
            .restart_count
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0),
        exit_code,
        oom_killed: state.and_then(|s| s.oom_killed).unwrap_or(false),
        cpu_percent: None,
        memory_usage_bytes: None,
        memory_limit_bytes: None,
        io: IoRates::default(),
        history: UsageHistory::default(),
    })
}

/// What the list call alone says about a container: the fallback when its inspect fails,
/// so that a container is shown with less detail rather than not at all.
pub fn container_from_summary(host: &str, summary: &ContainerSummary) -> Option<DockerContainer> {
    let id = summary.id.as_deref().filter(|id| !id.is_empty())?;
    use ContainerSummaryStateEnum as S;
    let state = match summary.state {
        Some(S::CREATED) => ContainerRunState::Created,
        Some(S::RUNNING | S::STOPPING) => ContainerRunState::Running,
        Some(S::PAUSED) => ContainerRunState::Paused,
        Some(S::RESTARTING) => ContainerRunState::Restarting,
        Some(S::REMOVING) => ContainerRunState::Removing,
        Some(S::DEAD) => ContainerRunState::Dead,
        Some(S::EXITED | S::EMPTY) | None => ContainerRunState::Exited,
    };
    let ports = summary
        .ports
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let proto = p.typ.map_or("tcp".to_string(), |t| t.to_string());
            match (p.ip.as_deref(), p.public_port) {
                (Some(ip), Some(public)) => format!("{ip}:{public}->{}/{proto}", p.private_port),
                _ => format!("{}/{proto}", p.private_port),
            }
        })
        .collect();
    Some(DockerContainer {
        id: ContainerId::new(host, id),
        name: summary
            .names
            .as_ref()
            .and_then(|n| n.first())
            .map_or(id, String::as_str)
            .trim_start_matches('/')
            .to_string(),
        image: summary.image.clone().unwrap_or_default(),
        state,
        health_check: None,
        ports,
        labels: summary
            .labels
            .as_ref()
            .map(|l| l.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        created: summary.created.and_then(|s| Timestamp::from_second(s).ok()),
        started: None,
        restart_count: 0,
        exit_code: None,
        oom_killed: false,
        cpu_percent: None,
        memory_usage_bytes: None,
        memory_limit_bytes: None,
        io: IoRates::default(),
        history: UsageHistory::default(),
    })
}

/// The state word, or the flags when the engine gives none (old or foreign engines).
fn run_state(
    status: Option<ContainerStateStatusEnum>,
    running: Option<bool>,
    paused: Option<bool>,
    restarting: Option<bool>,
    dead: Option<bool>,
) -> ContainerRunState {
    use ContainerStateStatusEnum as S;
    match status {
        Some(S::CREATED) => ContainerRunState::Created,
        // A stopping container still runs until it has stopped.
        Some(S::RUNNING | S::STOPPING) => ContainerRunState::Running,
        Some(S::PAUSED) => ContainerRunState::Paused,
        Some(S::RESTARTING) => ContainerRunState::Restarting,
        Some(S::REMOVING) => ContainerRunState::Removing,
        Some(S::EXITED) => ContainerRunState::Exited,
        Some(S::DEAD) => ContainerRunState::Dead,
        Some(S::EMPTY) | None => {
            let flag = |f: Option<bool>| f.unwrap_or(false);
            if flag(dead) {
                ContainerRunState::Dead
            } else if flag(restarting) {
                ContainerRunState::Restarting
            } else if flag(paused) {
                ContainerRunState::Paused
            } else if flag(running) {
                ContainerRunState::Running
            } else {
                ContainerRunState::Exited
            }
        }
    }
}

fn health_check(status: HealthStatusEnum) -> Option<HealthCheck> {
    match status {
        HealthStatusEnum::STARTING => Some(HealthCheck::Starting),
        HealthStatusEnum::HEALTHY => Some(HealthCheck::Healthy),
        HealthStatusEnum::UNHEALTHY => Some(HealthCheck::Unhealthy),
        HealthStatusEnum::NONE | HealthStatusEnum::EMPTY => None,
    }
}

/// A time as the engine writes it; its "never" (`0001-01-01T00:00:00Z`) is `None`.
pub fn engine_time(text: &str) -> Option<Timestamp> {
    let t: Timestamp = text.parse().ok()?;
    (t.as_second() > 0).then_some(t)
}

/// Ports as `docker ps` prints them: `0.0.0.0:8080->80/tcp`, or `80/tcp` when only
/// exposed, ordered by container port.
fn port_list<'a>(ports: impl Iterator<Item = (&'a str, Option<&'a [PortBinding]>)>) -> Vec<String> {
    let mut entries: Vec<(u32, String)> = Vec::new();
    for (container_port, bindings) in ports {
        let number = container_port
            .split('/')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(u32::MAX);
        match bindings {
            Some(bindings) if !bindings.is_empty() => {
                for b in bindings {
                    let ip = b.host_ip.as_deref().filter(|ip| !ip.is_empty());
                    let port = b.host_port.as_deref().unwrap_or("");
                    let host = match ip {
                        Some(ip) if ip.contains(':') => format!("[{ip}]:{port}"),
                        Some(ip) => format!("{ip}:{port}"),
                        None => port.to_string(),
                    };
                    entries.push((number, format!("{host}->{container_port}")));
                }
            }
            _ => entries.push((number, container_port.to_string())),
        }
    }
    entries.sort();
    entries.dedup();
    entries.into_iter().map(|(_, text)| text).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inspect(json: &str) -> ContainerInspectResponse {
        serde_json::from_str(json).expect("valid inspect JSON")
    }

    /// Trimmed from a real `GET /containers/{id}/json` of Docker 20.10.
    const OOM_KILLED: &str = r#"{
        "Id": "4c1d0b8e2f",
        "Created": "2026-11-22T18:28:12.1Z",
        "Name": "/pilothouse-oom",
        "RestartCount": 0,
        "Image": "sha256:abc",
        "State": {"Status": "exited", "Running": false, "Paused": false, "Restarting": false,
                  "OOMKilled": true, "Dead": false, "Pid": 0, "ExitCode": 137, "Error": "",
                  "StartedAt": "2026-11-22T18:28:12.263652362Z",
                  "FinishedAt": "2026-11-22T18:28:12.450340362Z"},
        "Config": {"Image": "pilothouse-test/busybox:latest",
                   "Labels": {"com.docker.compose.project": "shop",
                              "com.docker.compose.service": "db"}},
        "NetworkSettings": {"Ports": {}}
    }"#;

    #[test]
    fn an_oom_killed_container_keeps_its_exit_code_and_flag() {
        let c = container_from_inspect("local", &inspect(OOM_KILLED)).unwrap();
        assert_eq!(c.id, ContainerId::new("local", "4c1d0b8e2f"));
        assert_eq!(c.name, "pilothouse-oom");
        assert_eq!(c.image, "pilothouse-test/busybox:latest");
        assert_eq!(c.state, ContainerRunState::Exited);
        assert_eq!(c.exit_code, Some(137));
        assert!(c.oom_killed);
        assert_eq!(c.compose_project(), Some("shop"));
        assert_eq!(c.compose_service(), Some("db"));
        assert!(c.started.is_some() && c.created.is_some());
    }

    #[test]
    fn a_running_container_has_no_exit_code_and_shows_health_and_ports() {
        let c = container_from_inspect(
            "local",
            &inspect(
                r#"{"Id": "a1", "Name": "/web", "RestartCount": 3,
                    "State": {"Status": "running", "Running": true, "ExitCode": 1,
                              "StartedAt": "2026-11-22T18:00:00Z",
                              "Health": {"Status": "unhealthy", "FailingStreak": 3}},
                    "Config": {"Image": "nginx"},
                    "NetworkSettings": {"Ports": {
                        "443/tcp": null,
                        "80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"},
                                   {"HostIp": "::", "HostPort": "8080"}]}}}"#,
            ),
        )
        .unwrap();
        assert_eq!(c.state, ContainerRunState::Running);
        assert_eq!(c.exit_code, None);
        assert_eq!(c.restart_count, 3);
        assert_eq!(c.health_check, Some(HealthCheck::Unhealthy));
        assert_eq!(
            c.ports,
            ["0.0.0.0:8080->80/tcp", "[::]:8080->80/tcp", "443/tcp"]
        );
    }

    #[test]
    fn never_started_is_none_and_missing_status_falls_back_to_flags() {
        let c = container_from_inspect(
            "h",
            &inspect(
                r#"{"Id": "b2", "Name": "/new",
                    "State": {"Status": "", "Restarting": true, "ExitCode": 2,
                              "StartedAt": "0001-01-01T00:00:00Z"}}"#,
            ),
        )
        .unwrap();
        assert_eq!(c.started, None);
        assert_eq!(c.state, ContainerRunState::Restarting);
        assert_eq!(c.exit_code, Some(2));
        assert!(container_from_inspect("h", &inspect(r#"{"Name": "/x"}"#)).is_none());
    }
}
