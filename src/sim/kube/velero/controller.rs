//! What velero's server does, in simulated time: a new Backup is taken up (`InProgress`,
//! its expiration set from its ttl), writes its items over a run time that grows with
//! them, then ends `Completed` (or as the sim's outcome annotation says) and marks its
//! Schedule's `lastBackup`; a Schedule fires a Backup `<schedule>-<YYYYMMDDhhmmss>` at
//! each cron time, as velero names them.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};

use super::types::{Backup, BackupProgress, BackupStatus, Schedule, ScheduleStatus};
use super::{
    DEFAULT_STORAGE_LOCATION, DEFAULT_TTL, OUTCOME_ANNOTATION, SCHEDULE_NAME_LABEL,
    STORAGE_LOCATION_LABEL, parse_duration,
};
use crate::sim::kube::controllers::cron;
use crate::sim::kube::controllers::{Env, Timer};
use crate::sim::kube::resources::Kind;
use crate::sim::kube::store::Store;

/// How often a running Backup reports its progress (simulated seconds).
const PROGRESS_STEP: f64 = 5.0;

/// Simulated seconds a Backup of `items` objects takes: velero writes a few hundred
/// items a minute with snapshots off.
pub fn run_secs(items: i32) -> f64 {
    (8.0 + f64::from(items) * 0.2).min(600.0)
}

/// The objects a Backup of `namespaces` (all when empty or `*`) would write.
pub fn count_items(store: &Store, namespaces: Option<&[String]>) -> i32 {
    let all = namespaces.is_none_or(|n| n.is_empty() || n.iter().any(|n| n == "*"));
    let mut count = 0usize;
    for kind in Kind::STORED {
        let resource = kind.resource();
        // Velero skips Events and Leases by default and never backs up its own objects.
        if !resource.namespaced || matches!(kind, Kind::Event | Kind::Lease) {
            continue;
        }
        if resource.group == crate::sim::kube::resources::VELERO_GROUP {
            continue;
        }
        if all {
            count += store.count(kind);
        } else {
            for ns in namespaces.into_iter().flatten() {
                count += store.list(kind, Some(ns), None).count();
            }
        }
    }
    // Each namespace is an item too.
    let namespace_items = if all {
        store.count(Kind::Namespace)
    } else {
        namespaces.map_or(0, <[String]>::len)
    };
    i32::try_from(count + namespace_items).unwrap_or(i32::MAX)
}

fn plus(t: Timestamp, secs: f64) -> Timestamp {
    t.checked_add(SignedDuration::from_secs_f64(secs))
        .unwrap_or(t)
}

fn key(namespace: &str, name: &str) -> Box<str> {
    format!("{namespace}/{name}").into()
}

/// The `velero.io/v1` Backup's ttl in seconds (the default when unset or unreadable).
fn ttl_secs(backup: &Backup) -> f64 {
    backup
        .spec
        .ttl
        .as_deref()
        .and_then(parse_duration)
        .or_else(|| parse_duration(DEFAULT_TTL))
        .unwrap_or(0.0)
}

pub fn reconcile_backup(env: &mut Env, namespace: &str, name: &str) {
    let Some(backup) = env.store.get_typed::<Backup>(namespace, name) else {
        return;
    };
    if backup.metadata.deletion_timestamp.is_some() {
        return;
    }
    let phase = backup
        .status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_default();
    match phase.as_str() {
        "" | "New" => start(env, backup),
        "InProgress" => advance(env, backup),
        _ => {}
    }
}

