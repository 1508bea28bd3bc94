//! `GET …/pods/<name>/log`: `container`, `follow`, `previous`, `tailLines`,
//! `sinceSeconds`, `sinceTime`, `timestamps`, `limitBytes`, with kubelet's answers for
//! containers that are not running.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use bytes::Bytes;
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::{ContainerStatus, Pod};
use tokio::sync::mpsc;

use super::generate::ContainerLog;
use crate::sim::kube::cluster::Cluster;
use crate::sim::kube::http::{Ctx, Reply, Target};
use crate::sim::kube::resources::Kind;
use crate::sim::kube::rng::{fnv, hash};
use crate::sim::kube::status::ApiError;

/// Without `tailLines`/`sinceSeconds`, at most this many lines (the kubelet's log files
/// rotate too; this keeps a container that has run for weeks from answering with GBs).
const MAX_LINES: u64 = 50_000;

pub async fn serve_logs(ctx: &Ctx, target: &Target) -> Reply {
    let cluster = ctx.cluster.clone();
    let pod: Pod = cluster
        .store()
        .get(Kind::Pod, target.namespace(), target.name())
        .and_then(|o| o.parse().ok())
        .ok_or_else(|| ApiError::not_found(target.resource, target.name()))?;
    let previous = ctx.flag("previous");
    let (log, status) = container_log(&cluster, &pod, ctx.param("container"), previous)?;
    let now = cluster.sim_secs();
    let tail = ctx
        .param("tailLines")
        .and_then(|t| t.parse::<i64>().ok())
        .map(|t| t.max(0) as u64);
    let mut since = ctx
        .param("sinceSeconds")
        .and_then(|s| s.parse::<f64>().ok());
    if let Some(time) = ctx
        .param("sinceTime")
        .and_then(|t| t.parse::<Timestamp>().ok())
    {
        since = Some((cluster.clock.now().as_second() - time.as_second()).max(0) as f64);
    }
    let timestamps = ctx.flag("timestamps");
    let limit = ctx
        .param("limitBytes")
        .and_then(|l| l.parse::<usize>().ok());
    let window = log.window(now, tail, since, MAX_LINES);
    let mut text = log.render(window, timestamps);
    // Multi-line entries (stack traces) can exceed a tail: keep exactly the last N lines.
    if let Some(tail) = tail {
        let lines: Vec<&str> = text.lines().collect();
        if lines.len() as u64 > tail {
            text = lines[lines.len() - tail as usize..].join("\n") + "\n";
        }
    }
    if let Some(limit) = limit {
        truncate_bytes(&mut text, limit);
    }
    let follow = ctx.flag("follow") && !previous && log.end.is_none();
    let body = if follow {
        let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(64);
        let sent = text.len();
        let first = Bytes::from(text);
        let key = (target.namespace().to_string(), target.name().to_string());
        let follow = Follow {
            cluster,
            pod: key,
            status,
            log,
            next: window.to,
            timestamps,
            budget: limit.map(|l| l.saturating_sub(sent)),
        };
        tokio::spawn(follow_log(follow, first, tx));
        Body::from_stream(futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        }))
    } else {
        Body::from(text)
    };
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    Ok(response)
}

