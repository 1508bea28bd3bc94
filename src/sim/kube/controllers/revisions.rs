//! ControllerRevisions: the template history of StatefulSets and DaemonSets. Each holds
//! the patch `kubectl rollout undo` applies (`{"spec":{"template":{…,"$patch":"replace"}}}`)
//! and a revision number; rolling back revives an old revision under a new number.

use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use serde_json::json;

use super::Env;
use super::build::{owner_ref, template_hash};
use crate::sim::kube::resources::Kind;
use crate::sim::kube::types::SimObject;

/// The label holding a revision's template hash.
pub const HASH_LABEL: &str = "controller.kubernetes.io/hash";

/// The revision a controller's current template is: its name, hash and number.
pub struct Revision {
    pub name: String,
    pub hash: String,
    pub number: i64,
}

/// The revisions `owner` controls, oldest number first.
pub fn owned<T: SimObject>(env: &Env, owner: &T) -> Vec<ControllerRevision> {
    let uid = owner.metadata().uid.clone().unwrap_or_default();
    let mut revisions: Vec<ControllerRevision> = env
        .store
        .owned_by(Kind::ControllerRevision, &uid)
        .iter()
        .filter_map(|o| o.parse().ok())
        .collect();
    revisions.sort_by_key(|r| r.revision.unwrap_or(0));
    revisions
}

/// The revision for `template`, created (or renumbered, on a rollback) as needed.
pub fn ensure<T: SimObject>(
    env: &mut Env,
    owner: &T,
    template: &PodTemplateSpec,
    labels: Option<std::collections::BTreeMap<String, String>>,
) -> Revision {
    let hash = template_hash(template);
    let owner_name = owner.metadata().name.clone().unwrap_or_default();
    let existing = owned(env, owner);
    let max = existing
        .iter()
        .filter_map(|r| r.revision)
        .max()
        .unwrap_or(0);
    let found = existing
        .into_iter()
        .find(|r| r.metadata.labels.as_ref().and_then(|l| l.get(HASH_LABEL)) == Some(&hash));
    let name = format!("{owner_name}-{hash}");
    match found {
        Some(mut revision) => {
            let number = revision.revision.unwrap_or(0);
            if number < max {
                revision.revision = Some(max + 1);
                let _ = env.store.update(revision);
                return Revision {
                    name,
                    hash,
                    number: max + 1,
                };
            }
            Revision { name, hash, number }
        }
        None => {
            let _ = env.store.create(build(owner, template, max + 1, labels));
            Revision {
                name,
                hash,
                number: max + 1,
            }
        }
    }
}

/// The ControllerRevision of `template` as revision `number` of `owner`.
pub fn build<T: SimObject>(
    owner: &T,
    template: &PodTemplateSpec,
    number: i64,
    labels: Option<std::collections::BTreeMap<String, String>>,
) -> ControllerRevision {
    let hash = template_hash(template);
    let meta = owner.metadata();
    let mut template_json = serde_json::to_value(template).unwrap_or_default();
    template_json["$patch"] = json!("replace");
    let mut revision_labels = labels.unwrap_or_default();
    revision_labels.insert(HASH_LABEL.into(), hash.clone());
    ControllerRevision {
        metadata: ObjectMeta {
            name: Some(format!(
                "{}-{hash}",
                meta.name.as_deref().unwrap_or_default()
            )),
            namespace: meta.namespace.clone(),
            labels: Some(revision_labels),
            owner_references: Some(vec![owner_ref(owner)]),
            ..ObjectMeta::default()
        },
        data: RawExtension(json!({ "spec": { "template": template_json } })),
        revision: Some(number),
    }
}

/// Delete the oldest revisions beyond `limit`, never those named in `keep`.
pub fn clean_up<T: SimObject>(env: &mut Env, owner: &T, limit: usize, keep: &[&str]) {
    let revisions = owned(env, owner);
    let idle: Vec<&ControllerRevision> = revisions
        .iter()
        .filter(|r| !keep.contains(&r.metadata.name.as_deref().unwrap_or_default()))
        .collect();
    if idle.len() > limit {
        for r in &idle[..idle.len() - limit] {
            let namespace = r.metadata.namespace.as_deref().unwrap_or_default();
            env.store.delete(
                Kind::ControllerRevision,
                namespace,
                r.metadata.name.as_deref().unwrap_or_default(),
            );
        }
    }
}
