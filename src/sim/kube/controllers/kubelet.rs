//! The scheduler and the kubelet, as one state machine per pod driven by timers: bind to
//! a node, pull (or fail to: ImagePullBackOff), start, become ready, crash
//! (CrashLoopBackOff, OOMKilled) and restart with back-off, complete (Job pods), and
//! finish a graceful deletion. Each step reads the pod, writes its next state and sets
//! the one timer for the step after.

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Node, Pod};

use super::events::{self, Involved, Source};
use super::pod_status::{self, Stage};
use super::{Env, Timer};
use crate::sim::common::seeded::Rng;
use crate::sim::kube::faults::ActiveFault;
use crate::sim::kube::object::Phase;
use crate::sim::kube::resources::Kind;
use crate::sim::kube::scenario::FaultKind;

/// How long a container takes to stop after SIGTERM (simulated seconds).
pub fn stop_delay(rng: &mut Rng) -> f64 {
    rng.between(0.5, 3.0)
}

/// CrashLoopBackOff's delay before restart `restarts` (10 s doubling to five minutes; the
/// first restart is immediate).
fn backoff(restarts: i32) -> f64 {
    if restarts == 0 {
        1.0
    } else {
        (10.0 * 2f64.powi(restarts - 1)).min(300.0)
    }
}

/// An event's subject: a container of a pod.
fn on_container<'a>(pod: &'a Pod, container: &str) -> Involved<'a> {
    Involved::of(pod).container(container)
}

/// One step of a pod's life.
pub fn step(env: &mut Env, key: &str, uid: &str) {
    let (namespace, name) = key.split_once('/').unwrap_or(("", key));
    let Some(stored) = env.store.get(Kind::Pod, namespace, name) else {
        return;
    };
    if &*stored.uid != uid {
        return;
    }
    let Ok(mut pod) = stored.parse::<Pod>() else {
        return;
    };
    let node = pod.spec.as_ref().and_then(|s| s.node_name.clone());
    // A node that is down does nothing; its pods move on when it comes back.
    if let Some(n) = &node
        && env.cluster.faults.node_down(env.secs, n)
    {
        return;
    }
    if pod.metadata.deletion_timestamp.is_some() {
        if let Some(node) = &node {
            for c in pod.spec.iter().flat_map(|s| s.containers.iter()) {
                let message = format!("Stopping container {}", c.name);
                events::normal(
                    env,
                    on_container(&pod, &c.name),
                    Source::Kubelet(node),
                    "Killing",
                    &message,
                );
            }
        }
        env.store.delete(Kind::Pod, namespace, name);
        return;
    }
    let Some(node) = node else {
        bind(env, pod);
        return;
    };
    if Phase::parse(
        pod.status
            .as_ref()
            .and_then(|s| s.phase.as_deref())
            .unwrap_or_default(),
    )
    .finished()
    {
        return;
    }
    let labels = pod.metadata.labels.clone().unwrap_or_default();
    let label = |k: &str| labels.get(k).cloned();
    let fault = env
        .cluster
        .faults
        .container_fault(env.secs, namespace, &label);
    let job_pod = labels.contains_key("batch.kubernetes.io/job-name");
    let before = pod.clone();
    let first_container = pod
        .spec
        .as_ref()
        .and_then(|s| s.containers.first())
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let next = match pod_status::stage(&pod) {
        Stage::Creating | Stage::PullFailed { .. } if fault == Some(FaultKind::ImagePull) => {
            fail_pull(env, &mut pod, &node, &first_container)
        }
        Stage::Creating | Stage::PullFailed { .. } | Stage::BackOff => {
            start(env, &mut pod, &node, &first_container, fault, job_pod)
        }
        Stage::Running { ready } => {
            if job_pod && ready {
                let failed = matches!(fault, Some(FaultKind::CrashLoop | FaultKind::OomKill));
                finish(env, &mut pod, failed);
                None
            } else if fault == Some(FaultKind::CrashLoop) {
                crash(env, &mut pod, "Error", 1)
            } else if fault == Some(FaultKind::OomKill) && ready {
                crash(env, &mut pod, "OOMKilled", 137)
            } else if !ready {
                pod_status::set_ready(&mut pod, true, env.now);
                match fault {
                    Some(FaultKind::OomKill) => Some(env.sched.rng.between(20.0, 90.0)),
                    _ => None,
                }
            } else {
                None
            }
        }
        Stage::Exited { .. } => {
            let restarts = pod_status::container_statuses(&mut pod)
                .first()
                .map_or(0, |c| c.restart_count);
            let delay = backoff(restarts);
            pod_status::back_off(&mut pod, delay);
            if restarts > 0 {
                let message = format!(
                    "Back-off restarting failed container {first_container} in pod {name}_{namespace}({uid})"
                );
                events::warning(
                    env,
                    Involved::of(&pod).container(&first_container),
                    Source::Kubelet(&node),
                    "BackOff",
                    &message,
                );
            }
            Some(delay)
        }
    };
    // A step that changes nothing writes nothing (no spurious MODIFIED events).
    let written = pod == before || env.store.update(pod).is_ok();
    if written && let Some(delay) = next {
        env.sched
            .at(env.secs + delay, Timer::PodStep(key.into(), uid.into()));
    }
}

