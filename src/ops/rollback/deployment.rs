//! A Deployment's history is the ReplicaSets it controls, each numbered by its
//! `deployment.kubernetes.io/revision` annotation. Rolling back writes the chosen
//! ReplicaSet's template and annotations into the Deployment, as kubectl's
//! `DeploymentRollbacker` does.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1 as apps;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, Patch, PatchParams};
use serde_json::{Value, json};

use super::template::{self, same_ignoring_hash, without_hash_label};
use super::{
    Revision, RollbackKind, UndoOutcome, change_cause, controlled_by, created, label_selector,
    restoring_failed, revision_not_found,
};
use crate::ops::OpError;

const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";

/// The annotations a rollback keeps from the Deployment rather than copying from the
/// ReplicaSet (kubectl's `annotationsToSkip`): they describe the Deployment's own
/// rollout, not the template being restored.
const ANNOTATIONS_TO_SKIP: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION_ANNOTATION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

/// A Deployment and the ReplicaSets it controls, in kubectl's order: the old ones by
/// creation time (then name), the new one (running the Deployment's template) last.
struct History {
    deployment: DynamicObject,
    replica_sets: Vec<DynamicObject>,
    has_new: bool,
}

impl History {
    async fn load(client: &kube::Client, namespace: &str, name: &str) -> Result<History, OpError> {
        let deployments: Api<DynamicObject> = Api::namespaced_with(
            client.clone(),
            namespace,
            &RollbackKind::Deployment.api_resource(),
        );
        let deployment = deployments.get(name).await?;
        let mut replica_sets = controlled_replica_sets(client, namespace, &deployment).await?;
        replica_sets.sort_by(|a, b| {
            (a.metadata.creation_timestamp.as_ref(), &a.metadata.name)
                .cmp(&(b.metadata.creation_timestamp.as_ref(), &b.metadata.name))
        });
        // The new ReplicaSet is the oldest one with the Deployment's template (there can
        // be more than one after a cluster upgrade changed template hashing).
        let current = &deployment.data["spec"]["template"];
        let new = replica_sets
            .iter()
            .position(|rs| same_ignoring_hash(&rs.data["spec"]["template"], current));
        if let Some(index) = new {
            let new = replica_sets.remove(index);
            replica_sets.push(new);
        }
        Ok(History {
            deployment,
            replica_sets,
            has_new: new.is_some(),
        })
    }

    fn is_new(&self, index: usize) -> bool {
        self.has_new && index + 1 == self.replica_sets.len()
    }

    /// The ReplicaSet to roll back to: revision `to_revision`, or for 0 the one with the
    /// second-highest revision. Mirrors kubectl's `deploymentRevision`, including which
    /// of two ReplicaSets with the same number wins.
    fn find(&self, to_revision: i64) -> Result<&DynamicObject, OpError> {
        let mut numbered = self
            .replica_sets
            .iter()
            .filter_map(|rs| revision_number(rs).map(|n| (n, rs)));
        if to_revision > 0 {
            return numbered
                .find(|(n, _)| *n == to_revision)
                .map(|(_, rs)| rs)
                .ok_or_else(|| revision_not_found(to_revision));
        }
        let (mut latest, mut previous) = ((-1, None), (-1, None));
        for (n, rs) in numbered {
            if latest.0 < n {
                previous = latest;
                latest = (n, Some(rs));
            } else if previous.0 < n {
                previous = (n, Some(rs));
            }
        }
        previous.1.ok_or_else(|| {
            OpError::Refused(format!(
                "no rollout history found for deployment {:?}",
                self.deployment.metadata.name.as_deref().unwrap_or_default()
            ))
        })
    }
}

