//! One kind's list-then-watch in one context, through kube-rs's `watcher`: it lists (in
//! pages), watches from the list's resourceVersion with bookmarks, resumes from the last
//! version it saw when a watch ends, and relists when the server answers 410 Gone.
//!
//! This task turns the watcher's events into fleet events. It remembers the keys it has
//! reported, so that at the end of a relist everything not listed again is deleted: no
//! ghost rows after a dropped watch, and no flicker either, because objects that did not
//! change are upserts the fleet recognises as no-ops.

use std::collections::{HashSet, VecDeque};
use std::fmt::Debug;
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::batch::v1 as batch;
use k8s_openapi::api::core::v1 as core;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::convert;
use super::trimmed::TrimmedPod;
use super::velero::{self, Schedule, VELERO_GROUP_VERSION};
use crate::model::{KubeId, KubeKind};
use crate::sources::{Backoff, EventSink};
use crate::store::{Scope, SourceEvent};

/// Fleet events are sent in batches of at most this many, so a relist of 50,000 pods is
/// a hundred channel sends, and a frame never shows a half-applied batch.
const BATCH: usize = 1000;

/// What a watch tells its context about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchState {
    /// Listing for the first time.
    Connecting,
    /// Listed and watching.
    Live,
    /// The last attempt failed; retrying with backoff.
    Failing(String),
    /// The API refused to let this user list the resource.
    Forbidden(String),
    /// The cluster does not serve the resource (an add-on's CRD that is not installed):
    /// nothing to show, and nothing wrong.
    Absent,
}

#[derive(Debug, Clone)]
pub struct StateReport {
    pub resource: &'static str,
    pub state: WatchState,
}

/// How one Kubernetes kind maps onto the fleet.
pub trait Watched: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static {
    /// The plural resource name (`pods`), as access checks and "forbidden" notes name it.
    const RESOURCE: &'static str;
    fn upsert(&self, context: &str) -> SourceEvent;
    fn delete(context: &str, namespace: &str, name: &str) -> SourceEvent;
    /// The fleet scope this kind fills in a context (used to forget a kind).
    fn scope(context: &str) -> Scope;
    /// For an add-on's kind (a CRD), the `group/version` the cluster must serve for it to
    /// be watched at all; `None` for built-in kinds. A 404 for such a kind means absent.
    const REQUIRES_GROUP: Option<&'static str> = None;
}

macro_rules! workload_kind {
    ($ty:ty, $resource:literal, $kind:expr, $convert:path) => {
        impl Watched for $ty {
            const RESOURCE: &'static str = $resource;
            fn upsert(&self, context: &str) -> SourceEvent {
                SourceEvent::UpsertWorkload($convert(context, self))
            }
            fn delete(context: &str, namespace: &str, name: &str) -> SourceEvent {
                SourceEvent::DeleteWorkload(KubeId::new(context, namespace, $kind, name))
            }
            fn scope(context: &str) -> Scope {
                Scope::Kube {
                    context: context.to_string(),
                    kind: $kind,
                }
            }
        }
    };
}

workload_kind!(
    apps::Deployment,
    "deployments",
    KubeKind::Deployment,
    convert::deployment
);
workload_kind!(
    apps::StatefulSet,
    "statefulsets",
    KubeKind::StatefulSet,
    convert::statefulset
);
workload_kind!(
    apps::DaemonSet,
    "daemonsets",
    KubeKind::DaemonSet,
    convert::daemonset
);
workload_kind!(batch::Job, "jobs", KubeKind::Job, convert::job);
workload_kind!(
    batch::CronJob,
    "cronjobs",
    KubeKind::CronJob,
    convert::cronjob
);

impl Watched for TrimmedPod {
    const RESOURCE: &'static str = "pods";
    fn upsert(&self, context: &str) -> SourceEvent {
        SourceEvent::UpsertPod(convert::pod(context, self))
    }
    fn delete(context: &str, namespace: &str, name: &str) -> SourceEvent {
        SourceEvent::DeletePod(KubeId::new(context, namespace, KubeKind::Pod, name))
    }
    fn scope(context: &str) -> Scope {
        Scope::Kube {
            context: context.to_string(),
            kind: KubeKind::Pod,
        }
    }
}

impl Watched for core::Node {
    const RESOURCE: &'static str = "nodes";
    fn upsert(&self, context: &str) -> SourceEvent {
        SourceEvent::UpsertNode(convert::node(context, self))
    }
    fn delete(context: &str, _namespace: &str, name: &str) -> SourceEvent {
        SourceEvent::DeleteNode {
            context: context.to_string(),
            name: name.to_string(),
        }
    }
    fn scope(context: &str) -> Scope {
        Scope::Kube {
            context: context.to_string(),
            kind: KubeKind::Node,
        }
    }
}

