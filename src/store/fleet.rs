//! The fleet: every object every source reports, plus the indexes views need.
//!
//! Applying a [`SourceEvent`] is a pure function of the store and the event, so it is tested
//! without any I/O. Collections are `IndexMap`s: O(1) upsert/delete by identity and O(1)
//! access by position, which lets views keep sorted/filtered orders as plain `u32` indexes
//! instead of cloned rows (DESIGN.md §3). Positions change on delete (`swap_remove`), so every
//! collection carries a revision that views compare before reusing a cached order, and
//! stamps each position with the revision that last changed it, so a view can re-place just
//! the rows that changed since its order was built ([`Collection::changed_since`]).

use std::collections::{BTreeMap, HashMap};

use indexmap::IndexMap;

use super::access::Access;
use super::event::{ContextInfo, Scope, SourceEvent};
use super::usage::{Usage, UsageSample};
use crate::model::{
    Alert, AlertId, ContainerBackup, ContainerId, DockerContainer, Host, HostId, KubeEvent, KubeId,
    KubeKind, Node, Pod, ScheduleKey, SourceHealth, SourceKey, VeleroSchedule, Workload,
};

/// Identity of a node: (context, name).
pub type NodeKey = (String, String);
/// Identity of an event: (context, namespace, name).
pub type EventKey = (String, String, String);

/// What an upsert did.
enum Upserted<V> {
    Inserted,
    Replaced(V),
    Unchanged,
}

/// One keyed collection with a revision that changes whenever its contents do.
#[derive(Debug, Clone)]
pub struct Collection<K, V> {
    items: IndexMap<K, V>,
    revision: u64,
    /// For each position, parallel to `items`: the revision at which what is there last
    /// changed (replaced, inserted, or moved there by a removal). Eight bytes an item buy
    /// exact answers to "what changed since revision r" for any r, with no log to bound or
    /// overflow; the price is a linear scan of the stamps, microseconds for 50k items.
    stamps: Vec<u64>,
}

impl<K, V> Default for Collection<K, V> {
    fn default() -> Self {
        Collection {
            items: IndexMap::new(),
            revision: 0,
            stamps: Vec::new(),
        }
    }
}

impl<K: std::hash::Hash + Eq, V: PartialEq> Collection<K, V> {
    /// Insert or replace. An identical value changes nothing, so a resync that repeats what
    /// we have does not invalidate views.
    fn upsert(&mut self, key: K, value: V) -> Upserted<V> {
        match self.items.get_full_mut(&key) {
            Some((_, _, existing)) if *existing == value => Upserted::Unchanged,
            Some((at, _, existing)) => {
                let old = std::mem::replace(existing, value);
                self.changed_at(at);
                Upserted::Replaced(old)
            }
            None => {
                self.items.insert(key, value);
                self.changed_at(self.items.len() - 1);
                Upserted::Inserted
            }
        }
    }

    /// [`Collection::upsert`] for values that carry their key: the key is cloned out of the
    /// value only when the item is new. Most upserts replace an item, and a cloned key would
    /// be dropped straight away (three strings for a `KubeId`). Also returns the position.
    fn upsert_keyed(&mut self, value: V, key_of: impl Fn(&V) -> &K) -> (usize, Upserted<V>)
    where
        K: Clone,
    {
        match self.items.get_index_of(key_of(&value)) {
            Some(at) if self.items[at] == value => (at, Upserted::Unchanged),
            Some(at) => {
                let old = std::mem::replace(&mut self.items[at], value);
                self.changed_at(at);
                (at, Upserted::Replaced(old))
            }
            None => {
                let key = key_of(&value).clone();
                let at = self.items.insert_full(key, value).0;
                self.changed_at(at);
                (at, Upserted::Inserted)
            }
        }
    }

