//! Watches: a chunked stream of `{"type": …, "object": …}` lines. Resumes from a
//! resourceVersion (or starts with the current objects), answers one too old with an
//! `ERROR` event carrying a 410 `Expired` Status as a real API server does, sends
//! bookmarks when asked, ends at `timeoutSeconds`, and can be dropped by a fault.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use super::format::{Shape, negotiate};
use super::read::{filters, metadata_of};
use super::target::Target;
use super::{Ctx, Reply};
use crate::sim::kube::cluster::Cluster;
use crate::sim::kube::object::StoredObject;
use crate::sim::kube::resources::Kind;
use crate::sim::kube::selectors::{FieldFilter, LabelFilter};
use crate::sim::kube::status::ApiError;
use crate::sim::kube::store::{EventType, WatchEvent};
use crate::sim::kube::tables::{self, IncludeObject};

/// Which events a watcher gets and how they are written.
struct WatchFilter {
    kind: Kind,
    namespace: Option<String>,
    labels: LabelFilter,
    fields: FieldFilter,
    shape: Shape,
    include: IncludeObject,
}

impl WatchFilter {
    fn matches(&self, o: &StoredObject) -> bool {
        self.namespace
            .as_deref()
            .is_none_or(|ns| o.namespace() == ns)
            && self.labels.matches_object(o)
            && self.fields.matches(o)
    }

    /// What this watcher is told of an event, if anything: an object that starts matching
    /// is ADDED, one that stops matching is DELETED.
    fn sees(&self, event: &WatchEvent) -> Option<EventType> {
        let now = self.matches(&event.object);
        if event.kind != EventType::Modified {
            return now.then_some(event.kind);
        }
        let before = event.previous.as_ref().is_some_and(|p| self.matches(p));
        match (before, now) {
            (true, true) => Some(EventType::Modified),
            (false, true) => Some(EventType::Added),
            (true, false) => Some(EventType::Deleted),
            (false, false) => None,
        }
    }
}

