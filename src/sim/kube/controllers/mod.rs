//! The controllers of one cluster, in simulated time: one task that wakes on every store
//! change and on its timers, turns changes into work (level-triggered reconciles of the
//! objects concerned) and runs the kubelet's timed steps.
//!
//! Reconciles read the store and write it back; they keep no copy of the world, so the
//! only per-object state here is the timer queue of pods in transition.

pub mod build;
mod churn;
pub mod cron;
pub mod cronjob;
mod daemonset;
mod deployment;
pub mod events;
mod job;
pub mod kubelet;
pub mod lifecycle;
pub mod nodes;
pub mod pod_status;
mod replicaset;
pub mod revisions;
mod statefulset;

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use super::cluster::Cluster;
use super::faults::FaultEdge;
use super::object::{Phase, StoredObject};
use super::resources::Kind;
use super::scenario::ChurnSpec;
use super::store::{Change, EventType, Store};
use super::velero::controller as velero;
use crate::sim::common::seeded::Rng;

/// Something to do at a simulated time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// The kubelet's next step for a pod (`ns/name`, uid guards against a same-named new pod).
    PodStep(Box<str>, Box<str>),
    /// Reconcile an object (CronJob schedules).
    Reconcile(Kind, Box<str>),
    /// Renew node leases and refresh node status.
    Heartbeat,
    /// One round of background churn.
    Churn,
    /// Expire old Events.
    Sweep,
    /// Evict the pods of a node that has been NotReady for five minutes.
    Evict(Box<str>),
}

/// The timer queue, the seeded randomness and the few allocations controllers make.
pub struct Scheduler {
    queue: BinaryHeap<Reverse<(u64, u64, Timer)>>,
    seq: u64,
    pub rng: Rng,
    /// Next pod IP host number per node.
    pod_ips: HashMap<String, u32>,
    /// Timers set with `once`, so a repeat of the same one is not queued twice.
    pending: std::collections::HashSet<(u64, Timer)>,
}

impl Scheduler {
    /// Run `timer` at simulated second `at`.
    pub fn at(&mut self, at: f64, timer: Timer) {
        self.seq += 1;
        let millis = (at.max(0.0) * 1000.0) as u64;
        self.queue.push(Reverse((millis, self.seq, timer)));
    }

    /// Run `timer` at `at` unless the same timer is already queued for then.
    pub fn once(&mut self, at: f64, timer: Timer) {
        let millis = (at.max(0.0) * 1000.0) as u64;
        if self.pending.insert((millis, timer.clone())) {
            self.at(at, timer);
        }
    }

    fn due(&mut self, now: f64) -> Vec<Timer> {
        let limit = (now * 1000.0) as u64;
        let mut out = Vec::new();
        while let Some(Reverse((at, _, _))) = self.queue.peek() {
            if *at > limit {
                break;
            }
            if let Some(Reverse((at, _, timer))) = self.queue.pop() {
                self.pending.remove(&(at, timer.clone()));
                out.push(timer);
            }
        }
        out
    }

    fn next_at(&self) -> Option<f64> {
        self.queue
            .peek()
            .map(|Reverse((at, _, _))| *at as f64 / 1000.0)
    }

    /// An IP for a new pod on `node`, from its pod CIDR (`10.244.3.0/24`), cycling through
    /// the range as a real IPAM reuses freed addresses.
    pub fn pod_ip(&mut self, node: &str, pod_cidr: &str) -> String {
        let prefix = pod_cidr.rsplit_once('.').map_or("10.244.0", |(p, _)| p);
        let n = self.pod_ips.entry(node.to_string()).or_insert(2);
        let host = *n;
        *n = if *n >= 253 { 2 } else { *n + 1 };
        format!("{prefix}.{host}")
    }
}

/// What a reconcile works with: the locked store, the time, and the scheduler.
pub struct Env<'a> {
    pub cluster: &'a Cluster,
    pub store: &'a mut Store,
    pub sched: &'a mut Scheduler,
    /// Simulated seconds since start (timers) and the simulated wall clock (objects).
    pub secs: f64,
    pub now: Timestamp,
}

/// The controllers of one cluster.
pub struct Controllers {
    cluster: Arc<Cluster>,
    sched: Scheduler,
    churn: Option<ChurnSpec>,
    last_tick: f64,
    dirty: BTreeSet<(Kind, Box<str>)>,
}