/// Take a new Backup up: fill in what velero's server defaults, and start it.
fn start(env: &mut Env, mut backup: Backup) {
    let namespace = backup.metadata.namespace.clone().unwrap_or_default();
    let name = backup.metadata.name.clone().unwrap_or_default();
    backup.spec.ttl.get_or_insert_with(|| DEFAULT_TTL.into());
    let location = backup
        .spec
        .storage_location
        .get_or_insert_with(|| DEFAULT_STORAGE_LOCATION.into())
        .clone();
    backup
        .metadata
        .labels
        .get_or_insert_with(BTreeMap::new)
        .entry(STORAGE_LOCATION_LABEL.into())
        .or_insert(location);
    let total = count_items(env.store, backup.spec.included_namespaces.as_deref());
    let created = backup
        .metadata
        .creation_timestamp
        .as_ref()
        .map_or(env.now, |t| t.0);
    backup.status = Some(BackupStatus {
        version: Some(1),
        format_version: Some("1.1.0".into()),
        phase: Some("InProgress".into()),
        start_timestamp: Some(Time(env.now)),
        expiration: Some(Time(plus(created, ttl_secs(&backup)))),
        progress: Some(BackupProgress {
            total_items: Some(total),
            items_backed_up: Some(0),
        }),
        ..BackupStatus::default()
    });
    if env.store.update(backup).is_ok() {
        let step = PROGRESS_STEP.min(run_secs(total));
        env.sched.once(
            env.secs + step,
            Timer::Reconcile(Kind::Backup, key(&namespace, &name)),
        );
    }
}

/// Report progress, or finish when the run time is up.
fn advance(env: &mut Env, mut backup: Backup) {
    let namespace = backup.metadata.namespace.clone().unwrap_or_default();
    let name = backup.metadata.name.clone().unwrap_or_default();
    let Some(status) = backup.status.as_mut() else {
        return;
    };
    let map = env.cluster.clock.map();
    let started = status
        .start_timestamp
        .as_ref()
        .map_or(env.secs, |t| map.secs_at(t.0));
    let total = status
        .progress
        .as_ref()
        .and_then(|p| p.total_items)
        .unwrap_or(0);
    let run = run_secs(total);
    let elapsed = env.secs - started;
    if elapsed >= run {
        let outcome = backup
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(OUTCOME_ANNOTATION))
            .cloned()
            .unwrap_or_default();
        finish(env, backup, &outcome);
        return;
    }
    let done = (f64::from(total) * elapsed / run).floor() as i32;
    let progress = status.progress.get_or_insert_with(Default::default);
    if progress.items_backed_up != Some(done) {
        progress.items_backed_up = Some(done);
        let _ = env.store.update(backup);
    }
    let next = (env.secs + PROGRESS_STEP).min(started + run);
    env.sched
        .once(next, Timer::Reconcile(Kind::Backup, key(&namespace, &name)));
}

/// End a Backup (`Completed` unless `outcome` says otherwise) and tell its Schedule.
fn finish(env: &mut Env, mut backup: Backup, outcome: &str) {
    let status = backup.status.get_or_insert_with(Default::default);
    let total = status
        .progress
        .as_ref()
        .and_then(|p| p.total_items)
        .unwrap_or(0);
    let (phase, written) = match outcome {
        "Failed" => {
            status.failure_reason = Some(
                "rpc error: code = Unavailable desc = error writing backup to object storage"
                    .into(),
            );
            status.errors = Some(1);
            ("Failed", total / 2)
        }
        "PartiallyFailed" => {
            status.errors = Some(2);
            status.warnings = Some(1);
            ("PartiallyFailed", total.saturating_sub(2).max(0))
        }
        _ => ("Completed", total),
    };
    status.phase = Some(phase.into());
    status.completion_timestamp = Some(Time(env.now));
    status.progress = Some(BackupProgress {
        total_items: Some(total),
        items_backed_up: Some(written),
    });
    let namespace = backup.metadata.namespace.clone().unwrap_or_default();
    let schedule = backup
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(SCHEDULE_NAME_LABEL))
        .cloned();
    if env.store.update(backup).is_err() {
        return;
    }
    if let Some(schedule) = schedule
        && let Some(mut object) = env.store.get_typed::<Schedule>(&namespace, &schedule)
    {
        object
            .status
            .get_or_insert_with(ScheduleStatus::default)
            .last_backup = Some(Time(env.now));
        let _ = env.store.update(object);
    }
}

