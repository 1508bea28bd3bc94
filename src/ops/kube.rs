//! Kubernetes operations, executed the way kubectl executes them so that what the
//! engineer knows from kubectl stays true (DESIGN.md §6): scale through `/scale`, restart
//! through `kubectl.kubernetes.io/restartedAt`, a Job from a CronJob as `kubectl create
//! job --from`, a Velero Backup as `velero backup create --from-schedule`. Every plan is
//! the same request with `dryRun=All`, so the server refuses an invalid change before the
//! prompt.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Event, EventSource, Node, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, OwnerReference, Time};
use kube::api::{ApiResource, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::{Api, Client, Resource, ResourceExt};
use serde_json::{Value, json};

use super::rollback::{self, DiffLine, Revision};
use super::{OpError, Operation};
use crate::model::{KubeId, KubeKind};

/// Who we say changed things, in managedFields.
pub const FIELD_MANAGER: &str = "pilothouse";

/// kubectl's annotation on a Job made from a CronJob by hand.
const INSTANTIATE: &str = "cronjob.kubernetes.io/instantiate";
/// Velero's label naming the Schedule a Backup came from.
const SCHEDULE_NAME_LABEL: &str = "velero.io/schedule-name";
/// The pod template annotation `kubectl rollout restart` sets.
const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// What a plan found out, before anything changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KubePlan {
    /// What will change, line by line (`replicas: 3 → 5`).
    pub lines: Vec<String>,
    /// For rollbacks: every revision, newest first, and the diff to the chosen one.
    pub revisions: Vec<Revision>,
    pub diff: Vec<DiffLine>,
    /// The revision a rollback goes to (0 resolved to its number).
    pub chosen_revision: Option<i64>,
    /// The server's dry-run verdict (`passed`), for the dialog and the audit.
    pub dry_run: String,
}

/// What an executed operation left behind for verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Executed {
    /// A rollout that must finish: the object's generation after the change.
    Rollout { generation: i64 },
    /// A created Job or Backup, by name.
    Created { name: String },
    /// A deleted pod, by uid: done when no pod of that name has that uid.
    Deleted { uid: String },
    /// Nothing to wait for beyond reading the object back.
    Done,
}

/// Progress while verifying: a fraction for a bar, and words.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub fraction: Option<f64>,
    pub text: String,
}

fn velero_schedule() -> ApiResource {
    ApiResource {
        group: "velero.io".into(),
        version: "v1".into(),
        api_version: "velero.io/v1".into(),
        kind: "Schedule".into(),
        plural: "schedules".into(),
    }
}

fn velero_backup() -> ApiResource {
    ApiResource {
        group: "velero.io".into(),
        version: "v1".into(),
        api_version: "velero.io/v1".into(),
        kind: "Backup".into(),
        plural: "backups".into(),
    }
}

fn patch_params(dry_run: bool) -> PatchParams {
    PatchParams {
        dry_run,
        field_manager: Some(FIELD_MANAGER.into()),
        ..PatchParams::default()
    }
}

fn post_params(dry_run: bool) -> PostParams {
    PostParams {
        dry_run,
        field_manager: Some(FIELD_MANAGER.into()),
    }
}

fn namespaced<K>(client: &Client, id: &KubeId) -> Api<K>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    K::DynamicType: Default,
{
    Api::namespaced(client.clone(), &id.namespace)
}

/// Plan `op`: read what is there, say what will change, and send the change with
/// `dryRun=All`.
pub async fn plan(client: &Client, op: &Operation) -> Result<KubePlan, OpError> {
    let mut plan = send(client, op, true).await?.0;
    plan.dry_run = "passed".into();
    Ok(plan)
}

/// Execute `op` for real.
pub async fn execute(client: &Client, op: &Operation) -> Result<(Executed, String), OpError> {
    let (_, executed, said) = send(client, op, false).await?;
    Ok((executed, said))
}