impl Controllers {
    /// `next_ips`: where each node's pod IPs continue after the initial estate.
    pub fn new(
        cluster: Arc<Cluster>,
        churn: Option<ChurnSpec>,
        seed: u64,
        next_ips: HashMap<String, u32>,
    ) -> Controllers {
        Controllers {
            cluster,
            sched: Scheduler {
                queue: BinaryHeap::new(),
                seq: 0,
                rng: Rng::new(seed ^ 0xc0_47_20_11),
                pod_ips: next_ips,
                pending: std::collections::HashSet::new(),
            },
            churn,
            last_tick: -1.0,
            dirty: BTreeSet::new(),
        }
    }

    /// Run until the runtime stops: wake on store changes and on timers.
    pub async fn run(mut self) {
        let wake = self.cluster.store().wake_handle();
        loop {
            let delay = self.next_delay();
            tokio::select! {
                _ = wake.notified() => {
                    // Let a burst of writes land before looking, so it is handled in one pass.
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                _ = tokio::time::sleep(delay) => {}
            }
            self.tick();
        }
    }

    /// Initial timers, and a first look at every workload.
    pub fn start(&mut self) {
        let now = self.cluster.sim_secs();
        self.sched.at(now + 1.0, Timer::Heartbeat);
        self.sched.at(now + 60.0, Timer::Sweep);
        if self
            .churn
            .as_ref()
            .is_some_and(|c| c.pod_updates_per_second + c.pod_replacements_per_second > 0.0)
        {
            self.sched.at(now + 1.0, Timer::Churn);
        }
        let store = self.cluster.store();
        for kind in [
            Kind::Deployment,
            Kind::ReplicaSet,
            Kind::StatefulSet,
            Kind::DaemonSet,
            Kind::Job,
            Kind::CronJob,
            Kind::Backup,
            Kind::Schedule,
        ] {
            for object in store.list(kind, None, None) {
                self.dirty.insert((kind, object.key.clone()));
            }
        }
    }

    /// Real time until the next timer, at most a second (so faults starting on their own
    /// are noticed promptly).
    fn next_delay(&self) -> Duration {
        let now = self.cluster.sim_secs();
        let until = self.sched.next_at().map_or(1.0, |at| (at - now).max(0.0));
        self.cluster
            .clock
            .real_duration(until)
            .min(Duration::from_secs(1))
            .max(Duration::from_millis(1))
    }

    /// Act on faults, timers and changes up to now.
    pub fn tick(&mut self) {
        let secs = self.cluster.sim_secs();
        let edges = self.cluster.faults.edges(self.last_tick, secs);
        self.last_tick = secs;
        for edge in edges {
            self.on_fault(edge, secs);
        }
        let timers = self.sched.due(secs);
        for timer in timers {
            self.on_timer(timer, secs);
        }
        // Reconciles cause changes that cause reconciles; a few rounds reach quiet.
        for _ in 0..8 {
            let changes = self.cluster.store().take_changes();
            for change in &changes {
                self.absorb(change, secs);
            }
            if self.dirty.is_empty() {
                break;
            }
            let dirty = std::mem::take(&mut self.dirty);
            for (kind, key) in dirty {
                self.reconcile(kind, &key, secs);
            }
        }
    }

    fn with_env<R>(&mut self, secs: f64, f: impl FnOnce(&mut Env) -> R) -> R {
        let cluster = self.cluster.clone();
        let mut store = cluster.store();
        let now = store.clock().now();
        let mut env = Env {
            cluster: &cluster,
            store: &mut store,
            sched: &mut self.sched,
            secs,
            now,
        };
        f(&mut env)
    }

    /// Turn one change into work.
    fn absorb(&mut self, change: &Change, secs: f64) {
        let object = &change.object;
        if change.event == EventType::Deleted && !object.uid.is_empty() {
            let uid = object.uid.clone();
            self.with_env(secs, |env| lifecycle::collect_dependents(env, &uid));
        }
        if let Some(owner) = &object.controller
            && let Some(kind) = owner.kind
        {
            let key = super::object::make_key(object.namespace(), &owner.name);
            self.dirty.insert((kind, key));
        }
        match change.kind {
            Kind::Pod => self.absorb_pod(change, secs),
            Kind::Deployment
            | Kind::ReplicaSet
            | Kind::StatefulSet
            | Kind::DaemonSet
            | Kind::Job
            | Kind::CronJob
            | Kind::Backup
            | Kind::Schedule
                if change.event != EventType::Deleted =>
            {
                self.dirty.insert((change.kind, object.key.clone()));
            }
            Kind::Namespace if object.summary.terminating => {
                self.dirty.insert((Kind::Namespace, object.key.clone()));
            }
            Kind::Node if change.event != EventType::Modified => {
                let store = self.cluster.store();
                for ds in store.list(Kind::DaemonSet, None, None) {
                    self.dirty.insert((Kind::DaemonSet, ds.key.clone()));
                }
            }
            _ => {}
        }
    }

    /// The kubelet's entry points: a new pod to place, a pod to stop.
    fn absorb_pod(&mut self, change: &Change, secs: f64) {
        let pod: &Arc<StoredObject> = &change.object;
        match change.event {
            EventType::Added
                if pod.summary.node.is_none() && pod.summary.phase == Phase::Pending =>
            {
                self.sched
                    .at(secs, Timer::PodStep(pod.key.clone(), pod.uid.clone()));
            }
            EventType::Added if pod.summary.phase == Phase::Pending => {
                // Created already bound (DaemonSet pods): start it.
                self.sched
                    .at(secs + 0.5, Timer::PodStep(pod.key.clone(), pod.uid.clone()));
            }
            EventType::Modified if pod.summary.terminating => {
                self.heal_on_restart(pod, secs);
                let delay = kubelet::stop_delay(&mut self.sched.rng);
                self.sched.at(
                    secs + delay,
                    Timer::PodStep(pod.key.clone(), pod.uid.clone()),
                );
            }
            // Deleted at once (grace period 0) or the end of a graceful deletion.
            EventType::Deleted => self.heal_on_restart(pod, secs),
            _ => {}
        }
    }

    /// A pod being deleted, whoever deletes it (kubectl, a rollout, a scale-down, an
    /// eviction), takes with it the faults that a restart heals: its replacement starts
    /// healthy. Every deletion passes here, so this is the one place that needs to know.
    fn heal_on_restart(&self, pod: &StoredObject, secs: f64) {
        let label = |k: &str| pod.label(k).map(str::to_string);
        self.cluster
            .faults
            .pod_replaced(secs, pod.namespace(), &label);
    }

    fn reconcile(&mut self, kind: Kind, key: &str, secs: f64) {
        let (namespace, name) = key.split_once('/').unwrap_or(("", key));
        let (namespace, name) = (namespace.to_string(), name.to_string());
        self.with_env(secs, |env| match kind {
            Kind::Deployment => deployment::reconcile(env, &namespace, &name),
            Kind::ReplicaSet => replicaset::reconcile(env, &namespace, &name),
            Kind::StatefulSet => statefulset::reconcile(env, &namespace, &name),
            Kind::DaemonSet => daemonset::reconcile(env, &namespace, &name),
            Kind::Job => job::reconcile(env, &namespace, &name),
            Kind::CronJob => cronjob::reconcile(env, &namespace, &name),
            Kind::Backup => velero::reconcile_backup(env, &namespace, &name),
            Kind::Schedule => velero::reconcile_schedule(env, &namespace, &name),
            Kind::Namespace => lifecycle::reconcile_namespace(env, &name),
            _ => {}
        });
    }

    fn on_timer(&mut self, timer: Timer, secs: f64) {
        match timer {
            Timer::PodStep(key, uid) => self.with_env(secs, |env| kubelet::step(env, &key, &uid)),
            Timer::Reconcile(kind, key) => {
                self.dirty.insert((kind, key));
            }
            Timer::Heartbeat => {
                self.with_env(secs, nodes::heartbeat);
                self.sched
                    .at(secs + nodes::HEARTBEAT_SECS, Timer::Heartbeat);
            }
            Timer::Churn => {
                if let Some(spec) = self.churn.clone() {
                    let next = self.with_env(secs, |env| churn::round(env, &spec));
                    self.sched.at(secs + next, Timer::Churn);
                }
            }
            Timer::Sweep => {
                self.with_env(secs, events::sweep);
                self.sched.at(secs + 60.0, Timer::Sweep);
            }
            Timer::Evict(node) => self.with_env(secs, |env| nodes::evict(env, &node)),
        }
    }

    fn on_fault(&mut self, edge: FaultEdge, secs: f64) {
        use super::scenario::FaultKind;
        let (fault, starting) = match edge {
            FaultEdge::Start(f) | FaultEdge::Repeat(f) => (f, true),
            FaultEdge::End(f) => (f, false),
        };
        match fault.spec.kind {
            FaultKind::DropWatches | FaultKind::ExpireResourceVersions if starting => {
                self.cluster.act_on_fault(fault.spec.kind);
            }
            FaultKind::NodeNotReady => {
                let node = fault.spec.node.clone().unwrap_or_default();
                self.with_env(secs, |env| nodes::set_down(env, &node, starting));
                if starting {
                    self.sched
                        .at(secs + nodes::EVICTION_SECS, Timer::Evict(node.into()));
                }
            }
            FaultKind::CrashLoop | FaultKind::OomKill if starting => {
                self.with_env(secs, |env| kubelet::fault_started(env, &fault));
            }
            _ => {}
        }
    }
}