/// The Backup a Schedule makes, as velero's `BackupBuilder::FromSchedule` does: the
/// template's labels (else the Schedule's) plus the schedule name, its annotations, and
/// an owner reference when the Schedule asks for one.
pub fn backup_from(schedule: &Schedule, name: String) -> Backup {
    let meta = &schedule.metadata;
    let mut labels = schedule
        .spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .or_else(|| meta.labels.clone())
        .unwrap_or_default();
    let schedule_name = meta.name.clone().unwrap_or_default();
    labels.insert(SCHEDULE_NAME_LABEL.into(), schedule_name.clone());
    let owner = (schedule.spec.use_owner_references_in_backup == Some(true)).then(|| {
        vec![OwnerReference {
            api_version: super::types::API_VERSION.into(),
            kind: "Schedule".into(),
            name: schedule_name,
            uid: meta.uid.clone().unwrap_or_default(),
            controller: Some(true),
            block_owner_deletion: None,
        }]
    });
    Backup {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: meta.namespace.clone(),
            labels: Some(labels),
            annotations: meta.annotations.clone(),
            owner_references: owner,
            ..ObjectMeta::default()
        },
        spec: schedule.spec.template.clone(),
        ..Backup::default()
    }
}

/// velero's name for a scheduled Backup: `<schedule>-<YYYYMMDDhhmmss>` (UTC).
pub fn scheduled_name(schedule: &str, at: Timestamp) -> String {
    format!("{schedule}-{}", at.strftime("%Y%m%d%H%M%S"))
}

pub fn reconcile_schedule(env: &mut Env, namespace: &str, name: &str) {
    let Some(schedule) = env.store.get_typed::<Schedule>(namespace, name) else {
        return;
    };
    if schedule.metadata.deletion_timestamp.is_some() {
        return;
    }
    let mut status = schedule.status.clone().unwrap_or_default();
    let cron = match cron::Schedule::parse(&schedule.spec.schedule) {
        Ok(c) => c,
        Err(e) => {
            status.phase = Some("FailedValidation".into());
            status.validation_errors = Some(vec![format!("invalid schedule: {e}")]);
            save_status(env, schedule, status);
            return;
        }
    };
    status.phase = Some("Enabled".into());
    status.validation_errors = None;
    // Schedules run on the simulated calendar; objects hold stamps (see `sim::clock`).
    let map = env.cluster.clock.map();
    let today = map.calendar(env.secs);
    let last = status
        .last_backup
        .as_ref()
        .or(schedule.metadata.creation_timestamp.as_ref())
        .map_or(today, |t| map.stamp_to_calendar(t.0));
    let paused = schedule.spec.paused == Some(true);
    if !paused && let Some(due) = cron.next_after(last).filter(|t| *t <= today) {
        // Missed runs collapse into the latest one, as velero does after a restart.
        let due = cron.last_at_or_before(today, 86_400 * 7).unwrap_or(due);
        let backup = backup_from(&schedule, scheduled_name(name, due));
        if env.store.create(backup).is_ok() {
            status.last_backup = Some(Time(map.calendar_to_stamp(due)));
        }
    }
    let after = status
        .last_backup
        .as_ref()
        .map_or(today, |t| map.stamp_to_calendar(t.0))
        .max(today);
    save_status(env, schedule, status);
    if let Some(next) = cron.next_after(after) {
        let wait = map.calendar_secs(next) - env.secs;
        env.sched.once(
            env.secs + wait.max(0.0) + 0.5,
            Timer::Reconcile(Kind::Schedule, key(namespace, name)),
        );
    }
}