impl Watched for core::Event {
    const RESOURCE: &'static str = "events";
    fn upsert(&self, context: &str) -> SourceEvent {
        SourceEvent::UpsertEvent(convert::event(context, self))
    }
    fn delete(context: &str, namespace: &str, name: &str) -> SourceEvent {
        SourceEvent::DeleteEvent {
            context: context.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }
    fn scope(context: &str) -> Scope {
        Scope::KubeEvents {
            context: context.to_string(),
        }
    }
}

impl Watched for Schedule {
    const RESOURCE: &'static str = "schedules";
    const REQUIRES_GROUP: Option<&'static str> = Some(VELERO_GROUP_VERSION);
    fn upsert(&self, context: &str) -> SourceEvent {
        SourceEvent::UpsertSchedule(velero::schedule(context, self))
    }
    fn delete(context: &str, namespace: &str, name: &str) -> SourceEvent {
        SourceEvent::DeleteSchedule {
            context: context.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }
    fn scope(context: &str) -> Scope {
        Scope::VeleroSchedules {
            context: context.to_string(),
        }
    }
}

/// (namespace, name): the identity within one context and kind.
type Key = (String, String);

fn key_of<K: Resource>(obj: &K) -> Key {
    (obj.namespace().unwrap_or_default(), obj.name_any())
}

/// How one watch runs.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Objects per list page.
    pub page_size: Option<u32>,
    /// Keep at most this many objects, the oldest reported dropped first (events: a busy
    /// cluster makes thousands an hour, and only recent ones matter on call).
    pub cap: Option<usize>,
}

/// The keys reported so far, with their arrival order when capped.
struct Known {
    keys: HashSet<Key>,
    order: VecDeque<Key>,
    cap: Option<usize>,
}

impl Known {
    fn insert(&mut self, key: Key) -> bool {
        let new = self.keys.insert(key.clone());
        if new && self.cap.is_some() {
            self.order.push_back(key);
        }
        new
    }

    fn remove(&mut self, key: &Key) {
        self.keys.remove(key);
    }