pub fn watch(ctx: &Ctx, target: &Target) -> Reply {
    let kind = target.resource.kind_id;
    let (labels, mut fields) = filters(ctx)?;
    // The old `/namespaces/x/pods/<name>?watch=1` form watches one object.
    if let Some(name) = &target.name {
        fields =
            FieldFilter::parse(&format!("metadata.name={name}")).map_err(ApiError::bad_request)?;
    }
    let shape = negotiate(ctx.header("accept"));
    let filter = WatchFilter {
        kind,
        namespace: target.namespace.clone(),
        labels,
        fields,
        shape,
        include: IncludeObject::parse(ctx.param("includeObject")),
    };
    let requested: Option<u64> = match ctx.param("resourceVersion") {
        None | Some("" | "0") => None,
        Some(rv) => Some(
            rv.parse()
                .map_err(|_| ApiError::bad_request(format!("invalid resource version: {rv}")))?,
        ),
    };
    let send_initial = ctx.flag("sendInitialEvents");
    let bookmarks = ctx.flag("allowWatchBookmarks");
    // Without a timeout, a real server ends a watch after 30–60 minutes.
    let timeout = ctx
        .param("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or(1800 + ctx.cluster.seed % 1800);
    let start = {
        let store = ctx.cluster.store();
        // `sendInitialEvents=true` streams the current state first, whatever the version.
        store.watch(kind, if send_initial { None } else { requested })
    };
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(256);
    let body = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let cluster = ctx.cluster.clone();
    match start {
        Ok(start) => {
            tokio::spawn(run_watch(
                cluster,
                filter,
                start,
                send_initial,
                bookmarks,
                timeout,
                tx,
            ));
        }
        Err(error) => {
            // The stream opens, carries the ERROR event, and ends — as client-go expects.
            let line = event_line("ERROR", &error.to_status());
            tokio::spawn(async move {
                let _ = tx.send(Ok(line)).await;
            });
        }
    }
    let mut response = Response::new(Body::from_stream(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

async fn run_watch(
    cluster: Arc<Cluster>,
    filter: WatchFilter,
    start: crate::sim::kube::store::WatchStart,
    send_initial: bool,
    bookmarks: bool,
    timeout_secs: u64,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    let mut drops = cluster.watch_drops.subscribe();
    drops.mark_unchanged();
    let mut receiver = start.receiver;
    let mut last_rv = start.resource_version;
    let mut first_table = true;
    let now = cluster.clock.now();
    for event in &start.initial {
        if let Some(kind) = filter.sees(event) {
            let line = encode(&filter, kind, event, now, &mut first_table);
            if tx.send(Ok(line)).await.is_err() {
                return;
            }
        }
    }
    if send_initial {
        let mut bookmark = bookmark_object(filter.kind, last_rv);
        bookmark["metadata"]["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        if tx
            .send(Ok(event_line("BOOKMARK", &bookmark)))
            .await
            .is_err()
        {
            return;
        }
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout_secs);
    let mut bookmark_timer = tokio::time::interval(Duration::from_secs(10));
    bookmark_timer.tick().await;
    loop {
        tokio::select! {
            received = receiver.recv() => match received {
                Ok(event) => {
                    let rv = event.object.resource_version;
                    // Events already sent from history arrive again on the channel.
                    if rv <= last_rv {
                        continue;
                    }
                    last_rv = rv;
                    if let Some(kind) = filter.sees(&event) {
                        let line = encode(&filter, kind, &event, cluster.clock.now(), &mut first_table);
                        if tx.send(Ok(line)).await.is_err() {
                            return;
                        }
                    }
                }
                // Too far behind: end the watch; the client resumes from its last version.
                Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => return,
            },
            _ = bookmark_timer.tick(), if bookmarks => {
                let line = event_line("BOOKMARK", &bookmark_object(filter.kind, last_rv));
                if tx.send(Ok(line)).await.is_err() {
                    return;
                }
            }
            _ = tokio::time::sleep_until(deadline) => return,
            _ = drops.changed() => return,
            // The client went away: stop now rather than at the next event.
            _ = tx.closed() => return,
        }
    }
}

fn event_line(kind: &str, object: &Value) -> Bytes {
    let mut line = serde_json::to_vec(&json!({"type": kind, "object": object})).unwrap_or_default();
    line.push(b'\n');
    Bytes::from(line)
}

/// One event as the client asked for it.
fn encode(
    filter: &WatchFilter,
    kind: EventType,
    event: &WatchEvent,
    now: jiff::Timestamp,
    first_table: &mut bool,
) -> Bytes {
    let kind = kind.as_str();
    match filter.shape {
        Shape::Object => {
            // Splice the stored JSON in rather than re-encoding it.
            let mut line = Vec::with_capacity(event.object.json.len() + 32);
            line.extend_from_slice(b"{\"type\":\"");
            line.extend_from_slice(kind.as_bytes());
            line.extend_from_slice(b"\",\"object\":");
            line.extend_from_slice(&event.object.json);
            line.extend_from_slice(b"}\n");
            Bytes::from(line)
        }
        Shape::Metadata => event_line(kind, &metadata_of(&event.object)),
        Shape::Table => {
            let rows: Vec<Value> = tables::row(filter.kind, &event.object, now, filter.include)
                .into_iter()
                .collect();
            // Column definitions go with the first event only, as a real server sends them.
            let table = tables::table(
                filter.kind,
                rows,
                event.object.resource_version,
                None,
                std::mem::take(first_table),
            );
            event_line(kind, &table)
        }
    }
}

/// A BOOKMARK's object: just the kind and a resourceVersion.
fn bookmark_object(kind: Kind, resource_version: u64) -> Value {
    let resource = kind.resource();
    json!({
        "kind": resource.kind,
        "apiVersion": resource.api_version(),
        "metadata": {"resourceVersion": resource_version.to_string()},
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::kube::object::Facts;

    fn pod(app: &str) -> Arc<StoredObject> {
        let facts = Facts {
            labels: vec![("app".into(), app.into())],
            ..Facts::default()
        };
        Arc::new(StoredObject::new("shop", "p", 1, facts, Bytes::new()))
    }

    #[test]
    fn relabelled_objects_enter_and_leave_a_filtered_watch() {
        let filter = WatchFilter {
            kind: Kind::Pod,
            namespace: None,
            labels: LabelFilter::parse("app=api").expect("selector"),
            fields: FieldFilter::default(),
            shape: Shape::Object,
            include: IncludeObject::None,
        };
        let event = |old: &str, new: &str| WatchEvent {
            kind: EventType::Modified,
            object: pod(new),
            previous: Some(pod(old)),
        };
        assert_eq!(filter.sees(&event("api", "api")), Some(EventType::Modified));
        assert_eq!(filter.sees(&event("web", "api")), Some(EventType::Added));
        assert_eq!(filter.sees(&event("api", "web")), Some(EventType::Deleted));
        assert_eq!(filter.sees(&event("web", "web")), None);
    }
}
