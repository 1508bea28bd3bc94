//! The CronJob controller: a Job at each scheduled time (`<name>-<minutes since epoch>`, as
//! Kubernetes names them), concurrency policies, `lastScheduleTime`/`lastSuccessfulTime`,
//! and the successful/failed history limits.

use k8s_openapi::api::batch::v1::{CronJob, CronJobStatus, Job};
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

use super::build::owner_ref;
use super::cron::Schedule;
use super::events::{self, Involved, Source};
use super::job::finished;
use super::{Env, Timer};
use crate::sim::common::time::rfc3339_secs;
use crate::sim::kube::admission::Admission;
use crate::sim::kube::resources::Kind;

/// The Job a CronJob makes for `scheduled` (also used for the initial history), named
/// after that time on the simulated calendar; `stamp` is the timestamp written for it
/// (the same for history; see `sim::clock`).
pub fn job_for(cronjob: &CronJob, scheduled: jiff::Timestamp, stamp: jiff::Timestamp) -> Job {
    let spec = cronjob.spec.clone();
    let template = spec.job_template;
    let name = format!(
        "{}-{}",
        cronjob.metadata.name.as_deref().unwrap_or_default(),
        scheduled.as_second() / 60
    );
    let meta = template.metadata.unwrap_or_default();
    let mut annotations = meta.annotations.unwrap_or_default();
    annotations.insert(
        "batch.kubernetes.io/cronjob-scheduled-timestamp".into(),
        rfc3339_secs(stamp),
    );
    Job {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: cronjob.metadata.namespace.clone(),
            labels: meta.labels,
            annotations: Some(annotations),
            owner_references: Some(vec![owner_ref(cronjob)]),
            ..ObjectMeta::default()
        },
        spec: template.spec,
        status: None,
    }
}

fn reference(job: &Job) -> ObjectReference {
    ObjectReference {
        api_version: Some("batch/v1".into()),
        kind: Some("Job".into()),
        name: job.metadata.name.clone(),
        namespace: job.metadata.namespace.clone(),
        uid: job.metadata.uid.clone(),
        resource_version: job.metadata.resource_version.clone(),
        field_path: None,
    }
}

pub fn reconcile(env: &mut Env, namespace: &str, name: &str) {
    let Some(cronjob) = env.store.get_typed::<CronJob>(namespace, name) else {
        return;
    };
    if cronjob.metadata.deletion_timestamp.is_some() {
        return;
    }
    let spec = cronjob.spec.clone();
    let Ok(schedule) = Schedule::parse(&spec.schedule) else {
        return;
    };
    let uid = cronjob.metadata.uid.clone().unwrap_or_default();
    let mut jobs: Vec<Job> = env
        .store
        .owned_by(Kind::Job, &uid)
        .iter()
        .filter_map(|o| o.parse().ok())
        .collect();
    jobs.sort_by_key(|j| j.metadata.creation_timestamp.clone());
    let mut status = cronjob.status.clone().unwrap_or_default();
    let source = Source::Controller("cronjob-controller");

    // Schedules run on the simulated calendar; objects hold stamps (see `sim::clock`).
    let map = env.cluster.clock.map();
    let today = map.calendar(env.secs);
    let last = status
        .last_schedule_time
        .as_ref()
        .or(cronjob.metadata.creation_timestamp.as_ref())
        .map_or(today, |t| map.stamp_to_calendar(t.0));
    let next = schedule.next_after(last);
    if let Some(due) = next.filter(|t| *t <= today)
        && spec.suspend != Some(true)
    {
        // Missed runs collapse into the latest one, as after a controller restart.
        let due = schedule.last_at_or_before(today, 86_400 * 7).unwrap_or(due);
        let due_stamp = map.calendar_to_stamp(due);
        let running: Vec<&Job> = jobs.iter().filter(|j| finished(j).is_none()).collect();
        let policy = spec.concurrency_policy.as_deref().unwrap_or("Allow");
        let skip = policy == "Forbid" && !running.is_empty();
        if policy == "Replace" {
            for j in &running {
                let job_name = j.metadata.name.clone().unwrap_or_default();
                env.store.delete(Kind::Job, namespace, &job_name);
                events::normal(
                    env,
                    Involved::of(&cronjob),
                    source,
                    "SuccessfulDelete",
                    &format!("Deleted job {job_name}"),
                );
            }
        }
        if skip {
            events::normal(
                env,
                Involved::of(&cronjob),
                source,
                "JobAlreadyActive",
                "Not starting job because prior execution is running and concurrency policy is Forbid",
            );
        } else {
            let mut job = job_for(&cronjob, due, due_stamp);
            job.metadata.uid = Some(env.store.new_uid());
            job.apply_defaults();
            let job_name = job.metadata.name.clone().unwrap_or_default();
            if let Ok(created) = env.store.create(job) {
                events::normal(
                    env,
                    Involved::of(&cronjob),
                    source,
                    "SuccessfulCreate",
                    &format!("Created job {job_name}"),
                );
                jobs.push(created);
            }
        }
        status.last_schedule_time = Some(Time(due_stamp));
    }
    jobs.sort_by_key(|j| j.metadata.creation_timestamp.clone());
    // History limits: the oldest finished Jobs beyond them are deleted.
    let limits = [
        (true, spec.successful_jobs_history_limit.unwrap_or(3)),
        (false, spec.failed_jobs_history_limit.unwrap_or(1)),
    ];
    for (succeeded, limit) in limits {
        let done: Vec<&Job> = jobs
            .iter()
            .filter(|j| finished(j) == Some(succeeded))
            .collect();
        let excess = done.len().saturating_sub(limit.max(0) as usize);
        for j in &done[..excess] {
            let job_name = j.metadata.name.clone().unwrap_or_default();
            env.store.delete(Kind::Job, namespace, &job_name);
            events::normal(
                env,
                Involved::of(&cronjob),
                source,
                "SuccessfulDelete",
                &format!("Deleted job {job_name}"),
            );
        }
    }
    let active: Vec<ObjectReference> = jobs
        .iter()
        .filter(|j| finished(j).is_none())
        .filter(|j| {
            env.store
                .get(
                    Kind::Job,
                    namespace,
                    j.metadata.name.as_deref().unwrap_or_default(),
                )
                .is_some()
        })
        .map(reference)
        .collect();
    status.active = (!active.is_empty()).then_some(active);
    status.last_successful_time = jobs
        .iter()
        .filter(|j| finished(j) == Some(true))
        .filter_map(|j| j.status.as_ref()?.completion_time.clone())
        .max()
        .or(status.last_successful_time);
    if cronjob.status.as_ref() != Some(&status) && status != CronJobStatus::default() {
        let mut updated = cronjob;
        updated.status = Some(status.clone());
        let _ = env.store.update(updated);
    }
    // Wake at the next scheduled time.
    let after = status
        .last_schedule_time
        .as_ref()
        .map_or(today, |t| map.stamp_to_calendar(t.0))
        .max(today);
    if let Some(next) = schedule.next_after(after) {
        let wait = map.calendar_secs(next) - env.secs;
        let key: Box<str> = format!("{namespace}/{name}").into();
        env.sched.once(
            env.secs + wait.max(0.0) + 0.5,
            Timer::Reconcile(Kind::CronJob, key),
        );
    }
}