/// The one path for plan and execute: the same request, dry or not, so a plan can never
/// check something other than what runs.
async fn send(
    client: &Client,
    op: &Operation,
    dry_run: bool,
) -> Result<(KubePlan, Executed, String), OpError> {
    let mut plan = KubePlan::default();
    match op {
        Operation::Scale { target, to, .. } => {
            let current = scale_replicas(client, target).await?;
            plan.lines.push(format!(
                "replicas: {current} → {to} (spec.replicas via /scale)"
            ));
            let patch = Patch::Merge(json!({"spec": {"replicas": to}}));
            let generation = match target.kind {
                KubeKind::Deployment => {
                    namespaced::<Deployment>(client, target)
                        .patch_scale(&target.name, &patch_params(dry_run), &patch)
                        .await?;
                    generation_of::<Deployment>(client, target).await?
                }
                KubeKind::StatefulSet => {
                    namespaced::<StatefulSet>(client, target)
                        .patch_scale(&target.name, &patch_params(dry_run), &patch)
                        .await?;
                    generation_of::<StatefulSet>(client, target).await?
                }
                other => return Err(wrong_kind("scale", other)),
            };
            let said = format!("scaled {} to {to}", op.target_ref());
            Ok((plan, Executed::Rollout { generation }, said))
        }
        Operation::Restart { target } => {
            let now = Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
            let patch = Patch::Strategic(json!({
                "spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}}
            }));
            plan.lines.push(format!(
                "pod template annotation {RESTARTED_AT} = {now}: every pod is replaced by a rolling update"
            ));
            let params = patch_params(dry_run);
            let generation = match target.kind {
                KubeKind::Deployment => {
                    let api = namespaced::<Deployment>(client, target);
                    let d = api.get(&target.name).await?;
                    if d.spec.paused == Some(true) {
                        return Err(OpError::Refused(format!(
                            "deployment {} is paused: resume it first (kubectl rollout resume deployment/{})",
                            target.name, target.name
                        )));
                    }
                    api.patch(&target.name, &params, &patch)
                        .await?
                        .metadata
                        .generation
                }
                KubeKind::StatefulSet => {
                    namespaced::<StatefulSet>(client, target)
                        .patch(&target.name, &params, &patch)
                        .await?
                        .metadata
                        .generation
                }
                KubeKind::DaemonSet => {
                    namespaced::<DaemonSet>(client, target)
                        .patch(&target.name, &params, &patch)
                        .await?
                        .metadata
                        .generation
                }
                other => return Err(wrong_kind("restart", other)),
            };
            let said = format!("restarted {}", op.target_ref());
            Ok((
                plan,
                Executed::Rollout {
                    generation: generation.unwrap_or_default(),
                },
                said,
            ))
        }
        Operation::Rollback {
            target,
            to_revision,
        } => {
            if dry_run {
                let revisions =
                    rollback::revisions(client, target.kind, &target.namespace, &target.name)
                        .await?;
                let chosen = choose_revision(&revisions, *to_revision)?;
                if let Some(current) = revisions.iter().find(|r| r.current) {
                    plan.diff = rollback::template_diff(&current.template, &chosen.template);
                    plan.lines.push(format!(
                        "revision {} → {} ({})",
                        current.number,
                        chosen.number,
                        chosen.images.join(", ")
                    ));
                }
                plan.chosen_revision = Some(chosen.number);
                plan.revisions = revisions;
            }
            let outcome = rollback::undo(
                client,
                target.kind,
                &target.namespace,
                &target.name,
                *to_revision,
                dry_run,
            )
            .await?;
            let generation = match target.kind {
                KubeKind::Deployment => generation_of::<Deployment>(client, target).await?,
                KubeKind::StatefulSet => generation_of::<StatefulSet>(client, target).await?,
                _ => generation_of::<DaemonSet>(client, target).await?,
            };
            Ok((plan, Executed::Rollout { generation }, outcome.to_string()))
        }
        Operation::RunCronJob { target } => {
            let cronjob = namespaced::<CronJob>(client, target)
                .get(&target.name)
                .await?;
            let job = job_from_cronjob(&cronjob, Timestamp::now());
            let name = job.name_any();
            plan.lines.push(format!(
                "create Job {name} from cronjob/{} (annotation {INSTANTIATE}: manual, owned by the CronJob)",
                target.name
            ));
            let created = namespaced::<Job>(client, target)
                .create(&post_params(dry_run), &job)
                .await?;
            let said = format!("created job/{}", created.name_any());
            Ok((plan, Executed::Created { name }, said))
        }
        Operation::RunSchedule { target } => {
            let schedules: Api<DynamicObject> =
                Api::namespaced_with(client.clone(), &target.namespace, &velero_schedule());
            let schedule = schedules.get(&target.name).await.map_err(|e| {
                if matches!(&e, kube::Error::Api(s) if s.code == 404) {
                    OpError::Refused(format!(
                        "no Velero schedule {} in {} (is Velero installed in {}?)",
                        target.name, target.namespace, target.context
                    ))
                } else {
                    e.into()
                }
            })?;
            let backup = backup_from_schedule(&schedule, Timestamp::now());
            let name = backup.name_any();
            plan.lines.push(format!(
                "create Velero Backup {name} from schedule/{} (its spec.template)",
                target.name
            ));
            let backups: Api<DynamicObject> =
                Api::namespaced_with(client.clone(), &target.namespace, &velero_backup());
            backups.create(&post_params(dry_run), &backup).await?;
            let said = format!("created backup/{name}");
            Ok((plan, Executed::Created { name }, said))
        }
        Operation::DeletePod { target } => {
            let api = namespaced::<Pod>(client, target);
            let pod = api.get(&target.name).await?;
            let owner = pod
                .owner_references()
                .iter()
                .find(|o| o.controller == Some(true))
                .map(|o| format!("{} {} replaces it", o.kind, o.name))
                .unwrap_or_else(|| "no controller owns it: it will NOT come back".into());
            plan.lines
                .push(format!("delete pod {}: {owner}", target.name));
            let params = DeleteParams {
                dry_run,
                ..DeleteParams::default()
            };
            api.delete(&target.name, &params).await?;
            let said = format!("deleted pod/{}", target.name);
            Ok((
                plan,
                Executed::Deleted {
                    uid: pod.uid().unwrap_or_default(),
                },
                said,
            ))
        }
        Operation::Cordon { target, cordon } => {
            let api: Api<Node> = Api::all(client.clone());
            let node = api.get(&target.name).await?;
            let now = node.spec.as_ref().and_then(|s| s.unschedulable) == Some(true);
            plan.lines.push(format!(
                "node {}: unschedulable {now} → {cordon}",
                target.name
            ));
            // As kubectl: the field is removed when schedulable again.
            let value = if *cordon { json!(true) } else { Value::Null };
            let patch = Patch::Strategic(json!({"spec": {"unschedulable": value}}));
            api.patch(&target.name, &patch_params(dry_run), &patch)
                .await?;
            let said = format!(
                "{} node/{}",
                if *cordon { "cordoned" } else { "uncordoned" },
                target.name
            );
            Ok((plan, Executed::Done, said))
        }
        Operation::Container { .. }
        | Operation::ContainerBackup { .. }
        | Operation::Silence { .. } => Err(OpError::Refused("not a Kubernetes operation".into())),
    }
}