/// Place a pending pod on the ready node with the fewest pods.
fn bind(env: &mut Env, mut pod: Pod) {
    let key = format!(
        "{}/{}",
        pod.metadata.namespace.as_deref().unwrap_or_default(),
        pod.metadata.name.as_deref().unwrap_or_default()
    );
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    let chosen = env
        .store
        .list(Kind::Node, None, None)
        .filter(|n| n.summary.ready && n.label("node-role.kubernetes.io/control-plane").is_none())
        .filter(|n| !env.cluster.faults.node_down(env.secs, n.name()))
        .min_by_key(|n| env.store.pods_on_node(n.name()))
        .map(|n| n.name().to_string());
    let Some(node) = chosen else {
        pod_status::set_condition(
            &mut pod,
            "PodScheduled",
            false,
            Some("Unschedulable"),
            env.now,
        );
        let message = "0/0 nodes are available: no nodes available to schedule pods.";
        events::warning(
            env,
            Involved::of(&pod),
            Source::Scheduler,
            "FailedScheduling",
            message,
        );
        if env.store.update(pod).is_ok() {
            env.sched
                .at(env.secs + 5.0, Timer::PodStep(key.into(), uid.into()));
        }
        return;
    };
    pod.spec.get_or_insert_with(Default::default).node_name = Some(node.clone());
    pod_status::set_condition(&mut pod, "PodScheduled", true, None, env.now);
    let message = format!(
        "Successfully assigned {}/{} to {node}",
        pod.metadata.namespace.as_deref().unwrap_or_default(),
        pod.metadata.name.as_deref().unwrap_or_default()
    );
    events::normal(
        env,
        Involved::of(&pod),
        Source::Scheduler,
        "Scheduled",
        &message,
    );
    pod_status::set_waiting(&mut pod, "ContainerCreating", None);
    if env.store.update(pod).is_ok() {
        let delay = env.sched.rng.between(0.5, 2.0);
        env.sched
            .at(env.secs + delay, Timer::PodStep(key.into(), uid.into()));
    }
}

/// The node's pod CIDR and address.
fn node_addresses(env: &Env, node: &str) -> (String, String) {
    let n: Option<Node> = env.store.get_typed("", node);
    let cidr = n
        .as_ref()
        .and_then(|n| n.spec.as_ref())
        .and_then(|s| s.pod_cidr.clone())
        .unwrap_or_else(|| "10.244.0.0/24".into());
    let ip = n
        .and_then(|n| n.status)
        .and_then(|s| s.addresses)
        .and_then(|a| a.into_iter().find(|a| a.type_ == "InternalIP"))
        .map(|a| a.address)
        .unwrap_or_else(|| "10.0.0.10".into());
    (cidr, ip)
}

fn fail_pull(env: &mut Env, pod: &mut Pod, node: &str, container: &str) -> Option<f64> {
    let image = pod
        .spec
        .as_ref()
        .and_then(|s| s.containers.first())
        .and_then(|c| c.image.clone())
        .unwrap_or_default();
    let backing_off = matches!(
        pod_status::stage(pod),
        Stage::PullFailed { backing_off: false }
    );
    if backing_off {
        let message = format!("Back-off pulling image \"{image}\"");
        pod_status::set_waiting(pod, "ImagePullBackOff", Some(message.clone()));
        events::normal(
            env,
            Involved::of(&*pod).container(container),
            Source::Kubelet(node),
            "BackOff",
            &message,
        );
        Some(env.sched.rng.between(10.0, 40.0))
    } else {
        let message = format!(
            "Failed to pull image \"{image}\": rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": not found"
        );
        events::normal(
            env,
            Involved::of(&*pod).container(container),
            Source::Kubelet(node),
            "Pulling",
            &format!("Pulling image \"{image}\""),
        );
        events::warning(
            env,
            Involved::of(&*pod).container(container),
            Source::Kubelet(node),
            "Failed",
            &message,
        );
        pod_status::set_waiting(pod, "ErrImagePull", Some(message));
        Some(env.sched.rng.between(2.0, 6.0))
    }
}

