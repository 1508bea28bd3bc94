//! `GET /containers/{id}/stats`: one sample (`stream=false`) or one a second.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::{ApiError, DockerSim, Query, channel_body, flag, flag_or};
use crate::sim::common::time::Nanos;
use crate::sim::docker::estate::ActionError;
use crate::sim::docker::lifecycle::Phase;
use crate::sim::docker::stats::sample;

/// The daemon's collector samples once a second (real time).
const INTERVAL: Duration = Duration::from_secs(1);
const SECOND: Nanos = 1_000_000_000;

fn line(value: &serde_json::Value) -> Bytes {
    let mut text = value.to_string();
    text.push('\n');
    Bytes::from(text)
}

pub async fn stats(
    State(sim): State<Arc<DockerSim>>,
    Path(id): Path<String>,
    q: Query,
) -> Result<Response, ApiError> {
    let stream = flag_or(&q, "stream", true);
    // Without `one-shot` the daemon waits for a second sample so `precpu_stats` is
    // filled; the sim computes the earlier one directly.
    let one_shot = flag(&q, "one-shot") && !stream;
    let (index, first, running, now) = sim.with(|e, now| {
        let index = e.find(&id)?;
        let c = &e.containers[index];
        let previous = (!one_shot).then_some(now - SECOND);
        let running = matches!(c.life.phase, Phase::Running | Phase::Paused);
        Ok::<_, ActionError>((index, sample(c, &e.host, now, previous), running, now))
    })?;
    let body = if !stream || !running {
        axum::body::Body::from(line(&first))
    } else {
        let (tx, body) = channel_body(4);
        tokio::spawn(async move {
            let mut previous = now;
            if tx.send(line(&first)).await.is_err() {
                return;
            }
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(INTERVAL) => {}
                    _ = tx.closed() => return,
                }
                let (value, running, now) = sim.with(|e, now| {
                    let c = &e.containers[index];
                    let running = matches!(c.life.phase, Phase::Running | Phase::Paused);
                    (sample(c, &e.host, now, Some(previous)), running, now)
                });
                previous = now;
                if tx.send(line(&value)).await.is_err() || !running {
                    return;
                }
            }
        });
        body
    };
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}