    /// Keys beyond the cap, oldest first, forgotten as they are returned.
    fn overflow(&mut self) -> Vec<Key> {
        let Some(cap) = self.cap else {
            return Vec::new();
        };
        let mut out = Vec::new();
        while self.keys.len() > cap {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if self.keys.remove(&oldest) {
                out.push(oldest);
            }
        }
        // Keys deleted out of order leave stale entries; drop them when they dominate.
        if self.order.len() > 2 * cap.max(1) {
            self.order.retain(|k| self.keys.contains(k));
        }
        out
    }
}

/// What an error means for the user: refused, or failing (and retried).
pub fn classify(error: &watcher::Error) -> WatchState {
    let status = match error {
        watcher::Error::InitialListFailed(kube::Error::Api(s))
        | watcher::Error::WatchStartFailed(kube::Error::Api(s))
        | watcher::Error::WatchFailed(kube::Error::Api(s))
        | watcher::Error::WatchError(s) => Some(s),
        _ => None,
    };
    match status {
        Some(s) if s.code == 403 => WatchState::Forbidden(s.message.clone()),
        Some(s) => WatchState::Failing(format!("{} {}: {}", s.code, s.reason, s.message)),
        None => WatchState::Failing(short_error(error)),
    }
}

/// Whether the API answered 404 Not Found: the resource is not served (for an add-on's
/// CRD, not installed).
pub fn is_not_served(error: &watcher::Error) -> bool {
    matches!(
        error,
        watcher::Error::InitialListFailed(kube::Error::Api(s))
            | watcher::Error::WatchStartFailed(kube::Error::Api(s))
            | watcher::Error::WatchFailed(kube::Error::Api(s))
            | watcher::Error::WatchError(s)
            if s.code == 404
    )
}

/// The innermost cause of an error, which is what a person can act on ("connection
/// refused"), without the chain of wrappers around it.
pub fn short_error(error: &(dyn std::error::Error + 'static)) -> String {
    let mut inner: &dyn std::error::Error = error;
    while let Some(source) = inner.source() {
        inner = source;
    }
    let text = inner.to_string();
    if text.is_empty() {
        error.to_string()
    } else {
        text
    }
}

/// Watch `api` until cancelled, sending fleet events to `sink` and state changes to
/// `states`. Never returns on an API error: it backs off and tries again — except a 404
/// for an add-on's kind ([`Watched::REQUIRES_GROUP`]), which reports
/// [`WatchState::Absent`], forgets what it reported and returns, for the caller to ask
/// discovery again later.
pub async fn run<K: Watched>(
    api: Api<K>,
    context: String,
    options: WatchOptions,
    mut sink: EventSink,
    states: mpsc::UnboundedSender<StateReport>,
    cancel: CancellationToken,
) {
    let config = watcher::Config {
        page_size: options.page_size,
        ..watcher::Config::default()
    };
    let stream = watcher::watcher(api, config);
    let mut stream = std::pin::pin!(stream);
    let mut known = Known {
        keys: HashSet::new(),
        order: VecDeque::new(),
        cap: options.cap,
    };
    let mut relisting: Option<HashSet<Key>> = None;
    let mut backoff = Backoff::network();
    let mut state = WatchState::Connecting;
    let report = |new: WatchState, state: &mut WatchState| {
        if *state != new {
            *state = new.clone();
            let _ = states.send(StateReport {
                resource: K::RESOURCE,
                state: new,
            });
        }
    };
    let mut batch: Vec<SourceEvent> = Vec::new();
    loop {
        let first = tokio::select! {
            _ = cancel.cancelled() => return,
            item = stream.next() => item,
        };
        let mut next = first;
        let mut failed = None;
        let mut listed = false;
        // Take everything the watcher has ready, then send it as one batch.
        while let Some(item) = next {
            match item {
                Ok(Event::Init) => relisting = Some(HashSet::new()),
                Ok(Event::InitApply(obj)) => {
                    let key = key_of(&obj);
                    batch.push(obj.upsert(&context));
                    if let Some(seen) = relisting.as_mut() {
                        seen.insert(key.clone());
                    }
                    known.insert(key);
                }
                Ok(Event::InitDone) => {
                    if let Some(seen) = relisting.take() {
                        let gone: Vec<Key> = known.keys.difference(&seen).cloned().collect();
                        for (ns, name) in gone {
                            batch.push(K::delete(&context, &ns, &name));
                            known.remove(&(ns, name));
                        }
                    }
                    backoff.reset();
                    // Reported once the batch is sent, so "live" never precedes the rows.
                    listed = true;
                }
                Ok(Event::Apply(obj)) => {
                    known.insert(key_of(&obj));
                    batch.push(obj.upsert(&context));
                }
                Ok(Event::Delete(obj)) => {
                    let key = key_of(&obj);
                    known.remove(&key);
                    batch.push(K::delete(&context, &key.0, &key.1));
                }
                Err(e) if K::REQUIRES_GROUP.is_some() && is_not_served(&e) => {
                    // The CRD went away (or was never there): nothing of it exists now.
                    batch.push(SourceEvent::Clear(K::scope(&context)));
                    let _ = sink
                        .send(SourceEvent::Batch(std::mem::take(&mut batch)))
                        .await;
                    report(WatchState::Absent, &mut state);
                    return;
                }
                Err(e) => {
                    failed = Some(classify(&e));
                    tracing::debug!(context, resource = K::RESOURCE, error = %e, "watch failed");
                    break;
                }
            }
            for (ns, name) in known.overflow() {
                batch.push(K::delete(&context, &ns, &name));
            }
            if batch.len() >= BATCH {
                break;
            }
            next = stream.next().now_or_never().flatten();
        }
        if !batch.is_empty() {
            let events = std::mem::take(&mut batch);
            let event = if events.len() == 1 {
                events.into_iter().next().expect("one event")
            } else {
                SourceEvent::Batch(events)
            };
            if sink.send(event).await.is_err() {
                return;
            }
        }
        if listed {
            report(WatchState::Live, &mut state);
        }
        if let Some(failure) = failed {
            // Objects reported so far stay: the view shows them as stale, not gone.
            if let WatchState::Forbidden(_) = failure {
                // A refusal will not go away on its own soon; check again slowly.
                backoff = Backoff::new(Duration::from_secs(30), Duration::from_secs(300));
            }
            report(failure, &mut state);
            let delay = backoff.next_delay();
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(delay) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_keys_over_the_cap_drop_oldest_first() {
        let mut known = Known {
            keys: HashSet::new(),
            order: VecDeque::new(),
            cap: Some(2),
        };
        let k = |n: &str| ("ns".to_string(), n.to_string());
        known.insert(k("a"));
        known.insert(k("b"));
        known.remove(&k("a"));
        known.insert(k("c"));
        assert!(known.overflow().is_empty());
        known.insert(k("d"));
        assert_eq!(known.overflow(), vec![k("b")]);
        assert_eq!(known.keys.len(), 2);
    }

    #[test]
    fn forbidden_is_told_apart_from_failing() {
        let status = |code| {
            Box::new(kube::core::Status {
                code,
                message: "pods is forbidden".into(),
                reason: "Forbidden".into(),
                ..Default::default()
            })
        };
        assert!(matches!(
            classify(&watcher::Error::InitialListFailed(kube::Error::Api(
                status(403)
            ))),
            WatchState::Forbidden(_)
        ));
        assert!(matches!(
            classify(&watcher::Error::WatchError(status(500))),
            WatchState::Failing(_)
        ));
    }
}
