//! The `k8s-openapi` type behind each stored kind, and what the store extracts from it.

use k8s_openapi::api::apps::v1::{
    ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet,
};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Event, Namespace, Node, Pod, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::object::{ControllerRef, Facts, Phase, Summary};
use super::resources::Kind;

/// A kind the store keeps, with the `k8s-openapi` type that gives its JSON.
pub trait SimObject:
    k8s_openapi::Resource
    + k8s_openapi::Metadata<Ty = ObjectMeta>
    + Serialize
    + DeserializeOwned
    + Clone
    + Default
    + Send
    + Sync
    + 'static
{
    const SIM_KIND: Kind;

    /// Kind-specific facts for the store's summary.
    fn summarize(&self, _summary: &mut Summary) {}
}

/// What the store keeps beside an object's JSON.
pub fn facts<T: SimObject>(object: &T) -> Facts {
    let meta = object.metadata();
    let mut summary = Summary {
        terminating: meta.deletion_timestamp.is_some(),
        ..Summary::default()
    };
    object.summarize(&mut summary);
    Facts {
        uid: meta.uid.as_deref().unwrap_or_default().into(),
        labels: meta
            .labels
            .iter()
            .flatten()
            .map(|(k, v)| (k.as_str().into(), v.as_str().into()))
            .collect(),
        controller: meta
            .owner_references
            .iter()
            .flatten()
            .find(|o| o.controller == Some(true))
            .map(|o| {
                Box::new(ControllerRef {
                    uid: o.uid.as_str().into(),
                    kind: Kind::STORED
                        .iter()
                        .copied()
                        .find(|k| k.resource().kind == o.kind),
                    name: o.name.as_str().into(),
                })
            }),
        summary,
    }
}

macro_rules! plain {
    ($($ty:ty => $kind:ident),* $(,)?) => {
        $(impl SimObject for $ty {
            const SIM_KIND: Kind = Kind::$kind;
        })*
    };
}

plain!(
    Namespace => Namespace,
    Event => Event,
    Service => Service,
    ConfigMap => ConfigMap,
    Deployment => Deployment,
    ReplicaSet => ReplicaSet,
    StatefulSet => StatefulSet,
    DaemonSet => DaemonSet,
    ControllerRevision => ControllerRevision,
    Job => Job,
    CronJob => CronJob,
    Lease => Lease,
);

impl SimObject for Pod {
    const SIM_KIND: Kind = Kind::Pod;

    fn summarize(&self, summary: &mut Summary) {
        summary.node = self
            .spec
            .as_ref()
            .and_then(|s| s.node_name.as_deref())
            .map(Into::into);
        if let Some(status) = &self.status {
            summary.phase = Phase::parse(status.phase.as_deref().unwrap_or_default());
            summary.ready = status
                .conditions
                .iter()
                .flatten()
                .any(|c| c.type_ == "Ready" && c.status == "True");
        }
    }
}

impl SimObject for Node {
    const SIM_KIND: Kind = Kind::Node;

    fn summarize(&self, summary: &mut Summary) {
        summary.ready = self
            .status
            .iter()
            .flat_map(|s| s.conditions.iter().flatten())
            .any(|c| c.type_ == "Ready" && c.status == "True");
    }
}

/// Run `$body` with `$t` bound to the `k8s-openapi` type of the stored kind `$kind`;
/// `$other` runs for kinds that are not stored.
#[macro_export]
#[doc(hidden)]
macro_rules! sim_for_kind {
    ($kind:expr, $t:ident => $body:expr, _ => $other:expr) => {{
        use k8s_openapi::api::apps::v1 as __apps;
        use k8s_openapi::api::batch::v1 as __batch;
        use k8s_openapi::api::coordination::v1 as __coord;
        use k8s_openapi::api::core::v1 as __core;
        use $crate::sim::kube::resources::Kind as __K;
        match $kind {
            __K::Namespace => {
                type $t = __core::Namespace;
                $body
            }
            __K::Node => {
                type $t = __core::Node;
                $body
            }
            __K::Pod => {
                type $t = __core::Pod;
                $body
            }
            __K::Event => {
                type $t = __core::Event;
                $body
            }
            __K::Service => {
                type $t = __core::Service;
                $body
            }
            __K::ConfigMap => {
                type $t = __core::ConfigMap;
                $body
            }
            __K::Deployment => {
                type $t = __apps::Deployment;
                $body
            }
            __K::ReplicaSet => {
                type $t = __apps::ReplicaSet;
                $body
            }
            __K::StatefulSet => {
                type $t = __apps::StatefulSet;
                $body
            }
            __K::DaemonSet => {
                type $t = __apps::DaemonSet;
                $body
            }
            __K::ControllerRevision => {
                type $t = __apps::ControllerRevision;
                $body
            }
            __K::Job => {
                type $t = __batch::Job;
                $body
            }
            __K::CronJob => {
                type $t = __batch::CronJob;
                $body
            }
            __K::Lease => {
                type $t = __coord::Lease;
                $body
            }
            __K::Backup => {
                type $t = $crate::sim::kube::velero::Backup;
                $body
            }
            __K::Schedule => {
                type $t = $crate::sim::kube::velero::Schedule;
                $body
            }
            _ => $other,
        }
    }};
}
pub use crate::sim_for_kind as for_kind;

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_of<T: SimObject>() -> Kind {
        T::SIM_KIND
    }

    #[test]
    fn for_kind_picks_the_matching_type() {
        for kind in Kind::STORED {
            let found = for_kind!(kind, T => kind_of::<T>(), _ => unreachable!());
            assert_eq!(found, kind);
            let api_kind = for_kind!(kind, T => <T as k8s_openapi::Resource>::KIND, _ => "");
            assert_eq!(api_kind, kind.resource().kind);
        }
    }
}