/// Start (or restart) the containers; returns when the next step is due.
fn start(
    env: &mut Env,
    pod: &mut Pod,
    node: &str,
    container: &str,
    fault: Option<FaultKind>,
    job_pod: bool,
) -> Option<f64> {
    let restarting = matches!(pod_status::stage(pod), Stage::BackOff);
    let image = pod
        .spec
        .as_ref()
        .and_then(|s| s.containers.first())
        .and_then(|c| c.image.clone())
        .unwrap_or_default();
    let (cidr, host_ip) = node_addresses(env, node);
    let ip = env.sched.pod_ip(node, &cidr);
    pod_status::set_addresses(pod, &ip, &host_ip, env.now);
    pod_status::set_running(pod, env.now, &mut env.sched.rng);
    for (kind, status) in [("PodReadyToStartContainers", true), ("Initialized", true)] {
        pod_status::set_condition(pod, kind, status, None, env.now);
    }
    pod_status::set_ready(pod, job_pod, env.now);
    if restarting {
        events::normal(
            env,
            on_container(pod, container),
            Source::Kubelet(node),
            "Pulled",
            &format!("Container image \"{image}\" already present on machine"),
        );
    } else {
        let pull = env.sched.rng.between(0.4, 4.0);
        events::normal(
            env,
            on_container(pod, container),
            Source::Kubelet(node),
            "Pulling",
            &format!("Pulling image \"{image}\""),
        );
        events::normal(
            env,
            on_container(pod, container),
            Source::Kubelet(node),
            "Pulled",
            &format!(
                "Successfully pulled image \"{image}\" in {pull:.3}s ({pull:.3}s including waiting)"
            ),
        );
    }
    events::normal(
        env,
        on_container(pod, container),
        Source::Kubelet(node),
        "Created",
        &format!("Created container: {container}"),
    );
    events::normal(
        env,
        on_container(pod, container),
        Source::Kubelet(node),
        "Started",
        &format!("Started container {container}"),
    );
    let rng = &mut env.sched.rng;
    Some(if job_pod {
        let labels = pod.metadata.labels.clone().unwrap_or_default();
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let profile = env.cluster.profiles.for_container(
            &namespace,
            labels.get("app").map(String::as_str),
            &image,
        );
        profile.run_time * rng.between(0.8, 1.2)
    } else {
        match fault {
            Some(FaultKind::CrashLoop) => rng.between(2.0, 8.0),
            _ => rng.between(1.0, 5.0),
        }
    })
}

/// The containers exit; the next step backs off and restarts them.
fn crash(env: &mut Env, pod: &mut Pod, reason: &str, exit_code: i32) -> Option<f64> {
    pod_status::set_exited(pod, reason, exit_code, env.now);
    pod_status::set_ready(pod, false, env.now);
    Some(env.sched.rng.between(0.5, 1.5))
}

/// A Job pod's work is done.
fn finish(env: &mut Env, pod: &mut Pod, failed: bool) {
    let (reason, code, phase) = if failed {
        ("Error", 1, "Failed")
    } else {
        ("Completed", 0, "Succeeded")
    };
    pod_status::set_exited(pod, reason, code, env.now);
    pod_status::set_ready(pod, false, env.now);
    pod_status::set_condition(pod, "Ready", false, Some("PodCompleted"), env.now);
    pod_status::set_condition(pod, "ContainersReady", false, Some("PodCompleted"), env.now);
    pod_status::set_condition(pod, "PodReadyToStartContainers", false, None, env.now);
    pod.status.get_or_insert_with(Default::default).phase = Some(phase.into());
}

/// A crash-loop or OOM fault began: the matching running pods fail soon.
pub fn fault_started(env: &mut Env, fault: &ActiveFault) {
    let targets: Vec<(Box<str>, Box<str>)> = env
        .store
        .list(Kind::Pod, fault.spec.namespace.as_deref(), None)
        .filter(|p| p.summary.phase == Phase::Running && !p.summary.terminating)
        .filter(|p| fault.matches_pod(p.namespace(), &|k: &str| p.label(k).map(str::to_string)))
        .map(|p| (p.key.clone(), p.uid.clone()))
        .collect();
    for (key, uid) in targets {
        let delay = match fault.spec.kind {
            FaultKind::OomKill => env.sched.rng.between(10.0, 60.0),
            _ => env.sched.rng.between(1.0, 10.0),
        };
        env.sched.at(env.secs + delay, Timer::PodStep(key, uid));
    }
}

/// Make a pod look as if it had been running on `node` since `started` (the initial
/// estate, before any controller ran).
pub fn settle_running(
    pod: &mut Pod,
    node: &str,
    pod_ip: &str,
    host_ip: &str,
    started: Timestamp,
    restarts: i32,
    rng: &mut Rng,
) {
    pod.spec.get_or_insert_with(Default::default).node_name = Some(node.into());
    pod_status::set_addresses(pod, pod_ip, host_ip, started);
    pod_status::set_running(pod, started, rng);
    for c in pod_status::container_statuses(pod) {
        c.restart_count = restarts;
    }
    for kind in ["PodReadyToStartContainers", "Initialized", "PodScheduled"] {
        pod_status::set_condition(pod, kind, true, None, started);
    }
    pod_status::set_ready(pod, true, started);
}

/// Make a Job pod look as if it had run from `started` to `finished`.
pub fn settle_finished(
    pod: &mut Pod,
    node: &str,
    pod_ip: &str,
    host_ip: &str,
    started: Timestamp,
    finished: Timestamp,
    rng: &mut Rng,
) {
    settle_running(pod, node, pod_ip, host_ip, started, 0, rng);
    pod_status::set_exited(pod, "Completed", 0, finished);
    for kind in ["Ready", "ContainersReady"] {
        pod_status::set_condition(pod, kind, false, Some("PodCompleted"), finished);
    }
    pod_status::set_condition(pod, "PodReadyToStartContainers", false, None, finished);
    for c in pod_status::container_statuses(pod) {
        c.ready = false;
    }
    pod.status.get_or_insert_with(Default::default).phase = Some("Succeeded".into());
}
