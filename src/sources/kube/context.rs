//! One context: its client, its watches, its metrics sampler, its access checks and its
//! log followers, and the one health the header shows for all of them.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::batch::v1 as batch;
use k8s_openapi::api::core::v1 as core;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::logs::{Followers, LogRequest};
use super::trimmed::TrimmedPod;
use super::velero::Schedule;
use super::watch::{self as kwatch, StateReport, WatchOptions, WatchState, Watched};
use super::{KubeOptions, access, add_on, metrics};
use crate::logs::StreamKey;
use crate::model::{Environment, SourceHealth, SourceKey, SourceKind};
use crate::sources::{Backoff, EventSink};
use crate::store::{ContextInfo, Scope, SourceEvent};

/// What the supervisor tells a running context.
pub struct ContextInputs {
    pub namespace: watch::Receiver<Option<String>>,
    pub logs: watch::Receiver<BTreeMap<StreamKey, LogRequest>>,
}

/// Build a client for `context` of `kubeconfig` (exec plugins and tokens as kube-rs
/// supports them).
pub async fn client_for(
    kubeconfig: &Kubeconfig,
    context: &str,
    options: &KubeOptions,
) -> Result<Client, String> {
    let mut config = kube::Config::from_custom_kubeconfig(
        kubeconfig.clone(),
        &KubeConfigOptions {
            context: Some(context.to_string()),
            ..KubeConfigOptions::default()
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    config.connect_timeout = Some(options.connect_timeout);
    // Ordinary requests must not hang the sampler or an access check for minutes; watches
    // and followed logs are long reads the client knows how to keep open.
    config.read_timeout = Some(Duration::from_secs(330));
    Client::try_from(config).map_err(|e| e.to_string())
}

/// Run one context until cancelled.
pub async fn run(
    name: String,
    kubeconfig: Kubeconfig,
    options: KubeOptions,
    mut inputs: ContextInputs,
    mut sink: EventSink,
    cancel: CancellationToken,
) {
    let key = SourceKey::new(SourceKind::Kubernetes, name.clone());
    let info = |namespace: Option<String>| {
        SourceEvent::Context(ContextInfo {
            name: name.clone(),
            environment: Environment::infer(&name),
            namespace,
        })
    };
    let namespace = inputs.namespace.borrow().clone();
    if sink.send(info(namespace)).await.is_err() {
        return;
    }
    let _ = sink.health(&key, SourceHealth::Connecting).await;
    let mut backoff = Backoff::network();
    let client = loop {
        match client_for(&kubeconfig, &name, &options).await {
            Ok(client) => break client,
            Err(error) => {
                let _ = sink.health(&key, SourceHealth::Unavailable { error }).await;
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(backoff.next_delay()) => {}
                }
            }
        }
    };
    let (states_tx, mut states_rx) = mpsc::unbounded_channel::<StateReport>();
    let mut health = Aggregate::default();

    // Cluster-scoped watches run whatever the namespace scope.
    spawn_watch::<core::Node>(
        Api::all(client.clone()),
        &name,
        &options,
        &sink,
        &states_tx,
        &cancel,
    );
    tokio::spawn(super::namespaces::watch(
        client.clone(),
        name.clone(),
        sink.clone(),
        cancel.child_token(),
    ));
    let mut followers = Followers::new(client.clone(), sink.clone());
    followers.reconcile(&inputs.logs.borrow(), &cancel);

    loop {
        let namespace = inputs.namespace.borrow_and_update().clone();
        let scoped = cancel.child_token();
        spawn_namespaced(
            &client,
            namespace.as_deref(),
            &name,
            &options,
            &sink,
            &states_tx,
            &scoped,
        );
        // The first metrics round waits for the pod list: its samples have no rows to
        // land on before it, and on a big cluster the two compete for the API server and
        // the console's cores (50,000 pods: 124 MB of pods and 18 MB of metrics).
        let (pods_listed, pods_listed_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(metrics::sample(
            client.clone(),
            name.clone(),
            namespace.clone(),
            options.metrics_interval,
            pods_listed_rx,
            sink.clone(),
            scoped.child_token(),
        ));
        tokio::spawn(access::check(
            client.clone(),
            name.clone(),
            namespace.clone(),
            sink.clone(),
        ));
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                changed = inputs.namespace.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    break;
                }
                changed = inputs.logs.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    followers.reconcile(&inputs.logs.borrow_and_update(), &cancel);
                }
                Some(report) = states_rx.recv() => {
                    if report.resource == TrimmedPod::RESOURCE && report.state != WatchState::Connecting {
                        pods_listed.send_replace(true);
                    }
                    for event in health.update(&name, report) {
                        if sink.send(event).await.is_err() {
                            return;
                        }
                    }
                }
            }
        }
        // The namespace scope changed: stop the namespaced watches and forget what they
        // reported (it may be out of scope now), then start again in the new scope.
        scoped.cancel();
        let namespace = inputs.namespace.borrow().clone();
        let mut events = vec![info(namespace)];
        for (scope, resource, add_on) in NAMESPACED {
            events.push(SourceEvent::Clear(scope(&name)));
            if !add_on {
                health.states.insert(resource, WatchState::Connecting);
            }
        }
        if sink.send(SourceEvent::Batch(events)).await.is_err() {
            return;
        }
    }
}