    /// Change an item in place; `change` says whether it changed anything, and only then is
    /// the position stamped. Cheaper than an upsert for a field or two of a big item.
    fn modify(&mut self, key: &K, change: impl FnOnce(&mut V) -> bool) -> bool {
        let Some(at) = self.items.get_index_of(key) else {
            return false;
        };
        let changed = change(&mut self.items[at]);
        if changed {
            self.changed_at(at);
        }
        changed
    }

    fn remove(&mut self, key: &K) -> Option<V> {
        let (at, _, removed) = self.items.swap_remove_full(key)?;
        // The last item moved into the hole, if the hole was not last.
        self.stamps.swap_remove(at);
        self.revision += 1;
        if let Some(stamp) = self.stamps.get_mut(at) {
            *stamp = self.revision;
        }
        Some(removed)
    }

    fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) -> Vec<V>
    where
        K: Clone,
    {
        let doomed: Vec<K> = self
            .items
            .iter()
            .filter(|(k, v)| !keep(k, v))
            .map(|(k, _)| k.clone())
            .collect();
        doomed.iter().filter_map(|k| self.remove(k)).collect()
    }
}

impl<K, V> Collection<K, V> {
    /// A new revision, stamped on position `at` (which may be one past the old end).
    fn changed_at(&mut self, at: usize) {
        self.revision += 1;
        if at == self.stamps.len() {
            self.stamps.push(self.revision);
        } else {
            self.stamps[at] = self.revision;
        }
    }
}

impl<K: std::hash::Hash + Eq, V> Collection<K, V> {
    pub fn get(&self, key: &K) -> Option<&V> {
        self.items.get(key)
    }

    pub fn get_index(&self, index: usize) -> Option<&V> {
        self.items.get_index(index).map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.items.values()
    }

    /// Changes whenever an item is added, replaced or removed.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The positions, ascending, whose item changed after `revision` (an earlier value of
    /// [`Collection::revision`]): replaced, inserted, or moved there when another was
    /// removed. Every other position below [`Collection::len`] holds the same item, unchanged;
    /// positions at or past it are gone. `None` when `revision` is not one this collection
    /// has had yet.
    pub fn changed_since(&self, revision: u64) -> Option<Vec<u32>> {
        if revision > self.revision {
            return None;
        }
        Some(
            self.stamps
                .iter()
                .enumerate()
                .filter(|(_, stamp)| **stamp > revision)
                .map(|(at, _)| at as u32)
                .collect(),
        )
    }
}

/// Everything pilothouse knows about the estate.
#[derive(Debug, Default)]
pub struct Fleet {
    pub contexts: BTreeMap<String, ContextInfo>,
    pub sources: BTreeMap<SourceKey, SourceHealth>,
    pub workloads: Collection<KubeId, Workload>,
    pub pods: Collection<KubeId, Pod>,
    pub nodes: Collection<NodeKey, Node>,
    pub events: Collection<EventKey, KubeEvent>,
    /// Velero Schedules, from the contexts that serve `velero.io`.
    pub schedules: Collection<ScheduleKey, VeleroSchedule>,
    /// The config's container backup targets, keyed by their `[[backup]]` name.
    pub container_backups: Collection<String, ContainerBackup>,
    pub containers: Collection<ContainerId, DockerContainer>,
    pub hosts: Collection<HostId, Host>,
    pub alerts: Collection<AlertId, Alert>,
    /// What each context lets the user read and do.
    pub access: Access,
    /// CPU/memory samples of pods and nodes, with history.
    pub usage: Usage,
    /// Every context the kubeconfig names (connected or not), for `:ctx` completion.
    pub available_contexts: Vec<String>,
    /// The namespaces of each context, sorted.
    pub namespaces: BTreeMap<String, Vec<String>>,
    /// Whether each context serves `metrics.k8s.io`; absent until the first sampling says.
    pub metrics_api: BTreeMap<String, bool>,
    /// Pods scheduled per node, kept as pods come and go so the nodes view never scans pods.
    pods_per_node: HashMap<NodeKey, u32>,
}

