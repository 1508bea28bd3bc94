//! Following container logs: one task per stream the screen wants, started and stopped as
//! that set changes (a workload's pods come and go in a rolling restart, like stern).
//!
//! Each follower asks with `timestamps=true`, remembers where it is ([`LogCursor`]), and
//! when the stream breaks (the API server dropped it, the container restarted) asks again
//! with `sinceTime` and skips what it already delivered: nothing lost, nothing twice.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use futures::{AsyncBufReadExt, FutureExt};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kube::api::LogParams;
use kube::{Api, Client};
use tokio_util::sync::CancellationToken;

use crate::logs::{RawLogLine, StreamKey};
use crate::sources::docker::logs::LogCursor;
use crate::sources::docker::logs::cursor::Resume;
use crate::sources::{Backoff, EventSink};

/// Lines sent to the app in one event at most.
const LINE_BATCH: usize = 512;

/// Where to start a stream the first time it is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct LogRequest {
    /// Only lines newer than this many seconds.
    pub since_seconds: Option<i64>,
    /// Only the last this many lines.
    pub tail_lines: Option<i64>,
}

/// The followers of one context, reconciled with what the screen wants.
pub struct Followers {
    client: Client,
    sink: EventSink,
    running: HashMap<StreamKey, (LogRequest, CancellationToken)>,
    /// Where each stream was when its follower stopped, so following it again later goes on
    /// from there instead of repeating its tail.
    cursors: std::sync::Arc<std::sync::Mutex<HashMap<StreamKey, LogCursor>>>,
}

impl Followers {
    pub fn new(client: Client, sink: EventSink) -> Followers {
        Followers {
            client,
            sink,
            running: HashMap::new(),
            cursors: Default::default(),
        }
    }

    /// Start followers for new streams and stop those no longer wanted.
    pub fn reconcile(
        &mut self,
        wanted: &BTreeMap<StreamKey, LogRequest>,
        parent: &CancellationToken,
    ) {
        self.running.retain(|key, (request, token)| {
            let keep = wanted.get(key) == Some(request);
            if !keep {
                token.cancel();
            }
            keep
        });
        for (key, request) in wanted {
            if self.running.contains_key(key) {
                continue;
            }
            let token = parent.child_token();
            self.running.insert(key.clone(), (*request, token.clone()));
            tokio::spawn(follow(
                self.client.clone(),
                key.clone(),
                *request,
                self.sink.clone(),
                self.cursors.clone(),
                token,
            ));
        }
    }
}

/// Split `2026-11-22T10:00:00.123456789Z message` into its timestamp and the message.
pub fn split_timestamp(line: &[u8]) -> (Option<Timestamp>, &[u8]) {
    let Some(space) = line.iter().position(|b| *b == b' ') else {
        return (None, line);
    };
    let stamp = std::str::from_utf8(&line[..space])
        .ok()
        .and_then(|s| s.parse::<Timestamp>().ok());
    match stamp {
        Some(t) => (Some(t), &line[space + 1..]),
        None => (None, line),
    }
}

async fn follow(
    client: Client,
    key: StreamKey,
    request: LogRequest,
    mut sink: EventSink,
    cursors: std::sync::Arc<std::sync::Mutex<HashMap<StreamKey, LogCursor>>>,
    cancel: CancellationToken,
) {
    let StreamKey::Kube {
        namespace,
        pod,
        container,
        previous,
        ..
    } = &key
    else {
        return;
    };
    let api: Api<Pod> = Api::namespaced(client, namespace);
    let mut cursor = cursors
        .lock()
        .map(|c| c.get(&key).copied().unwrap_or_default())
        .unwrap_or_default();
    let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(10));
    loop {
        let fresh = cursor.newest().is_none();
        let params = LogParams {
            container: Some(container.clone()),
            follow: !previous,
            previous: *previous,
            timestamps: true,
            since_seconds: if fresh { request.since_seconds } else { None },
            tail_lines: if fresh { request.tail_lines } else { None },
            since_time: cursor.newest(),
            ..LogParams::default()
        };
        let opened = tokio::select! {
            _ = cancel.cancelled() => break,
            r = api.log_stream(pod, &params) => r,
        };
        match opened {
            Ok(reader) => {
                let mut resume = Resume::from(cursor);
                let delivered = read_lines(reader, &key, &mut resume, &mut sink, &cancel).await;
                cursor = resume.cursor();
                if delivered.is_err() {
                    break;
                }
                if *previous {
                    break;
                }
                backoff.reset();
            }
            Err(e) => {
                tracing::debug!(?key, error = %e, "log stream failed");
            }
        }
        // The stream ended: the container stopped or restarted, or the server dropped it.
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(backoff.next_delay()) => {}
        }
    }
    if let Ok(mut c) = cursors.lock() {
        c.insert(key, cursor);
    }
}

/// Read until the stream ends or the follower is cancelled, delivering what `resume`
/// admits. `Err` when the app is gone.
async fn read_lines(
    reader: impl futures::AsyncBufRead + Unpin,
    key: &StreamKey,
    resume: &mut Resume,
    sink: &mut EventSink,
    cancel: &CancellationToken,
) -> Result<(), crate::sources::sink::Closed> {
    let mut reader = reader;
    let mut buf = Vec::new();
    let mut lines = Vec::new();
    let mut push = |buf: &mut Vec<u8>, lines: &mut Vec<RawLogLine>| {
        if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        let (timestamp, text) = split_timestamp(buf);
        if resume.admit(timestamp) {
            lines.push(RawLogLine {
                stream: key.clone(),
                timestamp,
                stderr: false,
                bytes: text.to_vec(),
            });
        }
        buf.clear();
    };
    loop {
        let read = tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            r = reader.read_until(b'\n', &mut buf) => r,
        };
        let ended = !matches!(read, Ok(n) if n > 0);
        if !buf.is_empty() {
            push(&mut buf, &mut lines);
        }
        // Take whatever else is already here, without waiting.
        let mut eof = ended;
        while !eof && lines.len() < LINE_BATCH {
            match reader.read_until(b'\n', &mut buf).now_or_never() {
                Some(Ok(0)) | Some(Err(_)) => eof = true,
                Some(Ok(_)) if buf.last() == Some(&b'\n') => push(&mut buf, &mut lines),
                Some(Ok(_)) => {}
                None => break,
            }
        }
        if eof && !buf.is_empty() {
            push(&mut buf, &mut lines);
        }
        sink.offer_logs(std::mem::take(&mut lines))?;
        if eof {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_split_off_and_bad_ones_left_in_place() {
        let (t, text) = split_timestamp(b"2026-11-22T10:00:00.5Z GET /health 200");
        assert_eq!(t, Some("2026-11-22T10:00:00.5Z".parse().unwrap()));
        assert_eq!(text, b"GET /health 200");
        let (t, text) = split_timestamp(b"no timestamp here");
        assert_eq!(t, None);
        assert_eq!(text, b"no timestamp here");
        let (t, text) = split_timestamp(b"");
        assert_eq!((t, text), (None, &b""[..]));
    }
}