fn wrong_kind(verb: &str, kind: KubeKind) -> OpError {
    OpError::Refused(format!("cannot {verb} a {}", kind.name()))
}

/// The revision `to` names among `revisions` (0: the one before the current).
fn choose_revision(revisions: &[Revision], to: i64) -> Result<&Revision, OpError> {
    if to == 0 {
        let current = revisions.iter().find(|r| r.current).map(|r| r.number);
        revisions
            .iter()
            .filter(|r| Some(r.number) != current)
            .max_by_key(|r| r.number)
            .ok_or_else(|| OpError::Refused("no rollout history found".into()))
    } else {
        revisions.iter().find(|r| r.number == to).ok_or_else(|| {
            OpError::Refused(format!("unable to find specified revision {to} in history"))
        })
    }
}

async fn scale_replicas(client: &Client, target: &KubeId) -> Result<i32, OpError> {
    let scale = match target.kind {
        KubeKind::Deployment => {
            namespaced::<Deployment>(client, target)
                .get_scale(&target.name)
                .await?
        }
        KubeKind::StatefulSet => {
            namespaced::<StatefulSet>(client, target)
                .get_scale(&target.name)
                .await?
        }
        other => return Err(wrong_kind("scale", other)),
    };
    Ok(scale.spec.and_then(|s| s.replicas).unwrap_or_default())
}

