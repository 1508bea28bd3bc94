//! Writing a pod's status the way the kubelet does: container states, conditions, IPs.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
    ContainerStatus, HostIP, Pod, PodCondition, PodIP,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::sim::common::seeded::{Rng, fnv};

/// Where a pod's containers are in their life (the sim moves a pod's containers together).
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    Creating,
    PullFailed { backing_off: bool },
    Running { ready: bool },
    Exited { reason: String, exit_code: i32 },
    BackOff,
}

/// The stage of a pod, read from its first container's state.
pub fn stage(pod: &Pod) -> Stage {
    let state = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|c| c.first())
        .map(|c| (c.state.clone().unwrap_or_default(), c.ready));
    let Some((state, ready)) = state else {
        return Stage::Creating;
    };
    if state.running.is_some() {
        return Stage::Running { ready };
    }
    if let Some(t) = state.terminated {
        return Stage::Exited {
            reason: t.reason.unwrap_or_default(),
            exit_code: t.exit_code,
        };
    }
    match state.waiting.and_then(|w| w.reason).as_deref() {
        Some("ErrImagePull") => Stage::PullFailed { backing_off: false },
        Some("ImagePullBackOff") => Stage::PullFailed { backing_off: true },
        Some("CrashLoopBackOff") => Stage::BackOff,
        _ => Stage::Creating,
    }
}

/// Set a condition, keeping its transition time when the status does not change.
pub fn set_condition(
    pod: &mut Pod,
    kind: &str,
    status: bool,
    reason: Option<&str>,
    now: Timestamp,
) {
    let conditions = pod
        .status
        .get_or_insert_with(Default::default)
        .conditions
        .get_or_insert_with(Vec::new);
    let status = if status { "True" } else { "False" };
    let message = reason.and_then(|r| match r {
        "ContainersNotReady" => Some("containers with unready status".to_string()),
        _ => None,
    });
    match conditions.iter_mut().find(|c| c.type_ == kind) {
        Some(c) => {
            if c.status != status {
                c.status = status.into();
                c.last_transition_time = Some(Time(now));
            }
            c.reason = reason.map(str::to_string);
            c.message = message;
        }
        None => conditions.push(PodCondition {
            type_: kind.into(),
            status: status.into(),
            reason: reason.map(str::to_string),
            message,
            last_transition_time: Some(Time(now)),
            last_probe_time: None,
            observed_generation: None,
        }),
    }
}

/// Mark the pod ready or not (Ready and ContainersReady).
pub fn set_ready(pod: &mut Pod, ready: bool, now: Timestamp) {
    let reason = (!ready).then_some("ContainersNotReady");
    set_condition(pod, "ContainersReady", ready, reason, now);
    set_condition(pod, "Ready", ready, reason, now);
    for c in container_statuses(pod) {
        c.ready = ready && c.state.as_ref().is_some_and(|s| s.running.is_some());
    }
}

/// The container statuses, created from the spec when missing.
pub fn container_statuses(pod: &mut Pod) -> &mut Vec<ContainerStatus> {
    let specs: Vec<(String, String)> = pod
        .spec
        .iter()
        .flat_map(|s| s.containers.iter())
        .map(|c| (c.name.clone(), c.image.clone().unwrap_or_default()))
        .collect();
    let statuses = pod
        .status
        .get_or_insert_with(Default::default)
        .container_statuses
        .get_or_insert_with(Vec::new);
    if statuses.len() != specs.len() {
        *statuses = specs
            .into_iter()
            .map(|(name, image)| ContainerStatus {
                image_id: image_id(&image),
                name,
                image,
                ..ContainerStatus::default()
            })
            .collect();
    }
    statuses
}

/// A pinned image reference, as the runtime reports it.
pub fn image_id(image: &str) -> String {
    let repo = image.split(':').next().unwrap_or(image);
    let repo = if repo.contains('/') {
        repo.to_string()
    } else {
        format!("docker.io/library/{repo}")
    };
    let h = fnv(image);
    format!(
        "{repo}@sha256:{h:016x}{:016x}{:016x}{:016x}",
        h.rotate_left(16),
        h.rotate_left(32),
        h.rotate_left(48)
    )
}

/// Every container waiting, for `reason`.
pub fn set_waiting(pod: &mut Pod, reason: &str, message: Option<String>) {
    for c in container_statuses(pod) {
        c.state = Some(ContainerState {
            waiting: Some(ContainerStateWaiting {
                reason: Some(reason.into()),
                message: message.clone(),
            }),
            ..ContainerState::default()
        });
        c.ready = false;
        c.started = Some(false);
    }
}

/// Every container running since `now`, with fresh container ids.
pub fn set_running(pod: &mut Pod, now: Timestamp, rng: &mut Rng) {
    for c in container_statuses(pod) {
        c.state = Some(ContainerState {
            running: Some(ContainerStateRunning {
                started_at: Some(Time(now)),
            }),
            ..ContainerState::default()
        });
        c.container_id = Some(format!("containerd://{}", rng.hex(4)));
        c.started = Some(true);
        c.ready = false;
    }
    let status = pod.status.get_or_insert_with(Default::default);
    status.phase = Some("Running".into());
}

/// Every container exited with `exit_code` / `reason`; the running state moves to
/// `lastState` when it restarts.
pub fn set_exited(pod: &mut Pod, reason: &str, exit_code: i32, now: Timestamp) {
    for c in container_statuses(pod) {
        let started = c
            .state
            .as_ref()
            .and_then(|s| s.running.as_ref())
            .and_then(|r| r.started_at.clone());
        c.state = Some(ContainerState {
            terminated: Some(ContainerStateTerminated {
                exit_code,
                reason: Some(reason.into()),
                started_at: started,
                finished_at: Some(Time(now)),
                container_id: c.container_id.clone(),
                ..ContainerStateTerminated::default()
            }),
            ..ContainerState::default()
        });
        c.ready = false;
        c.started = Some(false);
    }
}

/// Move each container's terminated state into `lastState`, count a restart, and wait
/// in CrashLoopBackOff.
pub fn back_off(pod: &mut Pod, backoff_secs: f64) {
    let pod_name = pod.metadata.name.clone().unwrap_or_default();
    let pod_ns = pod.metadata.namespace.clone().unwrap_or_default();
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    for c in container_statuses(pod) {
        if let Some(state) = c.state.take() {
            c.last_state = Some(state);
        }
        c.state = Some(ContainerState {
            waiting: Some(ContainerStateWaiting {
                reason: Some("CrashLoopBackOff".into()),
                message: Some(format!(
                    "back-off {}s restarting failed container={} pod={pod_name}_{pod_ns}({uid})",
                    backoff_secs as u64, c.name
                )),
            }),
            ..ContainerState::default()
        });
        c.restart_count += 1;
        c.ready = false;
    }
}

/// Give the pod its IPs and start time when it first runs.
pub fn set_addresses(pod: &mut Pod, pod_ip: &str, host_ip: &str, now: Timestamp) {
    let status = pod.status.get_or_insert_with(Default::default);
    if status.pod_ip.is_none() {
        status.pod_ip = Some(pod_ip.into());
        status.pod_ips = Some(vec![PodIP { ip: pod_ip.into() }]);
    }
    status.host_ip = Some(host_ip.into());
    status.host_ips = Some(vec![HostIP { ip: host_ip.into() }]);
    status.start_time.get_or_insert(Time(now));
}
