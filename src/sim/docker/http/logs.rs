//! `GET /containers/{id}/logs`: history, then (with `follow`) new lines until the run
//! ends, as multiplexed frames (the sim's containers have no TTY).

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::BytesMut;

use super::{ApiError, DockerSim, Query, channel_body, flag};
use crate::sim::common::time::Nanos;
use crate::sim::common::time::{parse_api_time, rfc3339_fixed};
use crate::sim::docker::estate::ActionError;
use crate::sim::docker::frames::{StreamSet, put_frame};
use crate::sim::docker::lifecycle::Phase;
use crate::sim::docker::logs::{self, LogLine};

/// The parameters of one logs request.
#[derive(Debug, Clone, Copy)]
struct LogRequest {
    want: StreamSet,
    timestamps: bool,
    since: Option<Nanos>,
    until: Option<Nanos>,
    tail: Option<usize>,
    follow: bool,
}

impl LogRequest {
    fn parse(q: &std::collections::HashMap<String, String>) -> Result<LogRequest, ApiError> {
        let want = StreamSet {
            stdout: flag(q, "stdout"),
            stderr: flag(q, "stderr"),
        };
        if !want.stdout && !want.stderr {
            return Err(ApiError::bad_request(
                "Bad parameters: you must choose at least one stream",
            ));
        }
        // `since=0` (what the CLI sends without `--since`) means from the beginning.
        let time = |key: &str| {
            q.get(key)
                .and_then(|t| parse_api_time(t))
                .filter(|&t| t != 0)
        };
        let tail = match q.get("tail").map(|t| t.trim()) {
            None | Some("" | "all") => None,
            Some(n) => n.parse::<i64>().ok().and_then(|n| usize::try_from(n).ok()),
        };
        Ok(LogRequest {
            want,
            timestamps: flag(q, "timestamps"),
            since: time("since"),
            until: time("until"),
            tail,
            follow: flag(q, "follow"),
        })
    }

    fn encode(&self, lines: &[LogLine]) -> Bytes {
        let mut out = BytesMut::new();
        for line in lines {
            let text = if self.timestamps {
                format!("{} {}\n", rfc3339_fixed(line.at), line.text)
            } else {
                format!("{}\n", line.text)
            };
            put_frame(&mut out, line.stream, text.as_bytes());
        }
        out.freeze()
    }
}

pub async fn logs(
    State(sim): State<Arc<DockerSim>>,
    Path(id): Path<String>,
    q: Query,
) -> Result<Response, ApiError> {
    let request = LogRequest::parse(&q)?;
    let (index, history, follow) = sim.with(|e, now| {
        let index = e.find(&id)?;
        let c = &e.containers[index];
        let from = logs::history_start(c, now).max(request.since.map_or(Nanos::MIN, |s| s - 1));
        let to = request.until.map_or(now, |u| u.min(now));
        let lines = logs::tail(c, from, to, request.want, request.tail);
        let running = matches!(c.life.phase, Phase::Running | Phase::Paused);
        let keep_going = request.follow && running && request.until.is_none_or(|u| u > now);
        let follow = if keep_going {
            c.life.started_at.map(|run| (run, now))
        } else {
            None
        };
        Ok::<_, ActionError>((index, lines, follow))
    })?;
    let first = request.encode(&history);
    let body = match follow {
        None => Body::from(first),
        Some((run_start, cursor)) => {
            let (tx, body) = channel_body(16);
            tokio::spawn(follow_logs(
                sim, index, run_start, cursor, request, first, tx,
            ));
            body
        }
    };
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.docker.multiplexed-stream"),
    );
    Ok(response)
}

/// Send new lines as simulated time passes, until the run ends, `until` passes, or the
/// client goes away.
async fn follow_logs(
    sim: Arc<DockerSim>,
    index: usize,
    run_start: Nanos,
    mut cursor: Nanos,
    request: LogRequest,
    first: Bytes,
    tx: tokio::sync::mpsc::Sender<Bytes>,
) {
    if !first.is_empty() && tx.send(first).await.is_err() {
        return;
    }
    let pause = sim
        .with(|e, _| logs::period(&e.containers[index]))
        .map_or(Duration::from_millis(250), |p| sim.real(p))
        .clamp(Duration::from_millis(20), Duration::from_millis(250));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = tx.closed() => return,
        }
        let (lines, done) = sim.with(|e, now| {
            let c = &e.containers[index];
            let end = logs::run_end(c, run_start);
            let limit = request
                .until
                .unwrap_or(Nanos::MAX)
                .min(end.unwrap_or(Nanos::MAX));
            let to = now.min(limit);
            let lines = logs::lines_between(c, cursor, to, request.want);
            cursor = cursor.max(to);
            (lines, now >= limit)
        });
        if !lines.is_empty() && tx.send(request.encode(&lines)).await.is_err() {
            return;
        }
        if done {
            return;
        }
    }
}
