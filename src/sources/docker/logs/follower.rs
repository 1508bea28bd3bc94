//! One container's log, followed: attach with `follow`, hand lines to the console, and when
//! the stream ends (the container stopped or restarted, the engine went away) attach again
//! from the cursor once there is something to read.
//!
//! A follower waits rather than polls: its host's source wakes it when the container
//! starts again, and a new connection to the engine wakes it too.
//!
//! When the engine is on this machine and keeps the container's log in a readable
//! `json-file`, the follower reads that file instead of the API ([`super::json_file`] says
//! why); the file outlives restarts, so it is simply read on, polled while a pane is open.

use std::sync::Arc;

use bollard::Docker;
use bollard::query_parameters::LogsOptions;
use futures::StreamExt;
use jiff::Timestamp;
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use super::cursor::{LogCursor, Resume};
use super::frames::{LineAssembler, ParsedLine};
use super::json_file::{FileState, JsonLogFile};
use crate::logs::{RawLogLine, StreamKey};
use crate::sources::docker::interest::LogStart;
use crate::sources::{Backoff, EventSink};

/// Frames taken from the stream at once when many are ready: bursts become one message
/// to the console instead of thousands.
const CHUNK_FRAMES: usize = 1024;

/// How often a log file is looked at for new lines: well within the 1 s the console may
/// lag behind a container, and a few cheap `fstat`s a second while a pane is open.
const FILE_POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// The most read from a log file at once (a burst is then one message of a few thousand
/// lines, not one of a million).
const FILE_READ_MAX: usize = 1024 * 1024;

/// The running follower of one container, as its host's source holds it.
#[derive(Debug)]
pub struct FollowerHandle {
    cancel: CancellationToken,
    wake: Arc<Notify>,
    cursor: watch::Receiver<LogCursor>,
    start: LogStart,
}

impl FollowerHandle {
    /// The container started again (or may have): attach now rather than wait.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Where this follower was asked to start.
    pub fn start(&self) -> LogStart {
        self.start
    }

    /// Whether the follower has given up (the container is gone).
    pub fn is_finished(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Stop following; returns the cursor, so that following again later continues where
    /// this one stopped.
    pub fn stop(self) -> LogCursor {
        self.cancel.cancel();
        *self.cursor.borrow()
    }
}

/// What a follower needs to know.
#[derive(Debug, Clone)]
pub struct FollowSpec {
    pub host: String,
    pub id: String,
    pub start: LogStart,
    /// Where an earlier follower of the same container stopped, if one did.
    pub resume: Option<LogCursor>,
    /// The engine runs on this machine (a unix socket): its log files may be readable.
    pub local_files: bool,
}

/// Start following. `clients` holds the host's current connection (`None` while the
/// engine is unreachable); the follower stops when `parent` is cancelled.
pub fn spawn_follower(
    spec: FollowSpec,
    clients: watch::Receiver<Option<Docker>>,
    sink: EventSink,
    parent: &CancellationToken,
) -> FollowerHandle {
    let cancel = parent.child_token();
    let wake = Arc::new(Notify::new());
    let initial = match (spec.resume, spec.start.since) {
        (Some(cursor), _) => cursor,
        (None, Some(since)) => LogCursor::starting_at(since),
        (None, None) => LogCursor::default(),
    };
    let (cursor_tx, cursor_rx) = watch::channel(initial);
    let follower = Follower {
        stream: StreamKey::Docker {
            host: spec.host,
            id: spec.id,
        },
        clients,
        sink,
        cancel: cancel.clone(),
        wake: wake.clone(),
        cursor: cursor_tx,
        local_files: spec.local_files,
    };
    let tail = spec.start.tail;
    tokio::spawn(follower.run(tail));
    FollowerHandle {
        cancel,
        wake,
        cursor: cursor_rx,
        start: spec.start,
    }
}

/// How one attach ended.
#[derive(Debug)]
enum Attach {
    Cancelled,
    /// The engine closed the stream: the container stopped.
    Ended,
    /// The container no longer exists.
    Gone,
    /// The engine cannot give this container's logs (e.g. its logging driver keeps none).
    Unreadable(String),
    /// The connection failed; try again later.
    Failed(String),
}

struct Follower {
    stream: StreamKey,
    clients: watch::Receiver<Option<Docker>>,
    sink: EventSink,
    cancel: CancellationToken,
    wake: Arc<Notify>,
    cursor: watch::Sender<LogCursor>,
    local_files: bool,
}

impl Follower {
    async fn run(mut self, first_tail: Option<u64>) {
        let mut backoff = Backoff::network();
        // The first attach (and the first after a pane reopened) is capped by the tail;
        // later ones must get every line since the cursor.
        let mut tail = first_tail;
        loop {
            let Some(docker) = self.client().await else {
                return;
            };
            let file = if self.local_files {
                self.open_log_file(&docker, tail).await
            } else {
                None
            };
            let outcome = match file {
                Some(file) => self.read_file(file).await,
                None => self.attach(&docker, tail).await,
            };
            tail = None;
            match outcome {
                Attach::Cancelled => return,
                Attach::Gone => {
                    self.cancel.cancel();
                    return;
                }
                Attach::Ended => {
                    backoff.reset();
                    if !self.wait(None).await {
                        return;
                    }
                }
                Attach::Unreadable(why) => {
                    self.note(&format!("logs unavailable: {why}"));
                    if !self.wait(None).await {
                        return;
                    }
                }
                Attach::Failed(error) => {
                    tracing::debug!(stream = ?self.stream, %error, "log stream failed");
                    if !self.wait(Some(backoff.next_delay())).await {
                        return;
                    }
                }
            }
        }
    }