fn save_status(env: &mut Env, mut schedule: Schedule, status: ScheduleStatus) {
    if schedule.status.as_ref() != Some(&status) {
        schedule.status = Some(status);
        let _ = env.store.update(schedule);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::kube::velero::types::{BackupMetadata, BackupSpec};

    #[test]
    fn a_scheduled_backup_is_named_and_labelled_as_velero_does() {
        let mut schedule = Schedule::default();
        schedule.metadata.name = Some("daily-full".into());
        schedule.metadata.namespace = Some("velero".into());
        schedule.spec.template = BackupSpec {
            metadata: Some(BackupMetadata {
                labels: Some([("tier".to_string(), "gold".to_string())].into()),
            }),
            ttl: Some("168h0m0s".into()),
            ..BackupSpec::default()
        };
        let at: Timestamp = "2026-11-22T01:00:00Z".parse().expect("time");
        let name = scheduled_name("daily-full", at);
        assert_eq!(name, "daily-full-20261122010000");
        let backup = backup_from(&schedule, name);
        let labels = backup.metadata.labels.expect("labels");
        assert_eq!(labels[SCHEDULE_NAME_LABEL], "daily-full");
        assert_eq!(labels["tier"], "gold");
        assert_eq!(backup.spec.ttl.as_deref(), Some("168h0m0s"));
        assert!(backup.metadata.owner_references.is_none());
    }

    #[test]
    fn a_schedule_fires_a_backup_that_completes_and_marks_the_schedule() {
        use crate::sim::clock::SimClock;
        use crate::sim::kube::cluster::Cluster;
        use crate::sim::kube::controllers::Controllers;
        use crate::sim::kube::logs::Profiles;

        // Fast, so a run of a few simulated seconds takes milliseconds.
        let cluster = Cluster::new("prod", SimClock::new(1000.0), 1, Profiles::default(), true);
        {
            let mut store = cluster.store();
            let now = store.clock().now();
            let mut schedule = Schedule::default();
            schedule.metadata.name = Some("hourly".into());
            schedule.metadata.namespace = Some("velero".into());
            schedule.metadata.creation_timestamp = Some(Time(
                now.checked_sub(SignedDuration::from_hours(2))
                    .expect("time"),
            ));
            schedule.spec.schedule = "0 * * * *".into();
            schedule.spec.template.ttl = Some("1h0m0s".into());
            store.create(schedule).expect("create");
            store.take_changes();
        }
        let mut controllers = Controllers::new(cluster.clone(), None, 1, Default::default());
        controllers.start();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let backup = loop {
            controllers.tick();
            let done = cluster
                .store()
                .list(Kind::Backup, Some("velero"), None)
                .filter_map(|o| o.parse::<Backup>().ok())
                .find(|b| b.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Completed"));
            if let Some(done) = done {
                break done;
            }
            assert!(std::time::Instant::now() < deadline, "no completed backup");
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        let name = backup.metadata.name.clone().unwrap_or_default();
        let stamp = name
            .strip_prefix("hourly-")
            .expect("named after the schedule");
        assert!(stamp.len() == 14 && stamp.ends_with("0000"), "{name}");
        let labels = backup.metadata.labels.clone().unwrap_or_default();
        assert_eq!(labels[SCHEDULE_NAME_LABEL], "hourly");
        assert_eq!(labels[STORAGE_LOCATION_LABEL], DEFAULT_STORAGE_LOCATION);
        let status = backup.status.expect("status");
        let created = backup.metadata.creation_timestamp.expect("created").0;
        let expires = status.expiration.expect("expiration").0;
        assert_eq!(expires.as_second() - created.as_second(), 3600);
        let schedule: Schedule = cluster
            .store()
            .get_typed("velero", "hourly")
            .expect("schedule");
        let schedule_status = schedule.status.expect("schedule status");
        assert_eq!(schedule_status.phase.as_deref(), Some("Enabled"));
        assert!(schedule_status.last_backup >= status.completion_timestamp);
    }
}