/// Every namespaced kind the source watches, named once: `$then!(Kind, …)`.
macro_rules! with_namespaced_kinds {
    ($then:ident) => {
        $then!(
            TrimmedPod,
            apps::Deployment,
            apps::StatefulSet,
            apps::DaemonSet,
            batch::Job,
            batch::CronJob,
            core::Event,
            Schedule
        )
    };
}

macro_rules! scopes_and_resources {
    ($($kind:ty),*) => {
        [$((
            <$kind as Watched>::scope as ScopeOf,
            <$kind as Watched>::RESOURCE,
            <$kind as Watched>::REQUIRES_GROUP.is_some(),
        )),*]
    };
}

/// The fleet scope a watch fills in a context.
type ScopeOf = fn(&str) -> Scope;

/// The fleet scope each namespaced watch fills, its resource name, and whether it is an
/// add-on's kind (which does not report itself connecting until discovery says it exists).
const NAMESPACED: [(ScopeOf, &str, bool); 8] = with_namespaced_kinds!(scopes_and_resources);

fn spawn_namespaced(
    client: &Client,
    namespace: Option<&str>,
    context: &str,
    options: &KubeOptions,
    sink: &EventSink,
    states: &mpsc::UnboundedSender<StateReport>,
    cancel: &CancellationToken,
) {
    fn api<K>(client: &Client, namespace: Option<&str>) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        <K as kube::Resource>::DynamicType: Default,
    {
        match namespace {
            Some(ns) => Api::namespaced(client.clone(), ns),
            None => Api::all(client.clone()),
        }
    }
    macro_rules! spawn_each {
        ($($kind:ty),*) => {
            $(spawn_watch::<$kind>(api(client, namespace), context, options, sink, states, cancel);)*
        };
    }
    with_namespaced_kinds!(spawn_each);
}

fn spawn_watch<K: Watched>(
    api: Api<K>,
    context: &str,
    options: &KubeOptions,
    sink: &EventSink,
    states: &mpsc::UnboundedSender<StateReport>,
    cancel: &CancellationToken,
) {
    let cap = (K::RESOURCE == "events").then_some(options.events_cap);
    let watch_options = WatchOptions {
        page_size: options.page_size,
        cap,
    };
    if let Some(group) = K::REQUIRES_GROUP {
        tokio::spawn(add_on::watch_when_served(
            api,
            group,
            context.to_string(),
            watch_options,
            sink.clone(),
            states.clone(),
            cancel.child_token(),
        ));
        return;
    }
    let _ = states.send(StateReport {
        resource: K::RESOURCE,
        state: WatchState::Connecting,
    });
    tokio::spawn(kwatch::run(
        api,
        context.to_string(),
        watch_options,
        sink.clone(),
        states.clone(),
        cancel.child_token(),
    ));
}