async fn generation_of<K>(client: &Client, target: &KubeId) -> Result<i64, OpError>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    K::DynamicType: Default,
{
    let object = namespaced::<K>(client, target).get(&target.name).await?;
    Ok(object.meta().generation.unwrap_or_default())
}

/// A Job name: the CronJob's, then `-manual-` and the time, within the 63 characters a
/// label value (`job-name`) may have.
fn manual_job_name(cronjob: &str, now: Timestamp) -> String {
    let suffix = format!("-manual-{}", now.strftime("%Y%m%d%H%M%S"));
    let keep = 63usize.saturating_sub(suffix.len());
    let stem: String = cronjob.chars().take(keep).collect();
    format!("{}{suffix}", stem.trim_end_matches('-'))
}

/// The Job `kubectl create job NAME --from=cronjob/X` makes: the job template's spec,
/// labels and annotations, the `instantiate: manual` annotation, and the CronJob as its
/// controller owner.
pub fn job_from_cronjob(cronjob: &CronJob, now: Timestamp) -> Job {
    let template = cronjob.spec.job_template.clone();
    let template_meta = template.metadata.unwrap_or_default();
    let mut annotations = BTreeMap::from([(INSTANTIATE.to_string(), "manual".to_string())]);
    annotations.extend(template_meta.annotations.unwrap_or_default());
    let owner = OwnerReference {
        api_version: "batch/v1".into(),
        kind: "CronJob".into(),
        name: cronjob.name_any(),
        uid: cronjob.uid().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    };
    Job {
        metadata: ObjectMeta {
            name: Some(manual_job_name(&cronjob.name_any(), now)),
            namespace: cronjob.namespace(),
            annotations: Some(annotations),
            labels: template_meta.labels,
            owner_references: Some(vec![owner]),
            ..ObjectMeta::default()
        },
        spec: template.spec,
        status: None,
    }
}

/// The Backup `velero backup create --from-schedule S` makes: named
/// `S-<yyyymmddhhmmss>`, the schedule's labels plus `velero.io/schedule-name`, the
/// schedule's `spec.template` as its spec.
pub fn backup_from_schedule(schedule: &DynamicObject, now: Timestamp) -> DynamicObject {
    let name = format!("{}-{}", schedule.name_any(), now.strftime("%Y%m%d%H%M%S"));
    let mut labels = schedule.labels().clone();
    labels.insert(SCHEDULE_NAME_LABEL.into(), schedule.name_any());
    let mut backup = DynamicObject::new(&name, &velero_backup());
    backup.metadata.namespace = schedule.namespace();
    backup.metadata.labels = Some(labels);
    backup.data = json!({
        "spec": schedule.data.get("spec").and_then(|s| s.get("template")).cloned().unwrap_or(json!({}))
    });
    backup
}

