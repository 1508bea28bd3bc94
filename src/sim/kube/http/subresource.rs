//! The `/scale` subresource of Deployments, ReplicaSets and StatefulSets: an
//! `autoscaling/v1` `Scale` (kubectl's `scale` GETs and merge-patches it).

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde_json::{Value, json};

use super::target::Target;
use super::{Ctx, Reply, reply};
use crate::sim::kube::admission::{Admission, admit};
use crate::sim::kube::patch::{self, PatchKind};
use crate::sim::kube::resources::Kind;
use crate::sim::kube::status::ApiError;
use crate::sim::kube::tables::workloads::selector_text;

/// What scaling needs from a kind.
trait Scalable: Admission {
    fn replicas(&self) -> i32;
    fn set_replicas(&mut self, replicas: i32);
    fn status_replicas(&self) -> i32;
    fn selector(&self) -> Option<&LabelSelector>;
}

impl Scalable for Deployment {
    fn replicas(&self) -> i32 {
        self.spec.replicas.unwrap_or(1)
    }
    fn set_replicas(&mut self, replicas: i32) {
        self.spec.replicas = Some(replicas);
    }
    fn status_replicas(&self) -> i32 {
        self.status.as_ref().and_then(|s| s.replicas).unwrap_or(0)
    }
    fn selector(&self) -> Option<&LabelSelector> {
        Some(&self.spec.selector)
    }
}

impl Scalable for ReplicaSet {
    fn replicas(&self) -> i32 {
        self.spec.replicas.unwrap_or(1)
    }
    fn set_replicas(&mut self, replicas: i32) {
        self.spec.replicas = Some(replicas);
    }
    fn status_replicas(&self) -> i32 {
        self.status.as_ref().map_or(0, |s| s.replicas)
    }
    fn selector(&self) -> Option<&LabelSelector> {
        Some(&self.spec.selector)
    }
}

impl Scalable for StatefulSet {
    fn replicas(&self) -> i32 {
        self.spec.replicas.unwrap_or(1)
    }
    fn set_replicas(&mut self, replicas: i32) {
        self.spec.replicas = Some(replicas);
    }
    fn status_replicas(&self) -> i32 {
        self.status.as_ref().map_or(0, |s| s.replicas)
    }
    fn selector(&self) -> Option<&LabelSelector> {
        Some(&self.spec.selector)
    }
}

pub fn scale(ctx: &Ctx, target: &Target, verb: &str) -> Reply {
    match target.resource.kind_id {
        Kind::Deployment => scale_typed::<Deployment>(ctx, target, verb),
        Kind::ReplicaSet => scale_typed::<ReplicaSet>(ctx, target, verb),
        Kind::StatefulSet => scale_typed::<StatefulSet>(ctx, target, verb),
        _ => Err(ApiError::method_not_allowed()),
    }
}

fn scale_object<T: Scalable>(object: &T) -> Value {
    let meta = object.metadata();
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": ObjectMeta {
            name: meta.name.clone(),
            namespace: meta.namespace.clone(),
            uid: meta.uid.clone(),
            resource_version: meta.resource_version.clone(),
            creation_timestamp: meta.creation_timestamp.clone(),
            ..ObjectMeta::default()
        },
        "spec": {"replicas": object.replicas()},
        "status": {"replicas": object.status_replicas(), "selector": selector_text(object.selector())},
    })
}

fn scale_typed<T: Scalable>(ctx: &Ctx, target: &Target, verb: &str) -> Reply {
    let not_found = || ApiError::not_found(target.resource, target.name());
    let stored = ctx
        .cluster
        .store()
        .get(T::SIM_KIND, target.namespace(), target.name())
        .ok_or_else(not_found)?;
    let mut object: T = stored
        .parse()
        .map_err(|e| ApiError::internal(format!("stored object unreadable: {e}")))?;
    let current = scale_object(&object);
    let wanted = match verb {
        "get" => return Ok(reply::json(200, &current)),
        "patch" => {
            let kind = PatchKind::from_content_type(ctx.header("content-type"))?;
            patch::apply(kind, &current, &ctx.body)?
        }
        "update" => serde_json::from_slice::<Value>(&ctx.body)
            .map_err(|e| ApiError::bad_request(format!("invalid Scale: {e}")))?,
        _ => return Err(ApiError::method_not_allowed()),
    };
    let replicas = wanted["spec"]["replicas"].as_i64().ok_or_else(|| {
        ApiError::invalid(
            target.resource,
            target.name(),
            "spec.replicas",
            "Required value",
        )
    })?;
    if replicas < 0 {
        return Err(ApiError::new(
            422,
            "Invalid",
            format!(
                "Scale.autoscaling \"{}\" is invalid: spec.replicas: Invalid value: {replicas}: must be greater than or equal to 0",
                target.name()
            ),
        ));
    }
    // An update carrying a stale resourceVersion conflicts, as on the parent.
    let pinned = wanted["metadata"]["resourceVersion"]
        .as_str()
        .map(str::to_string);
    object.metadata_mut().resource_version = pinned;
    object.set_replicas(i32::try_from(replicas).unwrap_or(i32::MAX));
    let old: T = stored
        .parse()
        .map_err(|e| ApiError::internal(format!("stored object unreadable: {e}")))?;
    admit(&mut object, Some(&old))?;
    let object = if ctx.dry_run() {
        object
    } else {
        ctx.cluster.store().update(object)?
    };
    Ok(reply::json(200, &scale_object(&object)))
}