    /// The host's connection, once there is one; `None` when cancelled.
    async fn client(&mut self) -> Option<Docker> {
        tokio::select! {
            _ = self.cancel.cancelled() => None,
            ready = self.clients.wait_for(Option::is_some) => {
                ready.ok().and_then(|client| client.clone())
            }
        }
    }

    /// Wait for a wake-up, a new connection, or `delay`; false when cancelled.
    async fn wait(&mut self, delay: Option<std::time::Duration>) -> bool {
        let sleep = async {
            match delay {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = self.cancel.cancelled() => false,
            _ = self.wake.notified() => true,
            changed = self.clients.changed() => changed.is_ok(),
            _ = sleep => true,
        }
    }

    async fn attach(&mut self, docker: &Docker, tail: Option<u64>) -> Attach {
        let StreamKey::Docker { id, .. } = &self.stream else {
            return Attach::Gone;
        };
        let cursor = *self.cursor.borrow();
        let options = LogsOptions {
            follow: true,
            stdout: true,
            stderr: true,
            // The API takes whole seconds; the cursor drops what comes again.
            since: cursor
                .since_seconds()
                .map_or(0, |s| i32::try_from(s).unwrap_or(i32::MAX)),
            until: 0,
            timestamps: true,
            tail: tail.map_or_else(|| "all".to_string(), |n| n.to_string()),
        };
        let mut frames = docker.logs(id, Some(options)).ready_chunks(CHUNK_FRAMES);
        let mut resume = Resume::from(cursor);
        let mut assembler = LineAssembler::default();
        let mut parsed = Vec::new();
        loop {
            let chunk = tokio::select! {
                _ = self.cancel.cancelled() => return Attach::Cancelled,
                chunk = frames.next() => chunk,
            };
            let mut ended = None;
            match chunk {
                None => {
                    assembler.finish(&mut parsed);
                    ended = Some(Attach::Ended);
                }
                Some(items) => {
                    for item in items {
                        match item {
                            Ok(frame) => assembler.push(frame, &mut parsed),
                            Err(error) => {
                                ended = Some(classify(error));
                                break;
                            }
                        }
                    }
                }
            }
            if !self.deliver(&mut parsed, &mut resume) {
                return Attach::Cancelled;
            }
            if let Some(ended) = ended {
                return ended;
            }
        }
    }

    /// The container's json-file log, opened where this follower should start; `None`
    /// when it cannot be read here (then the API serves).
    async fn open_log_file(&mut self, docker: &Docker, tail: Option<u64>) -> Option<JsonLogFile> {
        let StreamKey::Docker { id, .. } = &self.stream else {
            return None;
        };
        let inspect = docker.inspect_container(id, None).await.ok()?;
        let driver = inspect
            .host_config
            .as_ref()
            .and_then(|h| h.log_config.as_ref())
            .and_then(|l| l.typ.as_deref());
        if driver != Some("json-file") {
            return None;
        }
        let path = std::path::PathBuf::from(inspect.log_path.filter(|p| !p.is_empty())?);
        let since = self.cursor.borrow().newest();
        let opened =
            tokio::task::spawn_blocking(move || JsonLogFile::open(&path, tail, since)).await;
        match opened {
            Ok(Ok(file)) => Some(file),
            Ok(Err(error)) => {
                tracing::debug!(stream = ?self.stream, %error, "log file not readable; using the API");
                None
            }
            Err(_) => None,
        }
    }

    /// Read the log file on and on: through restarts, across rotations, until the
    /// container is removed or the follower is stopped.
    async fn read_file(&mut self, file: JsonLogFile) -> Attach {
        let mut resume = Resume::from(*self.cursor.borrow());
        let mut file = file;
        loop {
            let read = tokio::task::spawn_blocking(move || {
                let mut lines = Vec::new();
                let result = file.read_new(FILE_READ_MAX, &mut lines);
                let state = match &result {
                    Ok(0) => Some(file.state()),
                    _ => None,
                };
                (file, result, state, lines)
            })
            .await;
            let (returned, result, state, mut lines) = match read {
                Ok(read) => read,
                Err(error) => return Attach::Failed(error.to_string()),
            };
            file = returned;
            if !self.deliver(&mut lines, &mut resume) {
                return Attach::Cancelled;
            }
            match (result, state) {
                (Err(error), _) | (_, Some(Err(error))) => {
                    return Attach::Failed(format!("reading the log file: {error}"));
                }
                (Ok(_), Some(Ok(FileState::Removed))) => return Attach::Gone,
                (Ok(_), Some(Ok(FileState::Rotated))) => {
                    // Everything of the old file has been read (the last read found
                    // nothing new); the rest is in its successor, once it exists.
                    match file.successor() {
                        Ok(next) => file = next,
                        Err(_) => {
                            if !self.pause().await {
                                return Attach::Cancelled;
                            }
                        }
                    }
                }
                (Ok(_), Some(Ok(FileState::Current))) => {
                    if !self.pause().await {
                        return Attach::Cancelled;
                    }
                }
                // A full read: more may be waiting, read on at once.
                (Ok(_), None) => tokio::task::yield_now().await,
            }
        }
    }

    /// Wait one file poll; false when cancelled.
    async fn pause(&self) -> bool {
        tokio::select! {
            _ = self.cancel.cancelled() => false,
            _ = tokio::time::sleep(FILE_POLL) => true,
        }
    }

    /// Hand the new ones of `parsed` to the console; false when the console has gone.
    fn deliver(&mut self, parsed: &mut Vec<ParsedLine>, resume: &mut Resume) -> bool {
        if parsed.is_empty() {
            return true;
        }
        let lines: Vec<RawLogLine> = parsed
            .drain(..)
            .filter(|line| resume.admit(line.timestamp))
            .map(|line| RawLogLine {
                stream: self.stream.clone(),
                timestamp: line.timestamp,
                stderr: line.stderr,
                bytes: line.bytes,
            })
            .collect();
        self.cursor.send_replace(resume.cursor());
        self.sink.offer_logs(lines).is_ok()
    }

    /// A line from pilothouse itself in the container's stream, saying why it is empty.
    fn note(&mut self, text: &str) {
        let line = RawLogLine {
            stream: self.stream.clone(),
            timestamp: Some(Timestamp::now()),
            stderr: true,
            bytes: format!("[pilothouse] {text}").into_bytes(),
        };
        let _ = self.sink.offer_logs(vec![line]);
    }
}

fn classify(error: bollard::errors::Error) -> Attach {
    match error {
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        } => Attach::Gone,
        bollard::errors::Error::DockerResponseServerError {
            status_code,
            message,
        } if (400..600).contains(&status_code) && status_code != 500 && status_code != 503 => {
            Attach::Unreadable(message)
        }
        other => Attach::Failed(other.to_string()),
    }
}