/// Wait until the world agrees with `op`, calling `progress` as it gets there. Returns
/// the final words (`3/3 replicas ready`, `job succeeded`); an error when it failed.
pub async fn verify(
    client: &Client,
    op: &Operation,
    executed: &Executed,
    mut progress: impl FnMut(Progress),
) -> Result<String, OpError> {
    let pause = std::time::Duration::from_millis(500);
    loop {
        match check(client, op, executed).await? {
            Check::Done(words) => return Ok(words),
            Check::Failed(words) => return Err(OpError::Failed(words)),
            Check::Waiting(p) => progress(p),
        }
        tokio::time::sleep(pause).await;
    }
}

enum Check {
    Done(String),
    Waiting(Progress),
    Failed(String),
}

fn waiting(done: i64, of: i64, text: String) -> Check {
    let fraction = if of > 0 {
        Some((done as f64 / of as f64).clamp(0.0, 1.0))
    } else {
        None
    };
    Check::Waiting(Progress { fraction, text })
}

async fn check(client: &Client, op: &Operation, executed: &Executed) -> Result<Check, OpError> {
    match (op, executed) {
        (
            Operation::Scale { target, .. }
            | Operation::Restart { target }
            | Operation::Rollback { target, .. },
            Executed::Rollout { generation },
        ) => rollout(client, target, *generation).await,
        (Operation::RunCronJob { target }, Executed::Created { name }) => {
            let job = namespaced::<Job>(client, target).get(name).await?;
            let status = job.status.unwrap_or_default();
            let condition = |kind: &str| {
                status
                    .conditions
                    .iter()
                    .flatten()
                    .any(|c| c.type_ == kind && c.status == "True")
            };
            if condition("Complete") {
                Ok(Check::Done(format!("job/{name} succeeded")))
            } else if condition("Failed") {
                Ok(Check::Failed(format!(
                    "job/{name} failed ({} failed pods)",
                    status.failed.unwrap_or_default()
                )))
            } else {
                Ok(Check::Waiting(Progress {
                    fraction: None,
                    text: format!(
                        "job/{name}: {} active, {} succeeded",
                        status.active.unwrap_or_default(),
                        status.succeeded.unwrap_or_default()
                    ),
                }))
            }
        }
        (Operation::RunSchedule { target }, Executed::Created { name }) => {
            let backups: Api<DynamicObject> =
                Api::namespaced_with(client.clone(), &target.namespace, &velero_backup());
            let backup = backups.get(name).await?;
            let status = backup.data.get("status");
            let phase = status
                .and_then(|s| s.get("phase"))
                .and_then(Value::as_str)
                .unwrap_or("New");
            let items = |key: &str| {
                status
                    .and_then(|s| s.get("progress"))
                    .and_then(|p| p.get(key))
                    .and_then(Value::as_i64)
                    .unwrap_or_default()
            };
            match phase {
                "Completed" => Ok(Check::Done(format!("backup/{name} completed"))),
                "Failed" | "PartiallyFailed" | "FailedValidation" => {
                    Ok(Check::Failed(format!("backup/{name}: {phase}")))
                }
                _ => Ok(waiting(
                    items("itemsBackedUp"),
                    items("totalItems"),
                    format!(
                        "backup/{name}: {phase}, {}/{} items",
                        items("itemsBackedUp"),
                        items("totalItems")
                    ),
                )),
            }
        }
        (Operation::DeletePod { target }, Executed::Deleted { uid }) => {
            match namespaced::<Pod>(client, target)
                .get_opt(&target.name)
                .await?
            {
                Some(pod) if pod.uid().as_deref() == Some(uid.as_str()) => {
                    Ok(Check::Waiting(Progress {
                        fraction: None,
                        text: format!("pod/{} terminating", target.name),
                    }))
                }
                _ => Ok(Check::Done(format!("pod/{} is gone", target.name))),
            }
        }
        (Operation::Cordon { target, cordon }, _) => {
            let node: Node = Api::all(client.clone()).get(&target.name).await?;
            let now = node.spec.and_then(|s| s.unschedulable) == Some(true);
            if now == *cordon {
                Ok(Check::Done(format!(
                    "node/{} is {}",
                    target.name,
                    if now { "unschedulable" } else { "schedulable" }
                )))
            } else {
                Ok(Check::Failed(format!(
                    "node/{} still reads unschedulable={now}",
                    target.name
                )))
            }
        }
        _ => Ok(Check::Done("done".into())),
    }
}

