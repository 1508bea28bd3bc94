//! Events (`core/v1`): one for everything notable, aggregated as the real recorder does
//! (the same reason and message for the same object bump `count` and `lastTimestamp`),
//! expired after an hour and capped in number.

use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, Time};

use super::Env;
use crate::sim::common::seeded::fnv;
use crate::sim::kube::object::StoredObject;
use crate::sim::kube::resources::Kind;
use crate::sim::kube::types::SimObject;

/// At most this many Events are kept; the oldest go first.
const MAX_EVENTS: usize = 3000;
/// Events older than this (simulated seconds) are removed, as the API server's TTL does.
const TTL_SECS: i64 = 3600;

/// Who reports an event.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    Controller(&'static str),
    Kubelet(&'a str),
    Scheduler,
    NodeController,
}

/// The object an event is about.
pub struct Involved<'a> {
    pub kind: Kind,
    pub namespace: &'a str,
    pub name: &'a str,
    pub uid: &'a str,
    pub field_path: Option<String>,
}

impl<'a> Involved<'a> {
    pub fn of<T: SimObject>(object: &'a T) -> Involved<'a> {
        let meta = object.metadata();
        Involved {
            kind: T::SIM_KIND,
            namespace: meta.namespace.as_deref().unwrap_or_default(),
            name: meta.name.as_deref().unwrap_or_default(),
            uid: meta.uid.as_deref().unwrap_or_default(),
            field_path: None,
        }
    }

    pub fn stored(kind: Kind, object: &'a StoredObject) -> Involved<'a> {
        Involved {
            kind,
            namespace: object.namespace(),
            name: object.name(),
            uid: &object.uid,
            field_path: None,
        }
    }

    pub fn container(mut self, container: &str) -> Involved<'a> {
        self.field_path = Some(format!("spec.containers{{{container}}}"));
        self
    }
}

/// Record a Normal event.
pub fn normal(env: &mut Env, involved: Involved, source: Source, reason: &str, message: &str) {
    record(env, involved, source, "Normal", reason, message);
}

/// Record a Warning event.
pub fn warning(env: &mut Env, involved: Involved, source: Source, reason: &str, message: &str) {
    record(env, involved, source, "Warning", reason, message);
}

fn record(
    env: &mut Env,
    involved: Involved,
    source: Source,
    kind: &str,
    reason: &str,
    message: &str,
) {
    // Events about cluster-scoped objects live in `default`, as Kubernetes puts them.
    let namespace = if involved.namespace.is_empty() {
        "default"
    } else {
        involved.namespace
    };
    // The name is a function of what is being said about what, so a repeat finds the
    // event to bump rather than making another.
    let key = fnv(&format!(
        "{}/{reason}/{message}/{:?}",
        involved.uid, involved.field_path
    ));
    let name = format!("{}.{key:016x}", involved.name);
    let now = Time(env.now);
    if let Some(mut existing) = env.store.get_typed::<Event>(namespace, &name) {
        existing.count = Some(existing.count.unwrap_or(1) + 1);
        existing.last_timestamp = Some(now);
        let _ = env.store.update(existing);
        return;
    }
    let resource = involved.kind.resource();
    let (component, host) = match source {
        Source::Controller(c) => (c.to_string(), None),
        Source::Kubelet(node) => ("kubelet".to_string(), Some(node.to_string())),
        Source::Scheduler => ("default-scheduler".to_string(), None),
        Source::NodeController => ("node-controller".to_string(), None),
    };
    let event = Event {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: Some(namespace.to_string()),
            ..ObjectMeta::default()
        },
        involved_object: ObjectReference {
            api_version: Some(resource.api_version()),
            kind: Some(resource.kind.to_string()),
            name: Some(involved.name.to_string()),
            namespace: (!involved.namespace.is_empty()).then(|| involved.namespace.to_string()),
            uid: Some(involved.uid.to_string()),
            field_path: involved.field_path,
            resource_version: None,
        },
        reason: Some(reason.to_string()),
        message: Some(message.to_string()),
        type_: Some(kind.to_string()),
        count: Some(1),
        first_timestamp: Some(now.clone()),
        last_timestamp: Some(now),
        event_time: None::<MicroTime>,
        reporting_component: Some(component.clone()),
        reporting_instance: host.clone(),
        source: Some(EventSource {
            component: Some(component),
            host,
        }),
        ..Event::default()
    };
    let _ = env.store.create(event);
}

/// Remove expired events, and the oldest beyond the cap.
pub fn sweep(env: &mut Env) {
    let now = env.secs;
    let map = env.cluster.clock.map();
    let mut events: Vec<(f64, String, String)> = env
        .store
        .list(Kind::Event, None, None)
        .filter_map(|o| {
            let e: Event = o.parse().ok()?;
            let last = e.last_timestamp.as_ref().or(e.first_timestamp.as_ref())?.0;
            Some((
                map.secs_at(last),
                o.namespace().to_string(),
                o.name().to_string(),
            ))
        })
        .collect();
    events.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then_with(|| (&a.1, &a.2).cmp(&(&b.1, &b.2)))
    });
    let excess = events.len().saturating_sub(MAX_EVENTS);
    for (i, (last, namespace, name)) in events.iter().enumerate() {
        if i < excess || now - last > TTL_SECS as f64 {
            env.store.delete(Kind::Event, namespace, name);
        }
    }
}