fn truncate_bytes(text: &mut String, limit: usize) {
    if text.len() > limit {
        let mut cut = limit;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
}

/// The log of the requested container instance, and the status it was read from.
fn container_log(
    cluster: &Cluster,
    pod: &Pod,
    container: Option<&str>,
    previous: bool,
) -> Result<(ContainerLog, ContainerStatus), ApiError> {
    let pod_name = pod.metadata.name.clone().unwrap_or_default();
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let containers: Vec<&k8s_openapi::api::core::v1::Container> =
        pod.spec.iter().flat_map(|s| s.containers.iter()).collect();
    let spec = match container {
        Some(name) => containers.iter().find(|c| c.name == name).ok_or_else(|| {
            let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
            ApiError::bad_request(format!(
                "container {name} is not valid for pod {pod_name}, choose one of: [{}]",
                names.join(" ")
            ))
        })?,
        None if containers.len() == 1 => &containers[0],
        None => {
            let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
            return Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                names.join(" ")
            )));
        }
    };
    let status = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|all| all.iter().find(|c| c.name == spec.name))
        .cloned();
    let waiting = |reason: &str| {
        ApiError::bad_request(format!(
            "container \"{}\" in pod \"{pod_name}\" is waiting to start: {reason}",
            spec.name
        ))
    };
    let Some(status) = status else {
        return Err(waiting("ContainerCreating"));
    };
    let state = status.state.clone().unwrap_or_default();
    let last = status
        .last_state
        .as_ref()
        .and_then(|s| s.terminated.clone());
    let (started, finished, reason, instance) = if previous {
        let t = last.ok_or_else(|| {
            ApiError::bad_request(format!(
                "previous terminated container \"{}\" in pod \"{pod_name}\" not found",
                spec.name
            ))
        })?;
        (
            t.started_at,
            t.finished_at,
            t.reason,
            status.restart_count - 1,
        )
    } else if let Some(r) = &state.running {
        (r.started_at.clone(), None, None, status.restart_count)
    } else if let Some(t) = &state.terminated {
        (
            t.started_at.clone(),
            t.finished_at.clone(),
            t.reason.clone(),
            status.restart_count,
        )
    } else {
        // Backing off after a crash: the kubelet serves the last run's log.
        match (
            state.waiting.as_ref().and_then(|w| w.reason.as_deref()),
            last,
        ) {
            (Some("CrashLoopBackOff"), Some(t)) => (
                t.started_at,
                t.finished_at,
                t.reason,
                status.restart_count - 1,
            ),
            (Some("ErrImagePull" | "ImagePullBackOff"), _) => {
                return Err(waiting("trying and failing to pull image"));
            }
            (reason, _) => return Err(waiting(reason.unwrap_or("ContainerCreating"))),
        }
    };
    let now_secs = cluster.sim_secs();
    let now = cluster.clock.now();
    let epoch = now
        .checked_sub(SignedDuration::from_nanos((now_secs * 1e9) as i64))
        .unwrap_or(now);
    let to_secs =
        |t: Timestamp| now_secs - (now.as_millisecond() - t.as_millisecond()) as f64 / 1000.0;
    let labels = pod.metadata.labels.clone().unwrap_or_default();
    let profile = cluster.profiles.for_container(
        &namespace,
        labels.get("app").map(String::as_str),
        spec.image.as_deref().unwrap_or_default(),
    );
    let outages = profile
        .depends_on
        .iter()
        .flat_map(|dep| cluster.faults.outages(&namespace, dep))
        .collect();
    let start = started.map_or(now_secs, |t| to_secs(t.0));
    let log = ContainerLog {
        seed: hash(&[
            cluster.seed,
            fnv(&format!("{namespace}/{pod_name}/{}", spec.name)),
            instance.max(0) as u64,
        ]),
        style: profile.style,
        rate: profile.rate,
        start,
        end: finished.map(|t| to_secs(t.0)),
        end_reason: reason,
        run_time: labels
            .contains_key("batch.kubernetes.io/job-name")
            .then_some(profile.run_time),
        outages,
        pod: pod_name,
        epoch,
    };
    Ok((log, status))
}

/// What a following log stream needs to carry on.
struct Follow {
    cluster: Arc<Cluster>,
    /// Namespace and name.
    pod: (String, String),
    /// The container's status when the request came (to notice a restart).
    status: ContainerStatus,
    log: ContainerLog,
    /// The next line to send.
    next: u64,
    timestamps: bool,
    /// What is left of `limitBytes`.
    budget: Option<usize>,
}

/// `follow=true`: write new lines as simulated time reaches them, until the container
/// instance ends or the client goes away.
async fn follow_log(follow: Follow, first: Bytes, tx: mpsc::Sender<Result<Bytes, std::io::Error>>) {
    let Follow {
        cluster,
        pod,
        status,
        mut log,
        mut next,
        timestamps,
        mut budget,
    } = follow;
    if tx.send(Ok(first)).await.is_err() {
        return;
    }
    loop {
        let now = cluster.sim_secs();
        let wait = (log.time_of(next) - now).max(0.0);
        // Check on the container at least every second of real time.
        let delay = cluster
            .clock
            .real_duration(wait)
            .min(Duration::from_secs(1));
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = tx.closed() => return,
        }
        let current: Option<Pod> = cluster.store().get_typed(&pod.0, &pod.1);
        let same = current
            .as_ref()
            .and_then(|p| {
                p.status
                    .as_ref()?
                    .container_statuses
                    .as_ref()?
                    .iter()
                    .find(|c| c.name == status.name)
                    .cloned()
            })
            .is_some_and(|c| {
                c.restart_count == status.restart_count
                    && c.state.as_ref().is_some_and(|s| s.running.is_some())
            });
        if !same {
            log.end = Some(cluster.sim_secs());
        }
        let to = log.count_at(cluster.sim_secs());
        if to > next {
            let mut text = log.render(super::LineWindow { from: next, to }, timestamps);
            next = to;
            if let Some(left) = budget.as_mut() {
                truncate_bytes(&mut text, *left);
                *left -= text.len();
            }
            if !text.is_empty() && tx.send(Ok(Bytes::from(text))).await.is_err() {
                return;
            }
            if budget == Some(0) {
                return;
            }
        }
        if !same {
            return;
        }
    }
}
