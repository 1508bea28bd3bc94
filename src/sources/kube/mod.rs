//! The Kubernetes source (DESIGN.md §5): kube-rs watches of every context the user
//! connects, turned into fleet events. It never polls object lists: it lists once per
//! watch (and again only when the server says a resourceVersion expired) and then applies
//! changes. Metrics, which cannot be watched, are sampled.
//!
//! - [`kubeconfig`]: finding and merging kubeconfig files the way kubectl does.
//! - [`trimmed`], [`convert`], [`quantity`]: API objects, decoded only as far as needed,
//!   → the fleet's trimmed model.
//! - [`watch`]: one kind's list+watch → fleet events, with relist diffing and state.
//! - [`context`]: one context's watches, sampler, access checks and log followers, and
//!   its health.
//! - [`velero`]: Velero Schedules, watched where the cluster serves `velero.io`.
//! - [`metrics`], [`access`], [`namespaces`], [`logs`]: those parts.
//!
//! The app steers the source through [`KubeControl::set_interest`]: which contexts are
//! connected, the namespace scope, and which log streams to follow. Calls return at once.

pub mod access;
pub mod add_on;
pub mod context;
pub mod convert;
pub mod kubeconfig;
pub mod logs;
pub mod metrics;
pub mod namespaces;
pub mod quantity;
pub mod trimmed;
pub mod velero;
pub mod watch;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use kube::config::Kubeconfig;
use tokio::sync::watch as channel;
use tokio_util::sync::CancellationToken;

pub use kubeconfig::{KubeconfigSet, candidate_files, load as load_kubeconfig};
pub use logs::LogRequest;

use crate::logs::StreamKey;
use crate::sources::EventSink;
use crate::store::SourceEvent;

/// Tuning of the source; the defaults suit a cluster of 50,000 pods.
#[derive(Debug, Clone)]
pub struct KubeOptions {
    /// Objects per list page. client-go uses 500. On the `big` scenario 1,000 listed
    /// 50,000 pods fastest and most evenly (`PILOTHOUSE_BENCH_PAGE_SIZE` in the kube
    /// bench): 500 paid for twice the round trips, 2,500 and 5,000 for bursts of work
    /// that left some starts 0.5 s slower. A distant API server favours bigger pages (a
    /// round trip each).
    pub page_size: Option<u32>,
    /// Events kept per context (newest).
    pub events_cap: usize,
    /// How often metrics.k8s.io is sampled; longer, up to four times this, when a round is
    /// slow to serve and read (see `metrics::paced`).
    pub metrics_interval: Duration,
    pub connect_timeout: Duration,
}

impl Default for KubeOptions {
    fn default() -> Self {
        KubeOptions {
            page_size: Some(1000),
            events_cap: 5000,
            metrics_interval: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// What the app wants from the source right now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KubeInterest {
    pub contexts: BTreeSet<String>,
    /// `None`: every namespace.
    pub namespace: Option<String>,
    /// Streams to follow (only [`StreamKey::Kube`] ones are used).
    pub logs: BTreeMap<StreamKey, LogRequest>,
}

/// The app's handle on the source.
#[derive(Debug, Clone)]
pub struct KubeControl {
    interest: channel::Sender<KubeInterest>,
}

impl KubeControl {
    /// Say what is wanted; wakes the source only when it differs from the last word.
    pub fn set_interest(&self, interest: KubeInterest) {
        self.interest.send_if_modified(|current| {
            if *current == interest {
                false
            } else {
                *current = interest;
                true
            }
        });
    }
}

/// Start the source. Contexts named in `initial` connect at once; the rest of the
/// kubeconfig's contexts can be added later through the control.
pub fn spawn(
    kubeconfig: Kubeconfig,
    initial: KubeInterest,
    options: KubeOptions,
    sink: EventSink,
    cancel: &CancellationToken,
) -> KubeControl {
    let (tx, rx) = channel::channel(initial);
    tokio::spawn(supervise(
        kubeconfig,
        rx,
        options,
        sink,
        cancel.child_token(),
    ));
    KubeControl { interest: tx }
}

struct Running {
    cancel: CancellationToken,
    namespace: channel::Sender<Option<String>>,
    logs: channel::Sender<BTreeMap<StreamKey, logs::LogRequest>>,
}

/// Start and stop contexts as the interest changes, and pass on scope and log wishes.
async fn supervise(
    kubeconfig: Kubeconfig,
    mut interest: channel::Receiver<KubeInterest>,
    options: KubeOptions,
    mut sink: EventSink,
    cancel: CancellationToken,
) {
    let mut running: HashMap<String, Running> = HashMap::new();
    loop {
        let wanted = interest.borrow_and_update().clone();
        let gone: Vec<String> = running
            .keys()
            .filter(|name| !wanted.contexts.contains(*name))
            .cloned()
            .collect();
        for name in gone {
            if let Some(r) = running.remove(&name) {
                r.cancel.cancel();
            }
            if sink
                .send(SourceEvent::ForgetContext { context: name })
                .await
                .is_err()
            {
                return;
            }
        }
        for name in &wanted.contexts {
            let logs: BTreeMap<StreamKey, logs::LogRequest> = wanted
                .logs
                .iter()
                .filter(|(k, _)| matches!(k, StreamKey::Kube { context, .. } if context == name))
                .map(|(k, v)| (k.clone(), *v))
                .collect();
            match running.get(name) {
                Some(r) => {
                    r.namespace
                        .send_if_modified(|ns| replace(ns, &wanted.namespace));
                    r.logs.send_if_modified(|l| replace(l, &logs));
                }
                None => {
                    let token = cancel.child_token();
                    let (ns_tx, ns_rx) = channel::channel(wanted.namespace.clone());
                    let (logs_tx, logs_rx) = channel::channel(logs);
                    tokio::spawn(context::run(
                        name.clone(),
                        kubeconfig.clone(),
                        options.clone(),
                        context::ContextInputs {
                            namespace: ns_rx,
                            logs: logs_rx,
                        },
                        sink.clone(),
                        token.clone(),
                    ));
                    running.insert(
                        name.clone(),
                        Running {
                            cancel: token,
                            namespace: ns_tx,
                            logs: logs_tx,
                        },
                    );
                }
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            changed = interest.changed() => if changed.is_err() { return },
        }
    }
}

fn replace<T: PartialEq + Clone>(slot: &mut T, value: &T) -> bool {
    if slot == value {
        false
    } else {
        *slot = value.clone();
        true
    }
}
