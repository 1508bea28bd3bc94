//! `GET /events?since=&until=&filters=`: past events from the ring, then live ones, as
//! a stream of JSON objects, one per line.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::broadcast::error::RecvError;

use super::{ApiError, DockerSim, Query, channel_body};
use crate::sim::common::time::Nanos;
use crate::sim::common::time::parse_api_time;
use crate::sim::docker::events::{Event, EventFilter};

fn line(event: &Event) -> Bytes {
    let mut text = event.to_json().to_string();
    text.push('\n');
    Bytes::from(text)
}

pub async fn events(State(sim): State<Arc<DockerSim>>, q: Query) -> Result<Response, ApiError> {
    let filter = EventFilter::parse(q.get("filters").map_or("", String::as_str))?;
    let time = |key: &str| match q.get(key).map(|t| t.trim()) {
        None | Some("") => Ok(None),
        Some(text) => parse_api_time(text)
            .map(Some)
            .ok_or_else(|| ApiError::bad_request(format!("invalid value for {key}: {text}"))),
    };
    let since = time("since")?;
    let until = time("until")?;
    if let (Some(s), Some(u)) = (since, until)
        && s > u
    {
        return Err(ApiError::bad_request("`since` time is after `until` time"));
    }
    let (past, mut live, now) = sim.with(|e, now| {
        let (past, live) = e.events.replay_and_subscribe(since);
        (past, live, now)
    });
    let within = move |e: &Event| until.is_none_or(|u| e.at <= u);
    let (tx, body) = channel_body(64);
    let finished = until.is_some_and(|u| u <= now);
    let deadline = until.map(|u| tokio::time::Instant::now() + sim.real((u - now).max(0)));
    tokio::spawn(async move {
        for event in past.iter().filter(|e| within(e) && filter.matches(e)) {
            if tx.send(line(event)).await.is_err() {
                return;
            }
        }
        if finished {
            return;
        }
        let until_deadline = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(until_deadline);
        loop {
            let event = tokio::select! {
                received = live.recv() => received,
                _ = &mut until_deadline => return,
                _ = tx.closed() => return,
            };
            match event {
                Ok(event) if within(&event) && filter.matches(&event) => {
                    if tx.send(line(&event)).await.is_err() {
                        return;
                    }
                }
                Ok(event) if until.is_some_and(|u: Nanos| event.at > u) => return,
                Ok(_) => {}
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "docker sim: a slow /events client missed events");
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}