impl Fleet {
    pub fn new() -> Self {
        Fleet::default()
    }

    /// Apply one event. Log events are not the fleet's business and are ignored here.
    pub fn apply(&mut self, event: SourceEvent) {
        match event {
            SourceEvent::Health { source, health } => {
                self.sources.insert(source, health);
            }
            SourceEvent::Context(info) => {
                self.contexts.insert(info.name.clone(), info);
            }
            SourceEvent::UpsertWorkload(w) => {
                self.workloads.upsert(w.id.clone(), w);
            }
            SourceEvent::DeleteWorkload(id) => {
                self.workloads.remove(&id);
            }
            SourceEvent::UpsertPod(pod) => {
                let (at, upserted) = self.pods.upsert_keyed(pod, |p| &p.id);
                match upserted {
                    Upserted::Inserted => {
                        let key = self.pods.get_index(at).and_then(node_key);
                        self.index_node(key);
                    }
                    Upserted::Replaced(old) => {
                        // Most updates leave a pod where it was: then the index is right.
                        let new = self.pods.get_index(at);
                        if new.is_some_and(|p| p.node != old.node) {
                            let key = new.and_then(node_key);
                            self.unindex_pod(&old);
                            self.index_node(key);
                        }
                    }
                    Upserted::Unchanged => {}
                }
            }
            SourceEvent::DeletePod(id) => {
                if let Some(old) = self.pods.remove(&id) {
                    self.unindex_pod(&old);
                }
            }
            SourceEvent::UpsertNode(node) => {
                self.nodes
                    .upsert((node.context.clone(), node.name.clone()), node);
            }
            SourceEvent::DeleteNode { context, name } => {
                self.nodes.remove(&(context, name));
            }
            SourceEvent::UpsertEvent(ev) => {
                let key = (ev.context.clone(), ev.namespace.clone(), ev.name.clone());
                self.events.upsert(key, ev);
            }
            SourceEvent::DeleteEvent {
                context,
                namespace,
                name,
            } => {
                self.events.remove(&(context, namespace, name));
            }
            SourceEvent::UpsertSchedule(schedule) => {
                self.schedules.upsert(schedule.key(), schedule);
            }
            SourceEvent::DeleteSchedule {
                context,
                namespace,
                name,
            } => {
                self.schedules.remove(&(context, namespace, name));
            }
            SourceEvent::ContainerBackups(targets) => {
                let names: std::collections::HashSet<String> =
                    targets.iter().map(|t| t.name.clone()).collect();
                self.container_backups
                    .retain(|name, _| names.contains(name));
                for target in targets {
                    self.container_backups.upsert(target.name.clone(), target);
                }
            }
            SourceEvent::UpsertContainer(c) => {
                self.containers.upsert(c.id.clone(), c);
            }
            SourceEvent::DeleteContainer(id) => {
                self.containers.remove(&id);
            }
            SourceEvent::HostSample { id, sample } => {
                let mut host = self
                    .hosts
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| Host::new(id.clone()));
                host.record(sample);
                self.hosts.upsert(id, host);
            }
            SourceEvent::DeleteHost(id) => {
                self.hosts.remove(&id);
            }
            SourceEvent::UpsertAlert(alert) => {
                self.alerts.upsert(alert.id.clone(), alert);
            }
            SourceEvent::DeleteAlert(id) => {
                self.alerts.remove(&id);
            }
            SourceEvent::Clear(scope) => self.clear(&scope),
            SourceEvent::Batch(events) => {
                for e in events {
                    self.apply(e);
                }
            }
            SourceEvent::Log(_) | SourceEvent::LogDropped { .. } => {}
            SourceEvent::Readable {
                context,
                resource,
                readable,
            } => self.access.set_readable(&context, &resource, readable),
            SourceEvent::Grants { context, grants } => {
                for grant in grants {
                    self.access.record(&context, grant);
                }
            }
            SourceEvent::MetricsApi { context, available } => {
                self.metrics_api.insert(context, available);
            }
            SourceEvent::Usage {
                context,
                pods,
                nodes,
            } => {
                self.apply_usage(&context, &pods, &nodes);
                self.usage.record(&context, &pods, &nodes);
            }
            SourceEvent::Namespaces { context, mut names } => {
                names.sort();
                self.namespaces.insert(context, names);
            }
            SourceEvent::ForgetContext { context } => self.forget_context(&context),
        }
    }

    /// Copy a sampling round's latest figures onto the pods and nodes, in place, so tables
    /// sort and show them like any other column.
    fn apply_usage(&mut self, context: &str, pods: &[UsageSample], nodes: &[UsageSample]) {
        let mut id = KubeId::new(context, "", KubeKind::Pod, "");
        for s in pods {
            id.namespace.clone_from(&s.namespace);
            id.name.clone_from(&s.name);
            self.pods.modify(&id, |p| {
                let new = (Some(s.cpu_millis), Some(s.memory_bytes));
                let changed = (p.cpu_millis, p.memory_bytes) != new;
                (p.cpu_millis, p.memory_bytes) = new;
                changed
            });
        }
        for s in nodes {
            let key = (context.to_string(), s.name.clone());
            self.nodes.modify(&key, |n| {
                let new = (Some(s.cpu_millis), Some(s.memory_bytes));
                let changed = (n.cpu_used_millis, n.memory_used_bytes) != new;
                (n.cpu_used_millis, n.memory_used_bytes) = new;
                changed
            });
        }
    }

    /// Drop every object, answer and sample of a context that is no longer connected.
    fn forget_context(&mut self, context: &str) {
        for kind in KubeKind::WORKLOADS
            .into_iter()
            .chain([KubeKind::Pod, KubeKind::Node])
        {
            self.clear(&Scope::Kube {
                context: context.to_string(),
                kind,
            });
        }
        self.clear(&Scope::KubeEvents {
            context: context.to_string(),
        });
        self.clear(&Scope::VeleroSchedules {
            context: context.to_string(),
        });
        self.access.forget(context);
        self.usage.forget(context);
        self.metrics_api.remove(context);
        self.namespaces.remove(context);
        self.contexts.remove(context);
        self.sources.retain(|key, _| {
            !(key.kind == crate::model::SourceKind::Kubernetes && key.name == context)
        });
    }

    fn clear(&mut self, scope: &Scope) {
        match scope {
            Scope::Kube { context, kind } => match kind {
                KubeKind::Pod => {
                    for pod in self.pods.retain(|id, _| &id.context != context) {
                        self.unindex_pod(&pod);
                    }
                }
                KubeKind::Node => {
                    self.nodes.retain(|(ctx, _), _| ctx != context);
                }
                kind => {
                    self.workloads
                        .retain(|id, _| !(&id.context == context && id.kind == *kind));
                }
            },
            Scope::KubeEvents { context } => {
                self.events.retain(|(ctx, _, _), _| ctx != context);
            }
            Scope::VeleroSchedules { context } => {
                self.schedules.retain(|(ctx, _, _), _| ctx != context);
            }
            Scope::DockerHost { host } => {
                self.containers.retain(|id, _| &id.host != host);
            }
            Scope::Alerts { source } => {
                self.alerts.retain(|id, _| &id.source != source);
            }
            Scope::Hosts { source } => {
                self.hosts.retain(|id, _| &id.source != source);
            }
        }
    }

    fn index_node(&mut self, key: Option<NodeKey>) {
        if let Some(key) = key {
            *self.pods_per_node.entry(key).or_default() += 1;
        }
    }

    fn unindex_pod(&mut self, pod: &Pod) {
        if let Some(key) = node_key(pod)
            && let Some(count) = self.pods_per_node.get_mut(&key)
        {
            *count = count.saturating_sub(1);
        }
    }

    /// How many pods the store has scheduled on a node.
    pub fn pod_count_on(&self, context: &str, node: &str) -> u32 {
        self.pods_per_node
            .get(&(context.to_string(), node.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// The pods a workload selects (same context and namespace, labels match its selector).
    pub fn pods_of<'a>(&'a self, workload: &'a Workload) -> impl Iterator<Item = &'a Pod> + 'a {
        self.pods.values().filter(move |p| {
            p.id.context == workload.id.context
                && p.id.namespace == workload.id.namespace
                && !workload.selector.is_empty()
                && workload
                    .selector
                    .iter()
                    .all(|(k, v)| p.labels.get(k) == Some(v.as_str()))
        })
    }

    /// Firing alerts (not silenced or inhibited).
    pub fn firing_alerts(&self) -> impl Iterator<Item = &Alert> {
        self.alerts
            .values()
            .filter(|a| a.state == crate::model::AlertState::Firing)
    }
}

fn node_key(pod: &Pod) -> Option<NodeKey> {
    pod.node
        .as_ref()
        .map(|n| (pod.id.context.clone(), n.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        AlertState, ContainerState, HostSample, PodContainer, PodPhase, SourceKind,
    };

    fn pod(ctx: &str, ns: &str, name: &str, node: Option<&str>) -> Pod {
        Pod {
            id: KubeId::new(ctx, ns, KubeKind::Pod, name),
            created: None,
            labels: [("app".to_string(), "api".to_string())].into(),
            phase: PodPhase::Running,
            node: node.map(String::from),
            ip: None,
            owner: None,
            containers: vec![PodContainer {
                name: "main".into(),
                image: "api:1".into(),
                ready: true,
                restarts: 0,
                state: ContainerState::Running { since: None },
                last_termination: None,
            }],
            deleting: false,
            cpu_millis: None,
            memory_bytes: None,
        }
    }

    fn deployment(ctx: &str, ns: &str, name: &str) -> Workload {
        Workload {
            id: KubeId::new(ctx, ns, KubeKind::Deployment, name),
            created: None,
            labels: BTreeMap::new(),
            selector: [("app".to_string(), "api".to_string())].into(),
            images: vec![],
            desired: 2,
            ready: 2,
            updated: 2,
            available: 2,
            paused: false,
            generation: 1,
            observed_generation: 1,
            revision: Some(1),
            conditions: vec![],
            cron: None,
            job: None,
            owner: None,
        }
    }

    #[test]
    fn upsert_then_delete_leaves_nothing_and_bumps_revision() {
        let mut fleet = Fleet::new();
        fleet.apply(SourceEvent::UpsertPod(pod(
            "c",
            "shop",
            "api-1",
            Some("n1"),
        )));
        assert_eq!(fleet.pods.len(), 1);
        let rev = fleet.pods.revision();
        fleet.apply(SourceEvent::DeletePod(KubeId::new(
            "c",
            "shop",
            KubeKind::Pod,
            "api-1",
        )));
        assert!(fleet.pods.is_empty());
        assert!(fleet.pods.revision() > rev);
    }

    #[test]
    fn identical_upsert_does_not_change_revision() {
        let mut fleet = Fleet::new();
        fleet.apply(SourceEvent::UpsertPod(pod(
            "c",
            "shop",
            "api-1",
            Some("n1"),
        )));
        let rev = fleet.pods.revision();
        fleet.apply(SourceEvent::UpsertPod(pod(
            "c",
            "shop",
            "api-1",
            Some("n1"),
        )));
        assert_eq!(fleet.pods.revision(), rev);
        assert_eq!(
            fleet.pod_count_on("c", "n1"),
            1,
            "an unchanged upsert must not double count"
        );
    }

    #[test]
    fn changed_since_names_replaced_inserted_and_moved_positions() {
        let mut fleet = Fleet::new();
        for name in ["a", "b", "c", "d"] {
            fleet.apply(SourceEvent::UpsertPod(pod("c", "shop", name, None)));
        }
        let start = fleet.pods.revision();
        assert_eq!(fleet.pods.changed_since(start), Some(vec![]));
        assert_eq!(fleet.pods.changed_since(start + 1), None);
        // "b" changes in place; "a" is removed and "d" (last) moves into its place.
        fleet.apply(SourceEvent::UpsertPod(pod("c", "shop", "b", Some("n1"))));
        let after_b = fleet.pods.revision();
        fleet.apply(SourceEvent::DeletePod(KubeId::new(
            "c",
            "shop",
            KubeKind::Pod,
            "a",
        )));
        assert_eq!(fleet.pods.changed_since(start), Some(vec![0, 1]));
        assert_eq!(fleet.pods.changed_since(after_b), Some(vec![0]));
        assert_eq!(
            fleet.pods.get_index(0).map(|p| p.id.name.as_str()),
            Some("d")
        );
        // Removing the last item changes no position that remains; a new one takes its place.
        let before = fleet.pods.revision();
        fleet.apply(SourceEvent::DeletePod(KubeId::new(
            "c",
            "shop",
            KubeKind::Pod,
            "c",
        )));
        assert_eq!(fleet.pods.changed_since(before), Some(vec![]));
        assert_eq!(fleet.pods.len(), 2);
        fleet.apply(SourceEvent::UpsertPod(pod("c", "shop", "e", None)));
        assert_eq!(fleet.pods.changed_since(before), Some(vec![2]));
        // An identical upsert changes nothing.
        let now = fleet.pods.revision();
        fleet.apply(SourceEvent::UpsertPod(pod("c", "shop", "e", None)));
        assert_eq!(fleet.pods.changed_since(now), Some(vec![]));
    }

    #[test]
    fn same_name_in_two_contexts_are_two_pods() {
        let mut fleet = Fleet::new();
        fleet.apply(SourceEvent::UpsertPod(pod(
            "staging", "shop", "api-1", None,
        )));
        fleet.apply(SourceEvent::UpsertPod(pod("prod", "shop", "api-1", None)));
        assert_eq!(fleet.pods.len(), 2);
    }

    #[test]
    fn pods_per_node_follows_moves_and_deletes() {
        let mut fleet = Fleet::new();
        fleet.apply(SourceEvent::UpsertPod(pod("c", "shop", "a", Some("n1"))));
        fleet.apply(SourceEvent::UpsertPod(pod("c", "shop", "b", Some("n1"))));
        assert_eq!(fleet.pod_count_on("c", "n1"), 2);
        // "a" is rescheduled onto n2.
        fleet.apply(SourceEvent::UpsertPod(pod("c", "shop", "a", Some("n2"))));
        assert_eq!(fleet.pod_count_on("c", "n1"), 1);
        assert_eq!(fleet.pod_count_on("c", "n2"), 1);
        fleet.apply(SourceEvent::DeletePod(KubeId::new(
            "c",
            "shop",
            KubeKind::Pod,
            "b",
        )));
        assert_eq!(fleet.pod_count_on("c", "n1"), 0);
        fleet.apply(SourceEvent::Clear(Scope::Kube {
            context: "c".into(),
            kind: KubeKind::Pod,
        }));
        assert_eq!(fleet.pod_count_on("c", "n2"), 0);
    }

    #[test]
    fn clear_only_touches_its_scope() {
        let mut fleet = Fleet::new();
        fleet.apply(SourceEvent::Batch(vec![
            SourceEvent::UpsertPod(pod("a", "shop", "p", None)),
            SourceEvent::UpsertPod(pod("b", "shop", "p", None)),
            SourceEvent::UpsertWorkload(deployment("a", "shop", "api")),
        ]));
        fleet.apply(SourceEvent::Clear(Scope::Kube {
            context: "a".into(),
            kind: KubeKind::Pod,
        }));
        assert_eq!(fleet.pods.len(), 1);
        assert_eq!(
            fleet.pods.values().next().map(|p| p.id.context.as_str()),
            Some("b")
        );
        assert_eq!(fleet.workloads.len(), 1, "clearing pods keeps deployments");
    }

    #[test]
    fn velero_schedules_go_with_their_context() {
        let schedule = |ctx: &str| crate::model::VeleroSchedule {
            context: ctx.into(),
            namespace: "velero".into(),
            name: "daily-full".into(),
            schedule: "0 1 * * *".into(),
            paused: false,
            ttl: None,
            last_backup: None,
            phase: "Enabled".into(),
        };
        let mut fleet = Fleet::new();
        fleet.apply(SourceEvent::UpsertSchedule(schedule("a")));
        fleet.apply(SourceEvent::UpsertSchedule(schedule("b")));
        assert_eq!(fleet.schedules.len(), 2);
        fleet.apply(SourceEvent::ForgetContext {
            context: "a".into(),
        });
        assert_eq!(fleet.schedules.len(), 1);
        fleet.apply(SourceEvent::DeleteSchedule {
            context: "b".into(),
            namespace: "velero".into(),
            name: "daily-full".into(),
        });
        assert!(fleet.schedules.is_empty());
    }

    #[test]
    fn workload_selects_its_pods_by_labels_in_its_namespace() {
        let mut fleet = Fleet::new();
        fleet.apply(SourceEvent::UpsertPod(pod("c", "shop", "api-1", None)));
        fleet.apply(SourceEvent::UpsertPod(pod("c", "payments", "api-1", None)));
        let mut other = pod("c", "shop", "worker-1", None);
        other.labels = [("app".to_string(), "worker".to_string())].into();
        fleet.apply(SourceEvent::UpsertPod(other));
        let deploy = deployment("c", "shop", "api");
        let names: Vec<_> = fleet.pods_of(&deploy).map(|p| p.id.name.as_str()).collect();
        assert_eq!(names, vec!["api-1"]);
    }

    #[test]
    fn host_samples_accumulate_bounded_history() {
        let mut fleet = Fleet::new();
        let id = HostId {
            source: "local".into(),
            name: "box".into(),
        };
        for i in 0..(crate::model::host::HOST_HISTORY + 10) {
            fleet.apply(SourceEvent::HostSample {
                id: id.clone(),
                sample: HostSample {
                    cpu_percent: i as f64,
                    ..HostSample::default()
                },
            });
        }
        let host = fleet.hosts.get(&id).expect("host recorded");
        assert_eq!(host.cpu_history.len(), crate::model::host::HOST_HISTORY);
        assert_eq!(
            host.cpu_history.back().copied(),
            Some((crate::model::host::HOST_HISTORY + 9) as f64)
        );
    }

    #[test]
    fn source_health_and_firing_alerts() {
        let mut fleet = Fleet::new();
        let key = SourceKey::new(SourceKind::Docker, "local");
        fleet.apply(SourceEvent::Health {
            source: key.clone(),
            health: SourceHealth::Unavailable {
                error: "no socket".into(),
            },
        });
        assert_eq!(
            fleet.sources.get(&key).map(|h| h.label()),
            Some("unavailable")
        );
        let alert = |fp: &str, state| Alert {
            id: AlertId {
                source: "am".into(),
                fingerprint: fp.into(),
            },
            labels: [("alertname".to_string(), "HighCPUUsage".to_string())].into(),
            annotations: BTreeMap::new(),
            state,
            starts_at: None,
            silenced_by: vec![],
        };
        fleet.apply(SourceEvent::UpsertAlert(alert("1", AlertState::Firing)));
        fleet.apply(SourceEvent::UpsertAlert(alert("2", AlertState::Silenced)));
        assert_eq!(fleet.firing_alerts().count(), 1);
        fleet.apply(SourceEvent::DeleteAlert(AlertId {
            source: "am".into(),
            fingerprint: "1".into(),
        }));
        assert_eq!(fleet.firing_alerts().count(), 0);
    }
}