/// Rollout status as `kubectl rollout status` judges it.
async fn rollout(client: &Client, target: &KubeId, generation: i64) -> Result<Check, OpError> {
    let (observed, desired, updated, ready, available, total) = match target.kind {
        KubeKind::Deployment => {
            let d = namespaced::<Deployment>(client, target)
                .get(&target.name)
                .await?;
            let s = d.status.unwrap_or_default();
            (
                s.observed_generation.unwrap_or_default(),
                d.spec.replicas.unwrap_or(1) as i64,
                s.updated_replicas.unwrap_or_default() as i64,
                s.ready_replicas.unwrap_or_default() as i64,
                s.available_replicas.unwrap_or_default() as i64,
                s.replicas.unwrap_or_default() as i64,
            )
        }
        KubeKind::StatefulSet => {
            let o = namespaced::<StatefulSet>(client, target)
                .get(&target.name)
                .await?;
            let s = o.status.unwrap_or_default();
            let updated = if s.update_revision.is_some() && s.update_revision == s.current_revision
            {
                s.replicas as i64
            } else {
                s.updated_replicas.unwrap_or_default() as i64
            };
            (
                s.observed_generation.unwrap_or_default(),
                o.spec.replicas.unwrap_or(1) as i64,
                updated,
                s.ready_replicas.unwrap_or_default() as i64,
                s.available_replicas.unwrap_or_default() as i64,
                s.replicas as i64,
            )
        }
        KubeKind::DaemonSet => {
            let o = namespaced::<DaemonSet>(client, target)
                .get(&target.name)
                .await?;
            let s = o.status.unwrap_or_default();
            (
                s.observed_generation.unwrap_or_default(),
                s.desired_number_scheduled as i64,
                s.updated_number_scheduled.unwrap_or_default() as i64,
                s.number_ready as i64,
                s.number_available.unwrap_or_default() as i64,
                s.current_number_scheduled as i64,
            )
        }
        other => return Err(wrong_kind("roll out", other)),
    };
    if observed < generation {
        return Ok(waiting(
            0,
            desired,
            "waiting for the controller to see the change".into(),
        ));
    }
    let text = format!("{updated}/{desired} updated, {ready} ready, {available} available");
    if updated >= desired && available >= desired && total <= desired && ready >= desired {
        Ok(Check::Done(format!(
            "{} rolled out: {ready}/{desired} ready",
            target.name
        )))
    } else {
        Ok(waiting(updated.min(available), desired, text))
    }
}

/// Record the operation as an Event on its target, so others watching the cluster see
/// who did what. Failing to record is not failing the operation: the caller logs it.
pub async fn record_event(
    client: &Client,
    op: &Operation,
    message: &str,
    failed: bool,
) -> Result<(), OpError> {
    let (kind, api_version, namespace, name) = match (op, op.kube_target()) {
        (_, Some(target)) => (
            target.kind.name(),
            api_version_of(target.kind),
            target.namespace.clone(),
            target.name.clone(),
        ),
        (Operation::RunSchedule { target }, None) => (
            "Schedule",
            "velero.io/v1",
            target.namespace.clone(),
            target.name.clone(),
        ),
        _ => return Ok(()),
    };
    // Events of cluster-scoped objects (nodes) live in `default`, as kubelet's do.
    let event_namespace = if namespace.is_empty() {
        "default".to_string()
    } else {
        namespace.clone()
    };
    let now = Timestamp::now();
    let event = Event {
        metadata: ObjectMeta {
            name: Some(format!("{name}.{:x}", now.as_nanosecond())),
            namespace: Some(event_namespace.clone()),
            ..ObjectMeta::default()
        },
        involved_object: ObjectReference {
            kind: Some(kind.into()),
            api_version: Some(api_version.into()),
            namespace: (!namespace.is_empty()).then_some(namespace),
            name: Some(name),
            ..ObjectReference::default()
        },
        reason: Some(op.event_reason().into()),
        message: Some(message.into()),
        type_: Some(if failed { "Warning" } else { "Normal" }.into()),
        source: Some(EventSource {
            component: Some(FIELD_MANAGER.into()),
            host: None,
        }),
        reporting_component: Some(FIELD_MANAGER.into()),
        reporting_instance: Some(super::audit::local_host()),
        first_timestamp: Some(Time(now)),
        last_timestamp: Some(Time(now)),
        event_time: Some(MicroTime(now)),
        action: Some(op.verb().into()),
        count: Some(1),
        ..Event::default()
    };
    let api: Api<Event> = Api::namespaced(client.clone(), &event_namespace);
    api.create(&post_params(false), &event).await?;
    Ok(())
}

