//! The object store of one simulated cluster: objects per kind, one resourceVersion counter
//! (as etcd's revision), a bounded history per kind for watches that resume, and a
//! broadcast channel per kind that fans each change out to every watcher.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use tokio::sync::{Notify, broadcast};

use super::object::{StoredObject, make_key};
use super::resources::Kind;
use super::status::ApiError;
use super::types::{SimObject, facts};
use crate::sim::clock::SimClock;
use crate::sim::common::seeded::Rng;

/// What happened to an object, as a watch reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change, shared by every watcher and the history.
#[derive(Debug)]
pub struct WatchEvent {
    pub kind: EventType,
    pub object: Arc<StoredObject>,
    /// The version before a MODIFIED, so a filtered watch can tell an object that stopped
    /// (or started) matching its selector: it sends DELETED (or ADDED), as a real server.
    pub previous: Option<Arc<StoredObject>>,
}

/// A change the controllers look at on their next pass.
#[derive(Debug, Clone)]
pub struct Change {
    pub kind: Kind,
    pub event: EventType,
    pub object: Arc<StoredObject>,
}

/// The objects of one kind.
struct Table {
    objects: BTreeMap<Box<str>, Arc<StoredObject>>,
    /// Controller uid → keys of the objects it controls.
    owned: HashMap<Box<str>, BTreeSet<Box<str>>>,
    history: VecDeque<Arc<WatchEvent>>,
    history_cap: usize,
    /// A watch may resume from any resourceVersion ≥ this: every later event is in history.
    floor: u64,
    sender: broadcast::Sender<Arc<WatchEvent>>,
}

impl Table {
    fn new(kind: Kind) -> Table {
        // Pods change most; their history and channel are sized for the `big` scenario's
        // 100 changes/s so a watcher may fall a few minutes behind before it must relist.
        let (history_cap, channel_cap) = match kind {
            Kind::Pod => (30_000, 16_384),
            Kind::Event | Kind::Lease => (5_000, 8_192),
            // Few and slow-changing; small, so clusters without Velero pay next to nothing.
            Kind::Backup | Kind::Schedule => (500, 256),
            _ => (2_000, 4_096),
        };
        Table {
            objects: BTreeMap::new(),
            owned: HashMap::new(),
            history: VecDeque::new(),
            history_cap,
            floor: 0,
            sender: broadcast::channel(channel_cap).0,
        }
    }
}

/// Where a watch starts.
pub struct WatchStart {
    /// Events to send before the live ones: the synthetic ADDED list, or history.
    pub initial: Vec<Arc<WatchEvent>>,
    pub receiver: broadcast::Receiver<Arc<WatchEvent>>,
    /// The store's resourceVersion when the watch started.
    pub resource_version: u64,
}

/// The store of one cluster. Callers hold it behind a mutex; every method is short.
pub struct Store {
    resource_version: u64,
    tables: Vec<Table>,
    changes: Vec<Change>,
    wake: Arc<Notify>,
    clock: SimClock,
    rng: Rng,
    /// Unfinished pods bound to each node: what the scheduler balances on. Kept as pods
    /// are written, because counting 50,000 pods for each pod scheduled held the store
    /// (and every list page and watch waiting on it) for milliseconds each time.
    pods_on_node: HashMap<Box<str>, usize>,
}

/// The node a pod counts towards: bound and not finished.
fn counted_node(pod: &StoredObject) -> Option<&str> {
    pod.summary
        .node
        .as_deref()
        .filter(|_| !pod.summary.phase.finished())
}

impl Store {
    pub fn new(clock: SimClock, seed: u64) -> Store {
        Store {
            resource_version: 1,
            tables: Kind::STORED.iter().map(|k| Table::new(*k)).collect(),
            changes: Vec::new(),
            wake: Arc::new(Notify::new()),
            clock,
            rng: Rng::new(seed ^ 0x5707_e000),
            pods_on_node: HashMap::new(),
        }
    }

    fn table(&self, kind: Kind) -> &Table {
        &self.tables[kind.index()]
    }

