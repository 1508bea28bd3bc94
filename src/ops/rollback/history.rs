//! A StatefulSet's or DaemonSet's history is the ControllerRevisions it controls. Each
//! holds, as `data`, the strategic merge patch that restores its pod template
//! (`{"spec":{"template":{…,"$patch":"replace"}}}`); rolling back sends that patch as is,
//! as kubectl's `StatefulSetRollbacker` and `DaemonSetRollbacker` do.

use k8s_openapi::api::apps::v1::ControllerRevision;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams};
use serde_json::{Value, json};

use super::template::{self, same};
use super::{
    Revision, RollbackKind, UndoOutcome, change_cause, controlled_by, created, label_selector,
    restoring_failed, revision_not_found,
};
use crate::ops::OpError;

/// The workload and the ControllerRevisions it controls, lowest number first.
struct History {
    workload: DynamicObject,
    revisions: Vec<ControllerRevision>,
}

impl History {
    async fn load(
        client: &kube::Client,
        kind: RollbackKind,
        namespace: &str,
        name: &str,
    ) -> Result<History, OpError> {
        let workloads: Api<DynamicObject> =
            Api::namespaced_with(client.clone(), namespace, &kind.api_resource());
        let workload = workloads.get(name).await?;
        let selector = label_selector(&workload)?;
        let all: Api<ControllerRevision> = Api::namespaced(client.clone(), namespace);
        let uid = workload.metadata.uid.as_deref().unwrap_or_default();
        let mut revisions: Vec<ControllerRevision> = all
            .list(&ListParams::default().labels_from(&selector))
            .await?
            .items
            .into_iter()
            .filter(|r| controlled_by(&r.metadata, uid))
            .collect();
        revisions.sort_by_key(number);
        Ok(History {
            workload,
            revisions,
        })
    }

    /// Revision `to_revision`, or for 0 the one before the highest (kubectl's
    /// `findHistory`).
    fn find(&self, to_revision: i64) -> Result<&ControllerRevision, OpError> {
        if to_revision == 0 {
            if self.revisions.len() <= 1 {
                return Err(OpError::Refused("no last revision to roll back to".into()));
            }
            return Ok(&self.revisions[self.revisions.len() - 2]);
        }
        self.revisions
            .iter()
            .find(|r| number(r) == to_revision)
            .ok_or_else(|| revision_not_found(to_revision))
    }

    fn template(&self) -> &Value {
        &self.workload.data["spec"]["template"]
    }

    /// The workload already runs `revision`: the patch kubectl would record for the
    /// current template is the one the revision holds (kubectl compares their bytes; the
    /// same JSON here, so that formatting cannot tell them apart).
    fn runs(&self, revision: &ControllerRevision) -> bool {
        same(&restoring_patch(self.template()), &revision.data.0)
    }

    /// The pod template `revision` restores: the stored template when it replaces the
    /// whole (as every controller writes it), else the current one with the patch merged.
    fn template_of(&self, revision: &ControllerRevision) -> Value {
        let stored = &revision.data.0["spec"]["template"];
        let mut template = if stored["$patch"] == "replace" {
            stored.clone()
        } else {
            template::merged(self.template(), stored)
        };
        if let Some(object) = template.as_object_mut() {
            object.remove("$patch");
        }
        template
    }
}

fn number(revision: &ControllerRevision) -> i64 {
    revision.revision.unwrap_or_default()
}

/// The patch a controller records for `template` (kubectl's `getStatefulSetPatch`).
fn restoring_patch(template: &Value) -> Value {
    let mut template = template.clone();
    if let Some(object) = template.as_object_mut() {
        object.insert("$patch".into(), json!("replace"));
    }
    json!({ "spec": { "template": template } })
}

