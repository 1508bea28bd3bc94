//! Velero's start state from the scenario: each Schedule, Enabled, with its last few
//! runs as Completed Backups (named for their cron times, as velero names them), so a
//! console has a "last successful backup" from the first moment.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

use super::controller::{backup_from, count_items, run_secs, scheduled_name};
use super::types::{
    BackupProgress, BackupSpec, BackupStatus, Schedule, ScheduleSpec, ScheduleStatus,
};
use super::{DEFAULT_STORAGE_LOCATION, STORAGE_LOCATION_LABEL, parse_duration};
use crate::sim::kube::controllers::cron;
use crate::sim::kube::scenario::{VeleroScheduleSpec, VeleroSpec};
use crate::sim::kube::store::Store;

fn plus(t: Timestamp, secs: f64) -> Timestamp {
    t.checked_add(SignedDuration::from_secs_f64(secs))
        .unwrap_or(t)
}

fn minus(t: Timestamp, secs: f64) -> Timestamp {
    t.checked_sub(SignedDuration::from_secs_f64(secs))
        .unwrap_or(t)
}

/// Store the scenario's Schedules and their past Backups. `now` is the start.
pub fn populate(store: &mut Store, spec: &VeleroSpec, now: Timestamp) {
    for s in &spec.schedules {
        schedule(store, &spec.namespace, s, now);
    }
}

fn schedule(store: &mut Store, namespace: &str, s: &VeleroScheduleSpec, now: Timestamp) {
    let Ok(cron) = cron::Schedule::parse(&s.schedule) else {
        tracing::warn!("velero schedule {}: bad cron `{}`", s.name, s.schedule);
        return;
    };
    let ttl = s.ttl.clone().unwrap_or_else(|| super::DEFAULT_TTL.into());
    let ttl_secs = parse_duration(&ttl).unwrap_or(0.0);
    let template = BackupSpec {
        included_namespaces: (!s.included_namespaces.is_empty())
            .then(|| s.included_namespaces.clone()),
        ttl: Some(ttl),
        storage_location: Some(DEFAULT_STORAGE_LOCATION.into()),
        ..BackupSpec::default()
    };
    let items = count_items(store, template.included_namespaces.as_deref());
    let run = run_secs(items);
    let mut object = Schedule {
        metadata: ObjectMeta {
            name: Some(s.name.clone()),
            namespace: Some(namespace.into()),
            creation_timestamp: Some(Time(minus(now, 86_400.0 * 60.0))),
            ..ObjectMeta::default()
        },
        spec: ScheduleSpec {
            template,
            schedule: s.schedule.clone(),
            ..ScheduleSpec::default()
        },
        ..Schedule::default()
    };
    // The latest runs that had finished by the start, newest first.
    let mut runs = Vec::new();
    let mut before = minus(now, run);
    while runs.len() < s.history as usize {
        let Some(at) = cron.last_at_or_before(before, 86_400 * 32) else {
            break;
        };
        runs.push(at);
        before = minus(at, 1.0);
    }
    object.status = Some(ScheduleStatus {
        phase: Some("Enabled".into()),
        // The controller marks a Schedule when a run of it completes.
        last_backup: runs.first().map(|at| Time(plus(*at, run))),
        ..ScheduleStatus::default()
    });
    let Ok(stored) = store.create(object) else {
        return;
    };
    for at in runs.into_iter().rev() {
        let mut backup = backup_from(&stored, scheduled_name(&s.name, at));
        backup.metadata.creation_timestamp = Some(Time(at));
        backup
            .metadata
            .labels
            .get_or_insert_with(BTreeMap::new)
            .insert(
                STORAGE_LOCATION_LABEL.into(),
                DEFAULT_STORAGE_LOCATION.into(),
            );
        let done = plus(at, run);
        backup.status = Some(BackupStatus {
            version: Some(1),
            format_version: Some("1.1.0".into()),
            phase: Some("Completed".into()),
            start_timestamp: Some(Time(at)),
            completion_timestamp: Some(Time(done)),
            expiration: Some(Time(plus(at, ttl_secs))),
            progress: Some(BackupProgress {
                total_items: Some(items),
                items_backed_up: Some(items),
            }),
            ..BackupStatus::default()
        });
        let _ = store.create(backup);
    }
}
