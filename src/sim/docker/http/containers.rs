//! Listing, inspecting, and changing the state of containers.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{ApiError, DockerSim, Query, flag};
use crate::sim::common::time::Nanos;
use crate::sim::docker::estate::{ActionError, Estate};
use crate::sim::docker::filters::Filters;
use crate::sim::docker::{inspect as inspect_doc, summary};

/// `GET /containers/json?all=&filters=`.
pub async fn list(State(sim): State<Arc<DockerSim>>, q: Query) -> Result<Response, ApiError> {
    let filters = Filters::parse(q.get("filters").map_or("", String::as_str))?;
    summary::validate_list_filters(&filters)?;
    let all = flag(&q, "all");
    let limit: Option<usize> = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .filter(|&l| l > 0);
    let entries = sim.with(|e, now| {
        // Newest first, as the daemon lists them.
        let mut order: Vec<usize> = (0..e.containers.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(e.containers[i].created_at));
        let all = all || limit.is_some();
        order
            .into_iter()
            .map(|i| &e.containers[i])
            .filter(|c| summary::list_matches(c, all, &filters, now))
            .take(limit.unwrap_or(usize::MAX))
            .map(|c| summary::summary(c, now))
            .collect::<Vec<Value>>()
    });
    Ok(axum::Json(entries).into_response())
}

/// `GET /containers/{id}/json`.
pub async fn inspect(
    State(sim): State<Arc<DockerSim>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let doc = sim.with(|e, now| {
        let index = e.find(&id)?;
        let exec_ids = e.execs.ids_for(index);
        Ok::<_, ActionError>(inspect_doc::container(&e.containers[index], &exec_ids, now))
    })?;
    Ok(axum::Json(doc).into_response())
}

/// Find the container and apply `op`; 204 on success, as the daemon answers.
fn operate(
    sim: &DockerSim,
    id: &str,
    op: impl FnOnce(&mut Estate, usize, Nanos) -> Result<(), ActionError>,
) -> Result<Response, ApiError> {
    sim.with(|e, now| {
        let index = e.find(id)?;
        op(e, index, now)
    })?;
    sim.wake.notify_one();
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn start(
    State(sim): State<Arc<DockerSim>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    operate(&sim, &id, |e, i, now| e.start(i, now))
}

pub async fn stop(
    State(sim): State<Arc<DockerSim>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    operate(&sim, &id, |e, i, now| e.stop(i, now))
}

pub async fn restart(
    State(sim): State<Arc<DockerSim>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    operate(&sim, &id, |e, i, now| e.restart(i, now))
}

pub async fn pause(
    State(sim): State<Arc<DockerSim>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    operate(&sim, &id, |e, i, now| e.pause(i, now))
}

pub async fn unpause(
    State(sim): State<Arc<DockerSim>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    operate(&sim, &id, |e, i, now| e.unpause(i, now))
}

/// `POST /containers/{id}/kill?signal=` (default SIGKILL).
pub async fn kill(
    State(sim): State<Arc<DockerSim>>,
    Path(id): Path<String>,
    q: Query,
) -> Result<Response, ApiError> {
    let requested = q.get("signal").map_or("SIGKILL", String::as_str);
    let signal = signal_number(requested)
        .ok_or_else(|| ApiError::bad_request(format!("Invalid signal: {requested}")))?;
    operate(&sim, &id, |e, i, now| e.kill(i, now, signal))
}

/// The signals `docker kill` is commonly given, as the number moby reports.
fn signal_number(name: &str) -> Option<&'static str> {
    let upper = name.to_ascii_uppercase();
    match upper.strip_prefix("SIG").unwrap_or(&upper) {
        "KILL" | "9" => Some("9"),
        "TERM" | "15" => Some("15"),
        "INT" | "2" => Some("2"),
        "HUP" | "1" => Some("1"),
        "QUIT" | "3" => Some("3"),
        "USR1" | "10" => Some("10"),
        "USR2" | "12" => Some("12"),
        _ => None,
    }
}

/// `POST …/resize`: the sim has no terminal to resize.
pub async fn resize() -> StatusCode {
    StatusCode::OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_are_named_or_numbered() {
        assert_eq!(signal_number("SIGKILL"), Some("9"));
        assert_eq!(signal_number("term"), Some("15"));
        assert_eq!(signal_number("2"), Some("2"));
        assert_eq!(signal_number("SIGWINCHES"), None);
    }
}