/// The ReplicaSets the Deployment's selector matches and that it controls.
async fn controlled_replica_sets(
    client: &kube::Client,
    namespace: &str,
    deployment: &DynamicObject,
) -> Result<Vec<DynamicObject>, OpError> {
    let replica_sets: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        namespace,
        &ApiResource::erase::<apps::ReplicaSet>(&()),
    );
    let selector = label_selector(deployment)?;
    let list = replica_sets
        .list(&ListParams::default().labels_from(&selector))
        .await?;
    let uid = deployment.metadata.uid.as_deref().unwrap_or_default();
    Ok(list
        .items
        .into_iter()
        .filter(|rs| controlled_by(&rs.metadata, uid))
        .collect())
}

/// The ReplicaSet's revision: 0 without the annotation, none (left out of the history,
/// as kubectl does) when it is not a number.
fn revision_number(rs: &DynamicObject) -> Option<i64> {
    match rs.metadata.annotations.as_ref()?.get(REVISION_ANNOTATION) {
        None => Some(0),
        Some(number) => number.parse().ok(),
    }
}

pub(super) async fn revisions(
    client: &kube::Client,
    namespace: &str,
    name: &str,
) -> Result<Vec<Revision>, OpError> {
    let history = History::load(client, namespace, name).await?;
    // One entry per number; of two ReplicaSets with the same number the later (in
    // kubectl's order) is shown, as `kubectl rollout history` does.
    let mut by_number: BTreeMap<i64, usize> = BTreeMap::new();
    for (index, rs) in history.replica_sets.iter().enumerate() {
        if let Some(number) = revision_number(rs) {
            by_number.insert(number, index);
        }
    }
    Ok(by_number
        .into_iter()
        .map(|(number, index)| {
            let rs = &history.replica_sets[index];
            let template = without_hash_label(&rs.data["spec"]["template"]);
            Revision {
                number,
                images: template::images(&template),
                created: created(&rs.metadata),
                change_cause: change_cause(&rs.metadata),
                current: history.is_new(index),
                template,
            }
        })
        .collect())
}

pub(super) async fn undo(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    to_revision: i64,
    dry_run: bool,
) -> Result<UndoOutcome, OpError> {
    let history = History::load(client, namespace, name).await?;
    let target = history.find(to_revision)?;
    let revision = revision_number(target).unwrap_or_default();
    let deployment = &history.deployment;
    if deployment.data["spec"]["paused"] == json!(true) {
        // kubectl's words, as `kubectl rollout undo` prints them.
        return Err(OpError::Refused(
            "you cannot rollback a paused deployment; resume it first with \
             'kubectl rollout resume' and try again"
                .into(),
        ));
    }
    let target_template = &target.data["spec"]["template"];
    if same_ignoring_hash(target_template, &deployment.data["spec"]["template"]) {
        return Ok(UndoOutcome::Skipped {
            revision,
            requested: to_revision,
        });
    }
    let patch = restoring_patch(
        without_hash_label(target_template),
        restored_annotations(
            deployment.metadata.annotations.as_ref(),
            target.metadata.annotations.as_ref(),
        ),
    );
    let deployments: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        namespace,
        &RollbackKind::Deployment.api_resource(),
    );
    let params = PatchParams {
        dry_run,
        ..PatchParams::default()
    };
    deployments
        .patch(name, &params, &patch)
        .await
        .map_err(|e| restoring_failed(to_revision, e))?;
    Ok(UndoOutcome::RolledBack { revision, dry_run })
}