/// Every watch's state, folded into the context's health and "forbidden" notes.
#[derive(Default)]
pub struct Aggregate {
    states: HashMap<&'static str, WatchState>,
    /// When the context stopped being live, if it was live once.
    stale_since: Option<Timestamp>,
    was_live: bool,
    last: Option<SourceHealth>,
}

impl Aggregate {
    /// Take one report; return the events that tell the fleet what changed.
    pub fn update(&mut self, context: &str, report: StateReport) -> Vec<SourceEvent> {
        let mut out = Vec::new();
        let before = self.states.insert(report.resource, report.state.clone());
        let was_forbidden = matches!(before, Some(WatchState::Forbidden(_)));
        let is_forbidden = matches!(report.state, WatchState::Forbidden(_));
        if was_forbidden != is_forbidden && !matches!(report.state, WatchState::Connecting) {
            out.push(SourceEvent::Readable {
                context: context.to_string(),
                resource: report.resource.to_string(),
                readable: !is_forbidden,
            });
        }
        let health = self.health();
        if self.last.as_ref() != Some(&health) {
            self.last = Some(health.clone());
            out.push(SourceEvent::Health {
                source: SourceKey::new(SourceKind::Kubernetes, context),
                health,
            });
        }
        out
    }

    fn health(&mut self) -> SourceHealth {
        let failing: Vec<(&str, &str)> = self
            .states
            .iter()
            .filter_map(|(r, s)| match s {
                WatchState::Failing(e) => Some((*r, e.as_str())),
                _ => None,
            })
            .collect();
        let forbidden: Vec<&str> = self
            .states
            .iter()
            .filter(|(_, s)| matches!(s, WatchState::Forbidden(_)))
            .map(|(r, _)| *r)
            .collect();
        let live = self.states.values().any(|s| *s == WatchState::Live);
        let connecting = self.states.values().any(|s| *s == WatchState::Connecting);
        if let Some((resource, error)) = failing.iter().min() {
            let error = format!("{resource}: {error}");
            if self.was_live {
                let since = *self.stale_since.get_or_insert_with(Timestamp::now);
                return SourceHealth::Stale { since, error };
            }
            return SourceHealth::Unavailable { error };
        }
        if !forbidden.is_empty() && !live && !connecting {
            let mut what = forbidden;
            what.sort();
            return SourceHealth::Forbidden {
                what: what.join(", "),
            };
        }
        if connecting && !self.was_live {
            return SourceHealth::Connecting;
        }
        if live {
            self.was_live = true;
            self.stale_since = None;
            return SourceHealth::Live;
        }
        SourceHealth::Connecting
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(resource: &'static str, state: WatchState) -> StateReport {
        StateReport { resource, state }
    }

    fn health_of(events: &[SourceEvent]) -> Option<&SourceHealth> {
        events.iter().find_map(|e| match e {
            SourceEvent::Health { health, .. } => Some(health),
            _ => None,
        })
    }

    #[test]
    fn context_health_follows_its_watches() {
        let mut agg = Aggregate::default();
        let e = agg.update("prod", report("pods", WatchState::Connecting));
        assert_eq!(health_of(&e), Some(&SourceHealth::Connecting));
        let e = agg.update(
            "prod",
            report("pods", WatchState::Failing("refused".into())),
        );
        assert!(matches!(
            health_of(&e),
            Some(SourceHealth::Unavailable { .. })
        ));
        let e = agg.update("prod", report("pods", WatchState::Live));
        assert_eq!(health_of(&e), Some(&SourceHealth::Live));
        let e = agg.update("prod", report("nodes", WatchState::Forbidden("no".into())));
        assert!(e.iter().any(|e| matches!(e, SourceEvent::Readable { readable: false, resource, .. } if resource == "nodes")));
        assert_eq!(
            health_of(&e),
            None,
            "still live: one forbidden kind is not an outage"
        );
        let e = agg.update("prod", report("pods", WatchState::Failing("reset".into())));
        assert!(matches!(health_of(&e), Some(SourceHealth::Stale { .. })));
        let e = agg.update("prod", report("pods", WatchState::Live));
        assert_eq!(health_of(&e), Some(&SourceHealth::Live));
    }
}