    fn table_mut(&mut self, kind: Kind) -> &mut Table {
        &mut self.tables[kind.index()]
    }

    pub fn resource_version(&self) -> u64 {
        self.resource_version
    }

    pub fn clock(&self) -> &SimClock {
        &self.clock
    }

    /// Notified whenever a change is recorded, so controllers wake early.
    pub fn wake_handle(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// The changes since the last call, oldest first.
    pub fn take_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.changes)
    }

    pub fn new_uid(&mut self) -> String {
        self.rng.uuid()
    }

    /// The store's own random stream (generated names).
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    pub fn get(&self, kind: Kind, namespace: &str, name: &str) -> Option<Arc<StoredObject>> {
        self.table(kind)
            .objects
            .get(&*make_key(namespace, name))
            .cloned()
    }

    pub fn get_typed<T: SimObject>(&self, namespace: &str, name: &str) -> Option<T> {
        self.get(T::SIM_KIND, namespace, name)
            .and_then(|o| o.parse().ok())
    }

    /// Objects of `kind`, in key order, in `namespace` or everywhere, from `after` on.
    pub fn list<'a>(
        &'a self,
        kind: Kind,
        namespace: Option<&'a str>,
        after: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Arc<StoredObject>> + 'a {
        use std::ops::Bound;
        let objects = &self.table(kind).objects;
        let prefix = namespace.map(|ns| format!("{ns}/"));
        let start: Bound<Box<str>> = match (after, &prefix) {
            (Some(after), _) => Bound::Excluded(after.into()),
            (None, Some(prefix)) => Bound::Included(prefix.as_str().into()),
            (None, None) => Bound::Unbounded,
        };
        objects
            .range((start, Bound::Unbounded))
            .map(|(_, v)| v)
            .take_while(move |o| match &prefix {
                Some(p) => o.key.starts_with(p.as_str()),
                None => true,
            })
    }

    /// Unfinished pods bound to `node`.
    pub fn pods_on_node(&self, node: &str) -> usize {
        self.pods_on_node.get(node).copied().unwrap_or(0)
    }

    /// Move a pod's count from the node it was on to the node it is on now.
    fn count_pod(&mut self, before: Option<&StoredObject>, after: Option<&StoredObject>) {
        let (was, is) = (before.and_then(counted_node), after.and_then(counted_node));
        if was == is {
            return;
        }
        if let Some(node) = was
            && let Some(count) = self.pods_on_node.get_mut(node)
        {
            *count -= 1;
            if *count == 0 {
                self.pods_on_node.remove(node);
            }
        }
        if let Some(node) = is {
            *self.pods_on_node.entry(node.into()).or_default() += 1;
        }
    }

    pub fn count(&self, kind: Kind) -> usize {
        self.table(kind).objects.len()
    }

    /// The objects of `kind` whose controlling owner has `uid`.
    pub fn owned_by(&self, kind: Kind, uid: &str) -> Vec<Arc<StoredObject>> {
        let table = self.table(kind);
        table
            .owned
            .get(uid)
            .into_iter()
            .flatten()
            .filter_map(|key| table.objects.get(key).cloned())
            .collect()
    }

    /// Every object of any kind whose controlling owner has `uid` (for garbage collection).
    pub fn dependents(&self, uid: &str) -> Vec<(Kind, Arc<StoredObject>)> {
        Kind::STORED
            .iter()
            .flat_map(|k| self.owned_by(*k, uid).into_iter().map(move |o| (*k, o)))
            .collect()
    }

    /// Add a new object. Fills uid, creationTimestamp, generation and resourceVersion.
    pub fn create<T: SimObject>(&mut self, mut object: T) -> Result<T, ApiError> {
        let resource = T::SIM_KIND.resource();
        let meta = object.metadata_mut();
        let name = meta.name.clone().unwrap_or_default();
        let namespace = meta.namespace.clone().unwrap_or_default();
        if self.get(T::SIM_KIND, &namespace, &name).is_some() {
            return Err(ApiError::already_exists(resource, &name));
        }
        let uid = self.rng.uuid();
        let now = self.clock.now();
        let meta = object.metadata_mut();
        // A uid set by the caller was allocated with `new_uid` (a Job's selector names it
        // before it is stored); clients' uids are cleared before they get here.
        if meta.uid.is_none() {
            meta.uid = Some(uid);
        }
        if meta.creation_timestamp.is_none() {
            meta.creation_timestamp = Some(Time(now));
        }
        if has_generation(T::SIM_KIND) {
            meta.generation = Some(1);
        }
        meta.resource_version = None;
        meta.managed_fields = None;
        self.commit(EventType::Added, object)
    }

    /// Replace an existing object. When the given object carries a resourceVersion it must
    /// match the stored one (optimistic concurrency), as on a real API server.
    pub fn update<T: SimObject>(&mut self, mut object: T) -> Result<T, ApiError> {
        let resource = T::SIM_KIND.resource();
        let meta = object.metadata();
        let name = meta.name.clone().unwrap_or_default();
        let namespace = meta.namespace.clone().unwrap_or_default();
        let Some(current) = self.get(T::SIM_KIND, &namespace, &name) else {
            return Err(ApiError::not_found(resource, &name));
        };
        if let Some(rv) = meta.resource_version.as_deref()
            && rv != current.resource_version.to_string()
        {
            return Err(ApiError::conflict(resource, &name));
        }
        let old: T = current
            .parse()
            .map_err(|e| ApiError::internal(format!("stored object unreadable: {e}")))?;
        let old_meta = old.metadata();
        let meta = object.metadata_mut();
        // Identity and server-owned fields stay as they were.
        meta.uid = old_meta.uid.clone();
        meta.creation_timestamp = old_meta.creation_timestamp.clone();
        meta.deletion_timestamp = meta
            .deletion_timestamp
            .clone()
            .or(old_meta.deletion_timestamp.clone());
        meta.managed_fields = None;
        meta.generation = old_meta.generation;
        if has_generation(T::SIM_KIND) && spec_of(&old) != spec_of(&object) {
            object.metadata_mut().generation = Some(old_meta.generation.unwrap_or(0) + 1);
        }
        self.commit(EventType::Modified, object)
    }

    /// Remove an object now. Its DELETED event carries the deletion's resourceVersion.
    pub fn delete(&mut self, kind: Kind, namespace: &str, name: &str) -> Option<Arc<StoredObject>> {
        let key = make_key(namespace, name);
        let removed = self.table_mut(kind).objects.remove(&key)?;
        if let Some(owner) = removed.controller_uid() {
            let table = self.table_mut(kind);
            if let Some(keys) = table.owned.get_mut(owner) {
                keys.remove(&key);
                if keys.is_empty() {
                    table.owned.remove(owner);
                }
            }
        }
        self.resource_version += 1;
        let rv = self.resource_version;
        let json = with_resource_version(&removed.json, rv);
        let facts = super::object::Facts {
            uid: removed.uid.clone(),
            labels: removed.labels.to_vec(),
            controller: removed.controller.clone(),
            summary: removed.summary.clone(),
        };
        let gone = Arc::new(StoredObject::new(namespace, name, rv, facts, json));
        self.record(kind, EventType::Deleted, gone.clone(), None);
        Some(gone)
    }

    /// Forget all history: every watch or continue token from before now gets 410 Gone.
    pub fn compact(&mut self) {
        // Past the current version too, so a version handed out just now is stale as well.
        self.resource_version += 1;
        let rv = self.resource_version;
        for table in &mut self.tables {
            table.history.clear();
            table.floor = rv;
        }
    }

    /// The oldest resourceVersion a watch of `kind` may resume from.
    pub fn floor(&self, kind: Kind) -> u64 {
        self.table(kind).floor
    }

    /// Start a watch of `kind`: from `resource_version` (events after it, from history), or
    /// with `None` from a synthetic ADDED event per current object.
    pub fn watch(&self, kind: Kind, resource_version: Option<u64>) -> Result<WatchStart, ApiError> {
        let table = self.table(kind);
        let initial = match resource_version {
            None => table
                .objects
                .values()
                .map(|o| {
                    Arc::new(WatchEvent {
                        kind: EventType::Added,
                        object: o.clone(),
                        previous: None,
                    })
                })
                .collect(),
            Some(rv) if rv < table.floor => {
                return Err(ApiError::expired(format!(
                    "too old resource version: {rv} ({})",
                    table.floor
                )));
            }
            Some(rv) => {
                // History is in resourceVersion order; skip what the client has seen.
                let start = table
                    .history
                    .partition_point(|e| e.object.resource_version <= rv);
                table.history.range(start..).cloned().collect()
            }
        };
        Ok(WatchStart {
            initial,
            receiver: table.sender.subscribe(),
            resource_version: self.resource_version,
        })
    }

    fn commit<T: SimObject>(&mut self, event: EventType, mut object: T) -> Result<T, ApiError> {
        self.resource_version += 1;
        let rv = self.resource_version;
        object.metadata_mut().resource_version = Some(rv.to_string());
        let json = serde_json::to_vec(&object)
            .map_err(|e| ApiError::internal(format!("cannot encode object: {e}")))?;
        let meta = object.metadata();
        let namespace = meta.namespace.as_deref().unwrap_or_default();
        let name = meta.name.as_deref().unwrap_or_default();
        let stored = Arc::new(StoredObject::new(
            namespace,
            name,
            rv,
            facts(&object),
            Bytes::from(json),
        ));
        let table = self.table_mut(T::SIM_KIND);
        let previous = table.objects.insert(stored.key.clone(), stored.clone());
        if let Some(old) = &previous
            && let Some(owner) = old.controller_uid()
            && let Some(keys) = table.owned.get_mut(owner)
        {
            keys.remove(&old.key);
            if keys.is_empty() {
                table.owned.remove(owner);
            }
        }
        if let Some(owner) = stored.controller_uid() {
            table
                .owned
                .entry(owner.into())
                .or_default()
                .insert(stored.key.clone());
        }
        self.record(T::SIM_KIND, event, stored, previous);
        Ok(object)
    }

    fn record(
        &mut self,
        kind: Kind,
        event: EventType,
        object: Arc<StoredObject>,
        previous: Option<Arc<StoredObject>>,
    ) {
        if kind == Kind::Pod {
            let (before, after) = match event {
                EventType::Deleted => (Some(&*object), None),
                _ => (previous.as_deref(), Some(&*object)),
            };
            self.count_pod(before, after);
        }
        let watch_event = Arc::new(WatchEvent {
            kind: event,
            object: object.clone(),
            previous,
        });
        let table = self.table_mut(kind);
        if table.history.len() >= table.history_cap
            && let Some(dropped) = table.history.pop_front()
        {
            table.floor = dropped.object.resource_version;
        }
        table.history.push_back(watch_event.clone());
        // An error only means nobody is watching.
        let _ = table.sender.send(watch_event);
        self.changes.push(Change {
            kind,
            event,
            object,
        });
        self.wake.notify_one();
    }
}

