//! Rollback of Deployments, StatefulSets and DaemonSets, done exactly as
//! `kubectl rollout undo` does it (kubectl `pkg/polymorphichelpers/rollback.go` and
//! `history.go`), so that what an engineer knows from kubectl stays true here:
//!
//! - a Deployment's history is the ReplicaSets it controls, numbered by their
//!   `deployment.kubernetes.io/revision`; rolling back copies the chosen ReplicaSet's pod
//!   template (without `pod-template-hash`) and annotations into the Deployment with one
//!   JSON patch;
//! - a StatefulSet's or DaemonSet's history is the ControllerRevisions it controls; each
//!   holds the strategic merge patch that restores its template, sent back as is.
//!
//! Revision 0 means the one before the newest; a rollback to the template the workload
//! already runs is skipped. With `dry_run` the same request goes with `dryRun=All`: the
//! server validates it and changes nothing.

mod deployment;
mod diff;
mod history;
mod template;

use std::fmt;

use kube::api::{ApiResource, DynamicObject};
use kube::core::ObjectMeta;
use serde_json::Value;

pub use diff::{DiffKind, DiffLine, template_diff};

use crate::model::KubeKind;
use crate::ops::OpError;

/// The kinds that have a rollout history to go back in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RollbackKind {
    Deployment,
    StatefulSet,
    DaemonSet,
}

impl TryFrom<KubeKind> for RollbackKind {
    type Error = OpError;

    /// Refused for kinds kubectl has no rollbacker for (CronJobs, Jobs, Pods, Nodes).
    fn try_from(kind: KubeKind) -> Result<RollbackKind, OpError> {
        match kind {
            KubeKind::Deployment => Ok(RollbackKind::Deployment),
            KubeKind::StatefulSet => Ok(RollbackKind::StatefulSet),
            KubeKind::DaemonSet => Ok(RollbackKind::DaemonSet),
            other => Err(OpError::Refused(format!(
                "a {} has no revisions to roll back to",
                other.name()
            ))),
        }
    }
}

impl RollbackKind {
    /// The API resource of this kind (all are `apps/v1`).
    fn api_resource(self) -> ApiResource {
        use k8s_openapi::api::apps::v1 as apps;
        match self {
            RollbackKind::Deployment => ApiResource::erase::<apps::Deployment>(&()),
            RollbackKind::StatefulSet => ApiResource::erase::<apps::StatefulSet>(&()),
            RollbackKind::DaemonSet => ApiResource::erase::<apps::DaemonSet>(&()),
        }
    }
}

/// One revision of a workload's rollout history.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub number: i64,
    /// The images of the template's containers, in order.
    pub images: Vec<String>,
    /// When the ReplicaSet or ControllerRevision holding this revision was created.
    pub created: Option<jiff::Timestamp>,
    /// `kubernetes.io/change-cause` of the ReplicaSet or ControllerRevision.
    pub change_cause: Option<String>,
    /// The workload's template is this revision's: rolling back to it would be skipped.
    pub current: bool,
    /// The pod template of this revision; for Deployments without the
    /// `pod-template-hash` label, as a rollback would write it.
    pub template: Value,
}

/// What a rollback did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UndoOutcome {
    /// The workload's template is now that of `revision` (with `dry_run`: the server
    /// accepted the change and nothing changed).
    RolledBack { revision: i64, dry_run: bool },
    /// Nothing was sent: the workload already runs `revision`'s template. `requested` is
    /// the revision asked for (0: the previous one), which kubectl's message names.
    Skipped { revision: i64, requested: i64 },
}

impl fmt::Display for UndoOutcome {
    /// kubectl's words after `deployment.apps/NAME `.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UndoOutcome::RolledBack { dry_run: false, .. } => write!(f, "rolled back"),
            UndoOutcome::RolledBack { dry_run: true, .. } => {
                write!(f, "rolled back (server dry run)")
            }
            UndoOutcome::Skipped { requested, .. } => write!(
                f,
                "skipped rollback (current template already matches revision {requested})"
            ),
        }
    }
}

/// Every revision of the workload, newest first.
pub async fn revisions(
    client: &kube::Client,
    kind: KubeKind,
    namespace: &str,
    name: &str,
) -> Result<Vec<Revision>, OpError> {
    let mut revisions = match RollbackKind::try_from(kind)? {
        RollbackKind::Deployment => deployment::revisions(client, namespace, name).await?,
        kind => history::revisions(client, kind, namespace, name).await?,
    };
    revisions.sort_by_key(|r| std::cmp::Reverse(r.number));
    Ok(revisions)
}

/// Roll back exactly as `kubectl rollout undo --to-revision=N` (0: the revision before
/// the newest). With `dry_run`, the same request with `dryRun=All`: validated by the
/// server, nothing changes.
pub async fn undo(
    client: &kube::Client,
    kind: KubeKind,
    namespace: &str,
    name: &str,
    to_revision: i64,
    dry_run: bool,
) -> Result<UndoOutcome, OpError> {
    if to_revision < 0 {
        return Err(revision_not_found(to_revision));
    }
    match RollbackKind::try_from(kind)? {
        RollbackKind::Deployment => {
            deployment::undo(client, namespace, name, to_revision, dry_run).await
        }
        kind => history::undo(client, kind, namespace, name, to_revision, dry_run).await,
    }
}

/// kubectl's words for a revision that is not in the history.
fn revision_not_found(revision: i64) -> OpError {
    OpError::Refused(format!(
        "unable to find specified revision {revision} in history"
    ))
}

/// Say which revision a failed restoring request was for, as kubectl does, keeping what
/// kind of failure it was (a 403 stays `Forbidden`).
fn restoring_failed(revision: i64, error: kube::Error) -> OpError {
    let prefix = format!("failed restoring revision {revision}");
    match OpError::from(error) {
        OpError::Forbidden(m) => OpError::Forbidden(format!("{prefix}: {m}")),
        OpError::Refused(m) => OpError::Refused(format!("{prefix}: {m}")),
        OpError::Failed(m) => OpError::Failed(format!("{prefix}: {m}")),
        OpError::ReadOnly(m) => OpError::ReadOnly(m),
    }
}

/// `meta` has a controller owner reference to the object with `owner_uid`
/// (apimachinery's `IsControlledBy`): owned but not controlled objects are not history.
fn controlled_by(meta: &ObjectMeta, owner_uid: &str) -> bool {
    meta.owner_references
        .iter()
        .flatten()
        .any(|r| r.controller == Some(true) && r.uid == owner_uid)
}

/// The label selector of a workload's `spec.selector`, for listing its history.
fn label_selector(workload: &DynamicObject) -> Result<kube::core::Selector, OpError> {
    let name = workload.metadata.name.as_deref().unwrap_or_default();
    let invalid = |why: String| OpError::Failed(format!("invalid selector of {name}: {why}"));
    let selector: k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector =
        serde_json::from_value(workload.data["spec"]["selector"].clone())
            .map_err(|e| invalid(e.to_string()))?;
    kube::core::Selector::try_from(selector).map_err(|e| invalid(e.to_string()))
}

fn created(meta: &ObjectMeta) -> Option<jiff::Timestamp> {
    meta.creation_timestamp.as_ref().map(|t| t.0)
}

fn change_cause(meta: &ObjectMeta) -> Option<String> {
    meta.annotations
        .as_ref()?
        .get("kubernetes.io/change-cause")
        .filter(|cause| !cause.is_empty())
        .cloned()
}