fn api_version_of(kind: KubeKind) -> &'static str {
    match kind {
        KubeKind::Deployment | KubeKind::StatefulSet | KubeKind::DaemonSet => "apps/v1",
        KubeKind::CronJob | KubeKind::Job => "batch/v1",
        KubeKind::Pod | KubeKind::Node => "v1",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_job_names_fit_a_label_value() {
        let now: Timestamp = "2026-11-22T03:04:05Z".parse().unwrap();
        assert_eq!(
            manual_job_name("postgres-backup", now),
            "postgres-backup-manual-20261122030405"
        );
        let long = "x".repeat(80);
        assert_eq!(manual_job_name(&long, now).len(), 63);
    }

    #[test]
    fn a_job_from_a_cronjob_is_what_kubectl_makes() {
        let cronjob: CronJob = serde_json::from_value(json!({
            "metadata": {"name": "pg-backup", "namespace": "shop", "uid": "u-1"},
            "spec": {"schedule": "0 2 * * *", "jobTemplate": {
                "metadata": {"labels": {"app": "pg"}, "annotations": {"team": "db"}},
                "spec": {"template": {"spec": {"containers": [{"name": "b", "image": "pg"}], "restartPolicy": "OnFailure"}}}
            }}
        }))
        .unwrap();
        let job = job_from_cronjob(&cronjob, "2026-11-22T03:04:05Z".parse().unwrap());
        let annotations = job.metadata.annotations.unwrap();
        assert_eq!(annotations[INSTANTIATE], "manual");
        assert_eq!(annotations["team"], "db");
        assert_eq!(job.metadata.labels.unwrap()["app"], "pg");
        let owner = &job.metadata.owner_references.unwrap()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.uid.as_str(), owner.controller),
            ("CronJob", "u-1", Some(true))
        );
        assert_eq!(job.metadata.namespace.as_deref(), Some("shop"));
        assert!(job.spec.unwrap().template.spec.is_some());
    }

    #[test]
    fn a_backup_from_a_schedule_copies_its_template_and_names_it() {
        let mut schedule = DynamicObject::new("daily-full", &velero_schedule()).within("velero");
        schedule.metadata.labels = Some(BTreeMap::from([("tier".into(), "db".into())]));
        schedule.data = json!({"spec": {"schedule": "0 1 * * *", "template": {"ttl": "168h0m0s", "includedNamespaces": ["shop"]}}});
        let backup = backup_from_schedule(&schedule, "2026-11-22T01:00:00Z".parse().unwrap());
        assert_eq!(backup.name_any(), "daily-full-20261122010000");
        assert_eq!(backup.labels()[SCHEDULE_NAME_LABEL], "daily-full");
        assert_eq!(backup.labels()["tier"], "db");
        assert_eq!(backup.data["spec"]["ttl"], "168h0m0s");
        assert_eq!(backup.metadata.namespace.as_deref(), Some("velero"));
    }
}
