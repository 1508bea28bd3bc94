//! The Job controller: run pods until `completions` succeed (Complete) or more than
//! `backoffLimit` fail (Failed, BackoffLimitExceeded).

use k8s_openapi::api::batch::v1::{Job, JobCondition, JobStatus, UncountedTerminatedPods};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::build::{owner_ref, pod_from_template};
use super::events::{self, Involved, Source};
use super::{Env, lifecycle};
use crate::sim::kube::object::Phase;
use crate::sim::kube::resources::Kind;

fn condition(kind: &str, reason: &str, message: &str, now: &Time) -> JobCondition {
    JobCondition {
        type_: kind.into(),
        status: "True".into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
        last_probe_time: Some(now.clone()),
        last_transition_time: Some(now.clone()),
    }
}

/// Whether a Job has finished (Complete or Failed).
pub fn finished(job: &Job) -> Option<bool> {
    let conditions = job.status.as_ref()?.conditions.as_ref()?;
    if conditions
        .iter()
        .any(|c| c.type_ == "Complete" && c.status == "True")
    {
        Some(true)
    } else if conditions
        .iter()
        .any(|c| c.type_ == "Failed" && c.status == "True")
    {
        Some(false)
    } else {
        None
    }
}

pub fn reconcile(env: &mut Env, namespace: &str, name: &str) {
    let Some(job) = env.store.get_typed::<Job>(namespace, name) else {
        return;
    };
    if job.metadata.deletion_timestamp.is_some() || finished(&job).is_some() {
        return;
    }
    let spec = job.spec.clone().unwrap_or_default();
    if spec.suspend == Some(true) {
        return;
    }
    let uid = job.metadata.uid.clone().unwrap_or_default();
    let pods = env.store.owned_by(Kind::Pod, &uid);
    let succeeded = pods
        .iter()
        .filter(|p| p.summary.phase == Phase::Succeeded)
        .count() as i32;
    let failed = pods
        .iter()
        .filter(|p| p.summary.phase == Phase::Failed)
        .count() as i32;
    let active: Vec<_> = pods
        .iter()
        .filter(|p| !p.summary.phase.finished() && !p.summary.terminating)
        .collect();
    let ready = active.iter().filter(|p| p.summary.ready).count() as i32;
    let completions = spec.completions.unwrap_or(1);
    let backoff_limit = spec.backoff_limit.unwrap_or(6);
    let now = Time(env.now);
    let old = job.status.clone().unwrap_or_default();
    let mut status = JobStatus {
        start_time: old.start_time.clone().or(Some(now.clone())),
        active: Some(active.len() as i32),
        ready: Some(ready),
        succeeded: Some(succeeded),
        failed: Some(failed),
        terminating: Some(0),
        uncounted_terminated_pods: Some(UncountedTerminatedPods::default()),
        ..JobStatus::default()
    };
    let mut active_count = active.len() as i32;
    if succeeded >= completions {
        status.completion_time = Some(now.clone());
        status.active = Some(0);
        status.ready = Some(0);
        status.conditions = Some(vec![
            condition(
                "SuccessCriteriaMet",
                "CompletionsReached",
                "Reached expected number of succeeded pods",
                &now,
            ),
            condition(
                "Complete",
                "CompletionsReached",
                "Reached expected number of succeeded pods",
                &now,
            ),
        ]);
        events::normal(
            env,
            Involved::of(&job),
            Source::Controller("job-controller"),
            "Completed",
            "Job completed",
        );
    } else if failed > backoff_limit {
        for p in &active {
            let _ = lifecycle::begin_deletion(env.store, Kind::Pod, namespace, p.name(), None);
        }
        status.active = Some(0);
        status.ready = Some(0);
        let message = "Job has reached the specified backoff limit";
        status.conditions = Some(vec![
            condition("FailureTarget", "BackoffLimitExceeded", message, &now),
            condition("Failed", "BackoffLimitExceeded", message, &now),
        ]);
        events::warning(
            env,
            Involved::of(&job),
            Source::Controller("job-controller"),
            "BackoffLimitExceeded",
            message,
        );
    } else {
        let parallelism = spec.parallelism.unwrap_or(1);
        let wanted = parallelism.min(completions - succeeded);
        while active_count < wanted {
            let pod_name = format!("{name}-{}", env.store.rng().suffix(5));
            let pod = pod_from_template(&spec.template, namespace, &pod_name, owner_ref(&job));
            if env.store.create(pod).is_err() {
                break;
            }
            active_count += 1;
            let message = format!("Created pod: {pod_name}");
            events::normal(
                env,
                Involved::of(&job),
                Source::Controller("job-controller"),
                "SuccessfulCreate",
                &message,
            );
        }
        status.active = Some(active_count);
        status.conditions = old.conditions.clone();
    }
    if job.status.as_ref() != Some(&status) {
        let mut job = job;
        job.status = Some(status);
        let _ = env.store.update(job);
    }
}
