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
use crate::sim::clock::TimeMap;
use crate::sim::common::seeded::{fnv, hash};
use crate::sim::kube::cluster::Cluster;
use crate::sim::kube::http::{Ctx, Reply, Target};
use crate::sim::kube::resources::Kind;
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
    let since_at = since_at(
        ctx.param("sinceSeconds"),
        ctx.param("sinceTime"),
        cluster.clock.now(),
        cluster.clock.map(),
        target.name(),
    )?;
    let timestamps = ctx.flag("timestamps");
    let limit = ctx
        .param("limitBytes")
        .and_then(|l| l.parse::<usize>().ok());
    let window = log.window(now, tail, since_at, MAX_LINES);
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
            // A sinceTime still to come: nothing before it, then on as usual.
            next: window.to.max(window.from),
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

/// The since-time of a request in simulated seconds: `sinceSeconds` before `now` (the
/// timestamp of now), or `sinceTime` (RFC 3339, as kubectl `--since-time` and kube-rs
/// send it, any fraction kept). Both are wall-clock terms, like the lines' timestamps,
/// and go through the clock's map (see `sim::clock`). Lines at or after it are served.
/// As the API server does, both at once are refused (422), and so is a value that does
/// not parse (400).
fn since_at(
    seconds: Option<&str>,
    time: Option<&str>,
    now: Timestamp,
    map: TimeMap,
    pod: &str,
) -> Result<Option<f64>, ApiError> {
    let invalid = |detail: String| {
        ApiError::new(
            422,
            "Invalid",
            format!("PodLogOptions \"{pod}\" is invalid: {detail}"),
        )
    };
    match (seconds, time) {
        (Some(_), Some(_)) => Err(invalid(
            "[]: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified".into(),
        )),
        (Some(s), None) => match s.parse::<i64>() {
            Ok(n) if n >= 1 => {
                let at = now
                    .checked_sub(SignedDuration::from_secs(n))
                    .unwrap_or(Timestamp::MIN);
                Ok(Some(map.secs_at(at)))
            }
            Ok(_) => Err(invalid(format!(
                "sinceSeconds: Invalid value: {s}: must be greater than 0"
            ))),
            Err(_) => Err(ApiError::bad_request(format!(
                "sinceSeconds: invalid value \"{s}\""
            ))),
        },
        (None, Some(t)) => {
            let at = t.parse::<Timestamp>().map_err(|e| {
                ApiError::bad_request(format!("sinceTime: invalid value \"{t}\": {e}"))
            })?;
            Ok(Some(map.secs_at(at)))
        }
        (None, None) => Ok(None),
    }
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
    let times = cluster.clock.map();
    let to_secs = |t: Timestamp| times.secs_at(t);
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
        times,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_times_land_on_the_simulated_clock() {
        let origin: Timestamp = "2026-11-22T10:00:00Z".parse().expect("time");
        // 500 simulated seconds in, at 1x: now is 10:08:20.
        let map = TimeMap::new(origin, 1.0);
        let now: Timestamp = "2026-11-22T10:08:20Z".parse().expect("time");
        let at = |s, t| since_at(s, t, now, map, "api-1");
        assert_eq!(at(None, None).expect("none"), None);
        assert_eq!(at(Some("60"), None).expect("seconds"), Some(440.0));
        assert_eq!(
            at(None, Some("2026-11-22T10:07:20Z")).expect("time"),
            Some(440.0)
        );
        assert_eq!(
            at(None, Some("2026-11-22T10:08:19.25Z")).expect("fraction"),
            Some(499.25)
        );
        assert_eq!(
            at(None, Some("2026-11-22T11:08:25+01:00")).expect("offset"),
            Some(505.0),
            "a time to come"
        );
        assert_eq!(
            at(None, Some("2026-11-22T09:00:00Z")).expect("history"),
            Some(-3600.0)
        );
        assert_eq!(at(None, Some("yesterday")).expect_err("bad").code, 400);
        assert_eq!(at(Some("0"), None).expect_err("zero").code, 422);
        let both = at(Some("5"), Some("2026-11-22T10:07:20Z")).expect_err("both");
        assert_eq!(both.code, 422);
        assert!(both.message.contains("at most one of"), "{}", both.message);
        // At 10x, a real minute ago is ten simulated minutes ago.
        let fast = TimeMap::new(origin, 10.0);
        let now = fast.stamp(6000.0);
        assert_eq!(
            since_at(Some("60"), None, now, fast, "api-1").expect("seconds"),
            Some(5400.0)
        );
    }
}