pub(super) async fn revisions(
    client: &kube::Client,
    kind: RollbackKind,
    namespace: &str,
    name: &str,
) -> Result<Vec<Revision>, OpError> {
    let history = History::load(client, kind, namespace, name).await?;
    // Only the highest revision the workload runs is current: an old revision with the
    // same template is revived under a new number, never left as a twin.
    let current = history
        .revisions
        .iter()
        .rev()
        .find(|r| history.runs(r))
        .map(number);
    // One entry per number, the last listed winning, as `kubectl rollout history` does.
    let mut revisions: Vec<Revision> = Vec::new();
    for revision in &history.revisions {
        let template = history.template_of(revision);
        let entry = Revision {
            number: number(revision),
            images: template::images(&template),
            created: created(&revision.metadata),
            change_cause: change_cause(&revision.metadata),
            current: Some(number(revision)) == current,
            template,
        };
        match revisions.last_mut() {
            Some(last) if last.number == entry.number => *last = entry,
            _ => revisions.push(entry),
        }
    }
    Ok(revisions)
}

pub(super) async fn undo(
    client: &kube::Client,
    kind: RollbackKind,
    namespace: &str,
    name: &str,
    to_revision: i64,
    dry_run: bool,
) -> Result<UndoOutcome, OpError> {
    let history = History::load(client, kind, namespace, name).await?;
    let target = history.find(to_revision)?;
    let revision = number(target);
    if history.runs(target) {
        return Ok(UndoOutcome::Skipped {
            revision,
            requested: to_revision,
        });
    }
    let workloads: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), namespace, &kind.api_resource());
    let params = PatchParams {
        dry_run,
        ..PatchParams::default()
    };
    workloads
        .patch(name, &params, &Patch::Strategic(&target.data.0))
        .await
        .map_err(|e| restoring_failed(to_revision, e))?;
    Ok(UndoOutcome::RolledBack { revision, dry_run })
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::runtime::RawExtension;

    fn revision(number: i64, image: &str) -> ControllerRevision {
        ControllerRevision {
            revision: Some(number),
            data: RawExtension(restoring_patch(&template(image))),
            ..ControllerRevision::default()
        }
    }

    fn template(image: &str) -> Value {
        json!({"metadata": {"labels": {"app": "db"}},
               "spec": {"containers": [{"name": "db", "image": image}]}})
    }

    fn history(image: &str, revisions: Vec<ControllerRevision>) -> History {
        let mut workload = DynamicObject::new("db", &RollbackKind::StatefulSet.api_resource());
        workload.data = json!({"spec": {"template": template(image)}});
        History {
            workload,
            revisions,
        }
    }

    #[test]
    fn revision_zero_is_the_one_before_the_highest() {
        let h = history("db:2", vec![revision(1, "db:1"), revision(2, "db:2")]);
        assert_eq!(h.find(0).map(number), Ok(1));
        assert_eq!(h.find(2).map(number), Ok(2));
        assert_eq!(
            h.find(3).map(number),
            Err(OpError::Refused(
                "unable to find specified revision 3 in history".into()
            ))
        );
        let h = history("db:1", vec![revision(1, "db:1")]);
        assert_eq!(
            h.find(0).map(number),
            Err(OpError::Refused("no last revision to roll back to".into()))
        );
    }

    #[test]
    fn the_workload_runs_the_revision_whose_patch_matches_its_template() {
        let h = history("db:2", vec![revision(1, "db:1"), revision(2, "db:2")]);
        assert!(!h.runs(&h.revisions[0]));
        assert!(h.runs(&h.revisions[1]));
        assert_eq!(h.template_of(&h.revisions[0]), template("db:1"));
    }

    #[test]
    fn a_patch_without_replace_is_merged_onto_the_current_template() {
        let mut partial = revision(1, "db:1");
        partial.data =
            RawExtension(json!({"spec": {"template": {"metadata": {"labels": {"tier": "x"}}}}}));
        let h = history("db:2", vec![partial]);
        let merged = h.template_of(&h.revisions[0]);
        assert_eq!(
            merged["metadata"]["labels"],
            json!({"app": "db", "tier": "x"})
        );
        assert_eq!(template::images(&merged), ["db:2"]);
    }
}