/// Kinds whose `metadata.generation` counts spec changes.
fn has_generation(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Deployment
            | Kind::ReplicaSet
            | Kind::StatefulSet
            | Kind::DaemonSet
            | Kind::Job
            | Kind::CronJob
            | Kind::Backup
            | Kind::Schedule
    )
}

/// The `spec` of an object as JSON, to tell a spec change from a status change.
fn spec_of<T: SimObject>(object: &T) -> serde_json::Value {
    serde_json::to_value(object)
        .ok()
        .and_then(|mut v| v.get_mut("spec").map(serde_json::Value::take))
        .unwrap_or_default()
}

/// The stored JSON with `metadata.resourceVersion` replaced.
fn with_resource_version(json: &Bytes, rv: u64) -> Bytes {
    match serde_json::from_slice::<serde_json::Value>(json) {
        Ok(mut value) => {
            value["metadata"]["resourceVersion"] = serde_json::Value::String(rv.to_string());
            serde_json::to_vec(&value)
                .map(Bytes::from)
                .unwrap_or_else(|_| json.clone())
        }
        Err(_) => json.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn config_map(name: &str) -> ConfigMap {
        ConfigMap {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("shop".into()),
                ..ObjectMeta::default()
            },
            ..ConfigMap::default()
        }
    }

    #[test]
    fn writes_bump_the_resource_version_and_conflict_when_stale() {
        let mut store = Store::new(SimClock::new(1.0), 1);
        let created = store.create(config_map("a")).expect("create");
        let rv = created.metadata.resource_version.clone();
        assert!(store.create(config_map("a")).is_err(), "already exists");
        let mut stale = created.clone();
        store.update(created).expect("update");
        stale.metadata.resource_version = rv;
        assert_eq!(store.update(stale).map_err(|e| e.code), Err(409));
    }

    #[test]
    fn watches_resume_from_history_and_expire_after_compaction() {
        let mut store = Store::new(SimClock::new(1.0), 1);
        store.create(config_map("a")).expect("create");
        let rv = store.resource_version();
        store.create(config_map("b")).expect("create");
        let start = store.watch(Kind::ConfigMap, Some(rv)).expect("watch");
        assert_eq!(start.initial.len(), 1);
        assert_eq!(start.initial[0].object.name(), "b");
        store.compact();
        assert_eq!(
            store.watch(Kind::ConfigMap, Some(rv)).err().map(|e| e.code),
            Some(410)
        );
    }

    #[test]
    fn lists_stay_within_a_namespace() {
        let mut store = Store::new(SimClock::new(1.0), 1);
        store.create(config_map("a")).expect("create");
        let mut other = config_map("z");
        other.metadata.namespace = Some("shop-2".into());
        store.create(other).expect("create");
        let names: Vec<_> = store
            .list(Kind::ConfigMap, Some("shop"), None)
            .map(|o| o.name().to_string())
            .collect();
        assert_eq!(names, ["a"]);
        assert_eq!(store.list(Kind::ConfigMap, None, None).count(), 2);
    }

    fn pod_on(name: &str, node: Option<&str>, phase: &str) -> k8s_openapi::api::core::v1::Pod {
        use k8s_openapi::api::core::v1::{Pod, PodSpec, PodStatus};
        Pod {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("shop".into()),
                ..ObjectMeta::default()
            },
            spec: Some(PodSpec {
                node_name: node.map(str::to_string),
                ..PodSpec::default()
            }),
            status: Some(PodStatus {
                phase: Some(phase.into()),
                ..PodStatus::default()
            }),
        }
    }

    #[test]
    fn pods_per_node_follow_binding_finishing_and_deletion() {
        let mut store = Store::new(SimClock::new(1.0), 1);
        store.create(pod_on("a", None, "Pending")).expect("create");
        store
            .create(pod_on("b", Some("n1"), "Running"))
            .expect("create");
        assert_eq!((store.pods_on_node("n1"), store.pods_on_node("n2")), (1, 0));
        // Bound by the scheduler.
        let mut a = store
            .get_typed::<k8s_openapi::api::core::v1::Pod>("shop", "a")
            .expect("a");
        a.spec.as_mut().expect("spec").node_name = Some("n2".into());
        let a = store.update(a).expect("bind");
        assert_eq!(store.pods_on_node("n2"), 1);
        // A finished pod no longer counts.
        let mut done = a;
        done.status.as_mut().expect("status").phase = Some("Succeeded".into());
        store.update(done).expect("finish");
        assert_eq!(store.pods_on_node("n2"), 0);
        store.delete(Kind::Pod, "shop", "b").expect("delete");
        assert_eq!(store.pods_on_node("n1"), 0);
        // Counted only once however often it is written.
        store
            .create(pod_on("c", Some("n1"), "Running"))
            .expect("create");
        let c = store
            .get_typed::<k8s_openapi::api::core::v1::Pod>("shop", "c")
            .expect("c");
        store.update(c).expect("rewrite");
        assert_eq!(store.pods_on_node("n1"), 1);
    }
}
