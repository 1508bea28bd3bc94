//! The rules task: a pass-through on the console's event channel. Every event goes on to
//! the app unchanged; host and container samples are also shown to the rule engine, whose
//! alerts follow them. A timer fires rules whose `for:` runs out between samples.
//!
//! The clock is passed in: the real one in the console, a [`ManualClock`] in tests, where
//! samples go in and five minutes later (advanced by hand) the alert comes out.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use jiff::Timestamp;
use tokio::sync::{mpsc, watch};

use super::engine::{RuleEngine, Subject};
use crate::sources::alertmanager::settings::RulesConfig;
use crate::store::{Scope, SourceEvent};

/// How many events the task moves per wake-up.
const BURST: usize = 256;

/// Where the rules task gets its time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
    /// Resolves once `at` has come.
    fn sleep_until(&self, at: Timestamp) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }

    fn sleep_until(&self, at: Timestamp) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        let wait =
            std::time::Duration::try_from(at.duration_since(Timestamp::now())).unwrap_or_default();
        Box::pin(tokio::time::sleep(wait))
    }
}

/// A clock that moves only when told to, for tests.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<watch::Sender<Timestamp>>,
}

impl ManualClock {
    pub fn new(start: Timestamp) -> ManualClock {
        ManualClock {
            now: Arc::new(watch::channel(start).0),
        }
    }

    pub fn advance(&self, by: std::time::Duration) {
        let by = jiff::SignedDuration::try_from(by).unwrap_or(jiff::SignedDuration::MAX);
        self.now
            .send_modify(|now| *now = now.saturating_add(by).unwrap_or(Timestamp::MAX));
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.borrow()
    }

    fn sleep_until(&self, at: Timestamp) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        let mut now = self.now.subscribe();
        Box::pin(async move {
            // The sender lives as long as `self`: an error cannot happen while we wait.
            let _ = now.wait_for(|now| *now >= at).await;
        })
    }
}

/// Put the rules between the sources and the app: returns the receiver the app should
/// read instead of `input`. The task ends when either side closes.
pub fn spawn_rules(
    input: mpsc::Receiver<SourceEvent>,
    config: RulesConfig,
) -> mpsc::Receiver<SourceEvent> {
    spawn_rules_with_clock(input, config, SystemClock)
}

/// [`spawn_rules`] on another clock.
pub fn spawn_rules_with_clock(
    input: mpsc::Receiver<SourceEvent>,
    config: RulesConfig,
    clock: impl Clock,
) -> mpsc::Receiver<SourceEvent> {
    let (tx, rx) = mpsc::channel(input.max_capacity());
    tokio::spawn(run(input, tx, RuleEngine::new(config), clock));
    rx
}

async fn run(
    mut input: mpsc::Receiver<SourceEvent>,
    output: mpsc::Sender<SourceEvent>,
    mut engine: RuleEngine,
    clock: impl Clock,
) {
    let mut batch = Vec::with_capacity(BURST);
    loop {
        let due = engine.next_due();
        let timer = async {
            match due {
                Some(at) => clock.sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            received = input.recv_many(&mut batch, BURST) => {
                if received == 0 {
                    return;
                }
                for event in batch.drain(..) {
                    let raised = observe(&mut engine, &event, clock.now());
                    if output.send(event).await.is_err() {
                        return;
                    }
                    if !raised.is_empty() && output.send(SourceEvent::Batch(raised)).await.is_err() {
                        return;
                    }
                }
            }
            () = timer => {
                let raised = engine.tick(clock.now());
                if !raised.is_empty() && output.send(SourceEvent::Batch(raised)).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Show one event to the engine; returns the alert changes it makes.
fn observe(engine: &mut RuleEngine, event: &SourceEvent, now: Timestamp) -> Vec<SourceEvent> {
    match event {
        SourceEvent::Batch(events) => {
            // A relist is a Clear and then upserts, in one batch: only what the clear
            // removed and the batch did not bring back is gone, so pending rules keep
            // their start across a reconnect.
            let mut raised = Vec::new();
            let mut cleared = Vec::new();
            let mut seen = HashSet::new();
            for inner in events {
                match inner {
                    SourceEvent::Clear(scope) => cleared.push(scope.clone()),
                    SourceEvent::HostSample { id, .. } => {
                        seen.insert(Subject::Host(id.clone()));
                    }
                    SourceEvent::UpsertContainer(c) => {
                        seen.insert(Subject::Container(c.id.clone()));
                    }
                    SourceEvent::UpsertNode(n) => {
                        seen.insert(Subject::Node(n.context.clone(), n.name.clone()));
                    }
                    _ => {}
                }
                if !matches!(inner, SourceEvent::Clear(_)) {
                    raised.extend(observe(engine, inner, now));
                }
            }
            for scope in cleared {
                raised.extend(engine.forget_where(|s| in_scope(s, &scope) && !seen.contains(s)));
            }
            raised
        }
        SourceEvent::HostSample { id, sample } => engine.observe_host(id, sample, now),
        SourceEvent::DeleteHost(id) => engine.forget(&Subject::Host(id.clone())),
        SourceEvent::UpsertContainer(container) => engine.observe_container(container, now),
        SourceEvent::DeleteContainer(id) => engine.forget(&Subject::Container(id.clone())),
        SourceEvent::UpsertNode(node) => engine.observe_node(node, now),
        SourceEvent::Usage { context, nodes, .. } => engine.observe_node_usage(context, nodes, now),
        SourceEvent::DeleteNode { context, name } => {
            engine.forget(&Subject::Node(context.clone(), name.clone()))
        }
        SourceEvent::Clear(scope) => engine.forget_where(|s| in_scope(s, scope)),
        _ => Vec::new(),
    }
}

fn in_scope(subject: &Subject, scope: &Scope) -> bool {
    match (subject, scope) {
        (Subject::Host(id), Scope::Hosts { source }) => &id.source == source,
        (Subject::Container(id), Scope::DockerHost { host }) => &id.host == host,
        (Subject::Node(context, _), Scope::Kube { context: c, kind }) => {
            context == c && *kind == crate::model::KubeKind::Node
        }
        _ => false,
    }
}