/// The Deployment's annotations after the rollback: its own rollout bookkeeping (the
/// skip set) kept, everything else taken from the ReplicaSet being restored.
fn restored_annotations(
    deployment: Option<&BTreeMap<String, String>>,
    replica_set: Option<&BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    let skip: BTreeSet<&str> = ANNOTATIONS_TO_SKIP.into_iter().collect();
    let kept = deployment
        .into_iter()
        .flatten()
        .filter(|(k, _)| skip.contains(k.as_str()));
    let copied = replica_set
        .into_iter()
        .flatten()
        .filter(|(k, _)| !skip.contains(k.as_str()));
    kept.chain(copied)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// kubectl's rollback request: one JSON patch replacing the whole template and the whole
/// annotation map, so nothing of the current template survives by merging.
fn restoring_patch(template: Value, annotations: BTreeMap<String, String>) -> Patch<()> {
    let operations = json!([
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
    ]);
    // kube's `Patch::Json` holds the `json_patch` version kube depends on, which is not
    // ours; letting serde infer the type builds it without naming it.
    Patch::Json(serde_json::from_value(operations).expect("two well-formed JSON patch operations"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn annotations_keep_the_deployments_bookkeeping_and_take_the_rest_from_the_replica_set() {
        let deployment = map(&[
            (REVISION_ANNOTATION, "5"),
            ("kubectl.kubernetes.io/last-applied-configuration", "{}"),
            ("kubernetes.io/change-cause", "now"),
            ("team", "shop"),
        ]);
        let replica_set = map(&[
            (REVISION_ANNOTATION, "2"),
            ("deployment.kubernetes.io/desired-replicas", "3"),
            ("kubernetes.io/change-cause", "then"),
            ("owner", "alice"),
        ]);
        assert_eq!(
            restored_annotations(Some(&deployment), Some(&replica_set)),
            map(&[
                (REVISION_ANNOTATION, "5"),
                ("kubectl.kubernetes.io/last-applied-configuration", "{}"),
                ("kubernetes.io/change-cause", "then"),
                ("owner", "alice"),
            ])
        );
        assert!(restored_annotations(None, None).is_empty());
    }

    #[test]
    fn the_patch_replaces_template_and_annotations() {
        let patch = restoring_patch(json!({"spec": {}}), map(&[("a", "b")]));
        let Patch::Json(operations) = patch else {
            panic!("a JSON patch");
        };
        assert_eq!(
            serde_json::to_value(operations).expect("serializes"),
            json!([
                {"op": "replace", "path": "/spec/template", "value": {"spec": {}}},
                {"op": "replace", "path": "/metadata/annotations", "value": {"a": "b"}},
            ])
        );
    }

    fn replica_set(name: &str, revision: Option<&str>) -> DynamicObject {
        let mut rs = DynamicObject::new(name, &ApiResource::erase::<apps::ReplicaSet>(&()));
        rs.metadata.annotations = Some(
            revision
                .map(|r| map(&[(REVISION_ANNOTATION, r)]))
                .unwrap_or_default(),
        );
        rs
    }

    fn history(sets: &[(&str, Option<&str>)]) -> History {
        History {
            deployment: DynamicObject::new("api", &RollbackKind::Deployment.api_resource()),
            replica_sets: sets.iter().map(|(n, r)| replica_set(n, *r)).collect(),
            has_new: true,
        }
    }

    fn found(history: &History, to: i64) -> Result<String, OpError> {
        history
            .find(to)
            .map(|rs| rs.metadata.name.clone().unwrap_or_default())
    }

    #[test]
    fn revision_zero_is_the_second_highest_and_numbers_are_found_as_kubectl_finds_them() {
        let h = history(&[
            ("a", Some("1")),
            ("c", Some("3")),
            ("x", Some("x")),
            ("b", Some("2")),
        ]);
        assert_eq!(found(&h, 0).as_deref(), Ok("b"));
        assert_eq!(found(&h, 1).as_deref(), Ok("a"));
        assert_eq!(
            found(&h, 7),
            Err(OpError::Refused(
                "unable to find specified revision 7 in history".into()
            ))
        );
        // A ReplicaSet without the annotation is revision 0.
        let h = history(&[("old", None), ("new", Some("1"))]);
        assert_eq!(found(&h, 0).as_deref(), Ok("old"));
        let h = history(&[("only", Some("1"))]);
        assert_eq!(
            found(&h, 0),
            Err(OpError::Refused(
                "no rollout history found for deployment \"api\"".into()
            ))
        );
    }
}
