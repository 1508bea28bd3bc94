//! Deletion: graceful pod termination (the kubelet finishes it), garbage collection of
//! dependents when their controller goes, and emptying a namespace being deleted.

use k8s_openapi::api::core::v1::{Namespace, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::Value;

use super::Env;
use crate::sim::kube::resources::Kind;
use crate::sim::kube::status::ApiError;
use crate::sim::kube::store::Store;

/// Start deleting a pod (Terminating until the kubelet removes it) or a namespace
/// (Terminating until it is empty). Returns the object as it now is.
pub fn begin_deletion(
    store: &mut Store,
    kind: Kind,
    namespace: &str,
    name: &str,
    grace_period: Option<i64>,
) -> Result<Value, ApiError> {
    let now = store.clock().now();
    match kind {
        Kind::Pod => {
            let mut pod: Pod = store
                .get_typed(namespace, name)
                .ok_or_else(|| ApiError::not_found(kind.resource(), name))?;
            if pod.metadata.deletion_timestamp.is_none() {
                let grace = grace_period
                    .or(pod
                        .spec
                        .as_ref()
                        .and_then(|s| s.termination_grace_period_seconds))
                    .unwrap_or(30);
                // The grace period passes in simulated time (see `sim::clock`).
                let clock = store.clock();
                let at = clock.map().stamp(clock.elapsed_secs() + grace as f64);
                pod.metadata.deletion_timestamp = Some(Time(at));
                pod.metadata.deletion_grace_period_seconds = Some(grace);
                pod = store.update(pod)?;
            }
            serde_json::to_value(&pod).map_err(|e| ApiError::internal(e.to_string()))
        }
        Kind::Namespace => {
            let mut ns: Namespace = store
                .get_typed("", name)
                .ok_or_else(|| ApiError::not_found(kind.resource(), name))?;
            if ns.metadata.deletion_timestamp.is_none() {
                ns.metadata.deletion_timestamp = Some(Time(now));
                ns.status.get_or_insert_with(Default::default).phase = Some("Terminating".into());
                ns = store.update(ns)?;
            }
            serde_json::to_value(&ns).map_err(|e| ApiError::internal(e.to_string()))
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// The garbage collector: delete what `uid` controlled (background propagation).
pub fn collect_dependents(env: &mut Env, uid: &str) {
    for (kind, object) in env.store.dependents(uid) {
        if kind == Kind::Pod {
            if !object.summary.terminating {
                let _ = begin_deletion(env.store, kind, object.namespace(), object.name(), None);
            }
        } else {
            env.store.delete(kind, object.namespace(), object.name());
        }
    }
}

/// A namespace being deleted: delete what is in it, then the namespace.
pub fn reconcile_namespace(env: &mut Env, name: &str) {
    let Some(ns) = env.store.get(Kind::Namespace, "", name) else {
        return;
    };
    if !ns.summary.terminating {
        return;
    }
    let mut remaining = 0;
    for kind in Kind::STORED {
        if !kind.resource().namespaced {
            continue;
        }
        let objects: Vec<_> = env.store.list(kind, Some(name), None).cloned().collect();
        remaining += objects.len();
        for object in objects {
            if kind == Kind::Pod {
                if !object.summary.terminating {
                    let _ = begin_deletion(env.store, kind, name, object.name(), None);
                }
            } else {
                env.store.delete(kind, name, object.name());
            }
        }
    }
    if remaining == 0 {
        env.store.delete(Kind::Namespace, "", name);
    } else {
        // Look again once the pods have gone.
        env.sched.at(
            env.secs + 2.0,
            super::Timer::Reconcile(Kind::Namespace, name.into()),
        );
    }
}
