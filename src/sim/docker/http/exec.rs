//! `docker exec` over HTTP: create, start (hijacked through `101 Switching Protocols`
//! as the CLI asks, or as a plain streamed answer), inspect.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use super::{ApiError, ApiVersion, DockerSim, channel_body, json_response};
use crate::sim::docker::estate::{ActionError, ExecRequest};
use crate::sim::docker::exec::ExecPlan;
use crate::sim::docker::frames::{StdStream, frame};
use crate::sim::docker::inspect;

const RAW_STREAM: &str = "application/vnd.docker.raw-stream";
const MULTIPLEXED_STREAM: &str = "application/vnd.docker.multiplexed-stream";

/// The body of `POST /containers/{id}/exec`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct ExecCreateBody {
    cmd: Option<Vec<String>>,
    tty: bool,
    attach_stdin: bool,
    attach_stdout: bool,
    attach_stderr: bool,
    user: String,
    privileged: bool,
    working_dir: String,
}

/// The body of `POST /exec/{id}/start`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct ExecStartBody {
    detach: bool,
    tty: bool,
}

async fn read_json<T: Default + for<'de> Deserialize<'de>>(body: Body) -> Result<T, ApiError> {
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .map_err(|e| ApiError::bad_request(format!("reading the body: {e}")))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(&bytes).map_err(|e| ApiError::bad_request(format!("invalid JSON: {e}")))
}

pub async fn create(
    State(sim): State<Arc<DockerSim>>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let body: ExecCreateBody = read_json(req.into_body()).await?;
    let request = ExecRequest {
        argv: body.cmd.unwrap_or_default(),
        tty: body.tty,
        attach_stdin: body.attach_stdin,
        attach_stdout: body.attach_stdout,
        attach_stderr: body.attach_stderr,
        user: body.user,
        privileged: body.privileged,
        working_dir: body.working_dir,
    };
    let exec_id = sim.with(|e, now| {
        let index = e.find(&id)?;
        e.exec_create(index, request, now)
    })?;
    Ok(json_response(StatusCode::CREATED, &json!({"Id": exec_id})))
}

pub async fn inspect(
    State(sim): State<Arc<DockerSim>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let doc = sim.with(|e, _| {
        let record = e
            .execs
            .get(&id)
            .ok_or_else(|| ActionError::NoSuchExec(id.clone()))?;
        Ok::<_, ActionError>(inspect::exec(record, &e.containers[record.container].id))
    })?;
    Ok(axum::Json(doc).into_response())
}

/// Where an exec's output goes.
enum Sink {
    /// The hijacked connection.
    Upgraded(TokioIo<hyper::upgrade::Upgraded>),
    /// A streamed response body.
    Body(mpsc::Sender<Bytes>),
    /// Detached: nobody reads it.
    Nowhere,
}

impl Sink {
    /// Write; false once the client has gone (the command keeps running regardless).
    async fn write(&mut self, bytes: Bytes) -> bool {
        match self {
            Sink::Upgraded(io) => io.write_all(&bytes).await.is_ok() && io.flush().await.is_ok(),
            Sink::Body(tx) => tx.send(bytes).await.is_ok(),
            Sink::Nowhere => true,
        }
    }

    async fn close(self) {
        if let Sink::Upgraded(mut io) = self {
            // The client may already have gone; there is nobody to tell.
            let _ = io.shutdown().await;
        }
    }
}

/// How the output is framed for this client.
#[derive(Debug, Clone, Copy)]
struct Framing {
    tty: bool,
    stdout: bool,
    stderr: bool,
}

impl Framing {
    fn encode(&self, stream: StdStream, text: &str) -> Option<Bytes> {
        let attached = match stream {
            StdStream::Stdout => self.stdout,
            StdStream::Stderr => self.stderr,
        };
        if !attached {
            return None;
        }
        Some(if self.tty {
            // A terminal turns each newline into CR LF.
            Bytes::from(text.replace('\n', "\r\n"))
        } else {
            frame(stream, text.as_bytes())
        })
    }
}

/// Play the command's output in simulated time, then record its exit and hang up.
async fn run(
    sim: Arc<DockerSim>,
    exec_id: String,
    plan: ExecPlan,
    framing: Framing,
    mut sink: Sink,
) {
    let started = tokio::time::Instant::now();
    if let Some(message) = &plan.start_error {
        // moby writes a start failure to the client's stdout; the exit code is set.
        let text = format!("{message}\r\n");
        let bytes = if framing.tty {
            Bytes::from(text)
        } else {
            frame(StdStream::Stdout, text.as_bytes())
        };
        sink.write(bytes).await;
        sink.close().await;
        return;
    }
    let mut connected = true;
    for (offset, stream, text) in &plan.output {
        tokio::time::sleep_until(started + sim.real(*offset)).await;
        if let (true, Some(bytes)) = (connected, framing.encode(*stream, text)) {
            connected = sink.write(bytes).await;
        }
    }
    tokio::time::sleep_until(started + sim.real(plan.duration)).await;
    // Record the exit before hanging up: the CLI inspects the exec as soon as the
    // stream ends.
    sim.with(|e, now| e.exec_finish(&exec_id, plan.exit_code, now));
    sink.close().await;
}

pub async fn start(
    State(sim): State<Arc<DockerSim>>,
    Path(id): Path<String>,
    version: Option<axum::Extension<ApiVersion>>,
    mut req: Request,
) -> Result<Response, ApiError> {
    let upgrade: Option<OnUpgrade> = req
        .headers()
        .contains_key(header::UPGRADE)
        .then(|| hyper::upgrade::on(&mut req));
    let body: ExecStartBody = read_json(req.into_body()).await?;
    let (record, plan) = sim.with(|e, now| e.exec_begin(&id, now))?;
    let framing = Framing {
        tty: record.tty || body.tty,
        stdout: record.attach_stdout,
        stderr: record.attach_stderr,
    };
    if body.detach {
        if let Some(message) = plan.start_error {
            return Err(ApiError::bad_request(message));
        }
        tokio::spawn(run(sim, id, plan, framing, Sink::Nowhere));
        return Ok(StatusCode::OK.into_response());
    }
    let multiplexed = !framing.tty && version.is_some_and(|axum::Extension(v)| v.at_least(1, 42));
    let content_type = if multiplexed {
        MULTIPLEXED_STREAM
    } else {
        RAW_STREAM
    };
    let mut response = match upgrade {
        Some(on_upgrade) => {
            tokio::spawn(async move {
                let sink = match on_upgrade.await {
                    Ok(upgraded) => Sink::Upgraded(TokioIo::new(upgraded)),
                    Err(e) => {
                        tracing::debug!("docker sim: exec upgrade failed: {e}");
                        Sink::Nowhere
                    }
                };
                run(sim, id, plan, framing, sink).await;
            });
            let mut response = StatusCode::SWITCHING_PROTOCOLS.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
            headers.insert(header::UPGRADE, HeaderValue::from_static("tcp"));
            response
        }
        None => {
            let (tx, body) = channel_body(16);
            tokio::spawn(run(sim, id, plan, framing, Sink::Body(tx)));
            body.into_response()
        }
    };
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}
