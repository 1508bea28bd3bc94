//! The backup targets the fleet knows, and what the backups view says of each: its policy,
//! when it last succeeded, when it is due, and whether it is overdue or failed.
//!
//! Three kinds of target:
//! - **CronJobs that make backups.** A CronJob counts when its labels say so
//!   (`pilothouse.io/backup`, or `app.kubernetes.io/component: backup`) or its name has
//!   `backup` in it (`postgres-backup`). `pilothouse.io/backup: "false"` leaves one out
//!   whatever its name. Its last success is `status.lastSuccessfulTime`.
//! - **Velero Schedules**, every one: making backups is all they do. Their last success is
//!   `status.lastBackup`.
//! - **Container backups** from the config's `[[backup]]`, with the history's last success.
//!
//! The policy is how old the last success may get. CronJobs and Schedules take it from
//! their cron expression's longest gap (hourly cron → hourly, nightly → daily, `*/6` → 6h)
//! unless the label `pilothouse.io/backup` names one (`daily`, `hourly`, `6h`); container
//! targets from the config. A run is allowed some lateness ([`allowed_age`]) before the
//! target is overdue, so a nightly job that takes ten minutes is not flagged every night.
//! Backups are kept 7 days unless told (the ops manual's week): a Schedule's `ttl`, a
//! CronJob's `pilothouse.io/backup-keep` label, a target's `keep`.

use std::cmp::Ordering;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::cron_period::longest_gap;
use super::fleet::Fleet;
use crate::model::{
    ContainerBackup, DockerContainer, JobOutcome, KubeKind, VeleroSchedule, Workload,
};
use crate::ops::backup_config::{BackupPolicy, DEFAULT_KEEP, parse_period};

/// Marks a CronJob as a backup (any value but `false`); `daily`, `hourly` or a duration
/// (`6h`) also set its policy.
pub const BACKUP_LABEL: &str = "pilothouse.io/backup";
/// How long a CronJob's backups are kept (`14d`), for the KEEP column.
pub const KEEP_LABEL: &str = "pilothouse.io/backup-keep";
/// The recommended label whose value `backup` marks a backup job.
pub const COMPONENT_LABEL: &str = "app.kubernetes.io/component";

/// Velero keeps a Backup 30 days when its Schedule's template gives no ttl.
pub const VELERO_DEFAULT_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// The least lateness a run is allowed before its target is overdue.
const MIN_SLACK: Duration = Duration::from_secs(5 * 60);

/// Whether a CronJob makes backups.
pub fn is_backup_cronjob(w: &Workload) -> bool {
    if w.id.kind != KubeKind::CronJob {
        return false;
    }
    match w.labels.get(BACKUP_LABEL).map(String::as_str) {
        Some("false") => false,
        Some(_) => true,
        None => {
            w.labels.get(COMPONENT_LABEL).map(String::as_str) == Some("backup")
                || w.id.name.to_ascii_lowercase().contains("backup")
        }
    }
}

/// The policy a cron expression implies: its longest gap, named `hourly` or `daily` when
/// it is exactly that. Daily when the expression cannot be read (the ops manual's rule).
pub fn policy_of_cron(expr: &str) -> BackupPolicy {
    match longest_gap(expr) {
        Some(gap) if gap == BackupPolicy::Hourly.max_age() => BackupPolicy::Hourly,
        Some(gap) if gap == BackupPolicy::Daily.max_age() => BackupPolicy::Daily,
        Some(gap) => BackupPolicy::Every(gap),
        None => BackupPolicy::Daily,
    }
}

/// A policy as a label value or config word names it: `daily`, `hourly`, `6h`.
fn policy_named(text: &str) -> Option<BackupPolicy> {
    match text {
        "daily" => Some(BackupPolicy::Daily),
        "hourly" => Some(BackupPolicy::Hourly),
        other => parse_period(other).ok().map(BackupPolicy::Every),
    }
}

/// How old the last success may be before the target is overdue: the policy's period plus
/// a tenth of it (at least five minutes) for the run itself and a late start.
pub fn allowed_age(policy: BackupPolicy) -> Duration {
    let period = policy.max_age();
    period + (period / 10).max(MIN_SLACK)
}

/// What the STATUS column says, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BackupStatus {
    /// The last run failed.
    Failed,
    /// It never succeeded.
    Never,
    /// The last success is older than the policy allows.
    Overdue,
    /// A run is under way.
    Running,
    Ok,
}

impl BackupStatus {
    pub fn label(self) -> &'static str {
        match self {
            BackupStatus::Failed => "FAILED",
            BackupStatus::Never => "NEVER",
            BackupStatus::Overdue => "OVERDUE",
            BackupStatus::Running => "RUNNING",
            BackupStatus::Ok => "OK",
        }
    }

    /// Whether the target needs someone's attention.
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            BackupStatus::Failed | BackupStatus::Never | BackupStatus::Overdue
        )
    }
}

/// One backup target, borrowed from the fleet.
#[derive(Debug, Clone, Copy)]
pub enum BackupTarget<'a> {
    CronJob(&'a Workload),
    Schedule(&'a VeleroSchedule),
    Container(&'a ContainerBackup),
}

impl<'a> BackupTarget<'a> {
    /// As the palette names it: `cronjob/postgres-backup`, `schedule/daily-full`, `ctr/shop-db`.
    pub fn reference(&self) -> String {
        match self {
            BackupTarget::CronJob(w) => format!("cronjob/{}", w.id.name),
            BackupTarget::Schedule(s) => format!("schedule/{}", s.name),
            BackupTarget::Container(c) => format!("ctr/{}", c.name),
        }
    }

    /// Where it runs: `shop@sim-prod`, or the Docker host (`any host` when the config names
    /// none and no host has the container).
    pub fn place(&self, fleet: &Fleet) -> String {
        match self {
            BackupTarget::CronJob(w) => format!("{}@{}", w.id.namespace, w.id.context),
            BackupTarget::Schedule(s) => format!("{}@{}", s.namespace, s.context),
            BackupTarget::Container(c) => match container_of(fleet, c) {
                Some(found) => found.id.host.clone(),
                None => c.host.clone().unwrap_or_else(|| "any host".to_string()),
            },
        }
    }

    /// The Kubernetes (context, namespace) it is in, for the scope filter.
    pub fn kube_place(&self) -> Option<(&'a str, &'a str)> {
        match self {
            BackupTarget::CronJob(w) => Some((&w.id.context, &w.id.namespace)),
            BackupTarget::Schedule(s) => Some((&s.context, &s.namespace)),
            BackupTarget::Container(_) => None,
        }
    }

    /// The cron expression, for the targets that have one.
    pub fn schedule(&self) -> Option<&'a str> {
        match self {
            BackupTarget::CronJob(w) => w.cron.as_ref().map(|c| c.schedule.as_str()),
            BackupTarget::Schedule(s) => Some(&s.schedule),
            BackupTarget::Container(_) => None,
        }
    }

    pub fn policy(&self) -> BackupPolicy {
        match self {
            BackupTarget::CronJob(w) => w
                .labels
                .get(BACKUP_LABEL)
                .and_then(|v| policy_named(v))
                .unwrap_or_else(|| policy_of_cron(self.schedule().unwrap_or_default())),
            BackupTarget::Schedule(s) => policy_of_cron(&s.schedule),
            BackupTarget::Container(c) => c.policy,
        }
    }

    pub fn keep(&self) -> Duration {
        match self {
            BackupTarget::CronJob(w) => w
                .labels
                .get(KEEP_LABEL)
                .and_then(|v| parse_period(v).ok())
                .unwrap_or(DEFAULT_KEEP),
            BackupTarget::Schedule(s) => s.ttl.unwrap_or(VELERO_DEFAULT_TTL),
            BackupTarget::Container(c) => c.keep,
        }
    }

    pub fn last_success(&self) -> Option<Timestamp> {
        match self {
            BackupTarget::CronJob(w) => w.cron.as_ref().and_then(|c| c.last_success),
            BackupTarget::Schedule(s) => s.last_backup,
            BackupTarget::Container(c) => c.last_success,
        }
    }

    /// Suspended CronJob, paused Schedule: it will not run by itself.
    pub fn paused(&self) -> bool {
        match self {
            BackupTarget::CronJob(w) => w.cron.as_ref().is_some_and(|c| c.suspended),
            BackupTarget::Schedule(s) => s.paused,
            BackupTarget::Container(_) => false,
        }
    }

    fn last_failed(&self) -> bool {
        match self {
            BackupTarget::CronJob(w) => w
                .cron
                .as_ref()
                .is_some_and(|c| c.last_outcome == Some(JobOutcome::Failed)),
            // A Schedule's own phase: FailedValidation means it makes no backups at all;
            // Failed and PartiallyFailed are what a Backup of it says.
            BackupTarget::Schedule(s) => {
                matches!(
                    s.phase.as_str(),
                    "FailedValidation" | "Failed" | "PartiallyFailed"
                )
            }
            BackupTarget::Container(c) => c.last_failed,
        }
    }

    fn running(&self) -> bool {
        match self {
            BackupTarget::CronJob(w) => w.cron.as_ref().is_some_and(|c| c.active > 0),
            BackupTarget::Schedule(_) | BackupTarget::Container(_) => false,
        }
    }

    /// When the last success stops being recent enough; `None` when it never succeeded.
    pub fn due_at(&self) -> Option<Timestamp> {
        let allowed = SignedDuration::try_from(allowed_age(self.policy())).ok()?;
        self.last_success()?.checked_add(allowed).ok()
    }

    pub fn status(&self, now: Timestamp) -> BackupStatus {
        if self.running() {
            return BackupStatus::Running;
        }
        if self.last_failed() {
            return BackupStatus::Failed;
        }
        match self.due_at() {
            None => BackupStatus::Never,
            Some(due) if due < now => BackupStatus::Overdue,
            Some(_) => BackupStatus::Ok,
        }
    }

    /// The order the view starts in, which needs no clock: failed and never-succeeded
    /// first, then by when each is due, so the overdue ones (due in the past) come next.
    pub fn urgency_cmp(&self, other: &BackupTarget) -> Ordering {
        let rank = |t: &BackupTarget| match (t.running(), t.last_failed(), t.due_at()) {
            (false, true, _) => 0,
            (false, false, None) => 1,
            _ => 2,
        };
        rank(self)
            .cmp(&rank(other))
            .then_with(|| self.due_at().cmp(&other.due_at()))
    }
}

/// The fleet container a `[[backup]]` names: by name or id prefix, on its host if it names one.
pub fn container_of<'f>(fleet: &'f Fleet, target: &ContainerBackup) -> Option<&'f DockerContainer> {
    fleet.containers.values().find(|c| {
        (c.name == target.container || c.id.id.starts_with(&target.container))
            && target.host.as_deref().is_none_or(|h| c.id.host == h)
    })
}

/// A number that changes whenever any target may have: the three collections' revisions
/// summed (each only grows, so the sum changes when one does).
pub fn revision(fleet: &Fleet) -> u64 {
    fleet.workloads.revision() + fleet.schedules.revision() + fleet.container_backups.revision()
}

/// The target behind a backups-table item: items number the workloads, then the
/// schedules, then the container targets, laid end to end. `None` for a workload that is
/// not a backup CronJob.
pub fn target_at(fleet: &Fleet, item: u32) -> Option<BackupTarget<'_>> {
    let mut at = item as usize;
    if at < fleet.workloads.len() {
        return fleet
            .workloads
            .get_index(at)
            .filter(|w| is_backup_cronjob(w))
            .map(BackupTarget::CronJob);
    }
    at -= fleet.workloads.len();
    if at < fleet.schedules.len() {
        return fleet.schedules.get_index(at).map(BackupTarget::Schedule);
    }
    at -= fleet.schedules.len();
    fleet
        .container_backups
        .get_index(at)
        .map(BackupTarget::Container)
}

/// Every target with its item number (see [`target_at`]).
pub fn targets(fleet: &Fleet) -> impl Iterator<Item = (u32, BackupTarget<'_>)> {
    let total = fleet.workloads.len() + fleet.schedules.len() + fleet.container_backups.len();
    (0..total as u32).filter_map(move |i| target_at(fleet, i).map(|t| (i, t)))
}

/// How many targets need attention (failed, never succeeded, overdue) at `now`.
pub fn problem_count(fleet: &Fleet, now: Timestamp) -> usize {
    targets(fleet)
        .filter(|(_, t)| t.status(now).is_problem())
        .count()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::{CronInfo, KubeId};

    fn now() -> Timestamp {
        "2026-11-22T12:00:00Z".parse().unwrap()
    }

    fn hours_ago(h: i64) -> Option<Timestamp> {
        Some(now() - SignedDuration::from_mins(h * 60))
    }

    fn cronjob(name: &str, schedule: &str, last_success: Option<Timestamp>) -> Workload {
        Workload {
            id: KubeId::new("prod", "shop", KubeKind::CronJob, name),
            created: None,
            labels: BTreeMap::new(),
            selector: BTreeMap::new(),
            images: vec![],
            desired: 0,
            ready: 0,
            updated: 0,
            available: 0,
            paused: false,
            generation: 1,
            observed_generation: 1,
            revision: None,
            conditions: vec![],
            cron: Some(CronInfo {
                schedule: schedule.into(),
                last_success,
                last_schedule: last_success,
                last_outcome: last_success.map(|_| JobOutcome::Succeeded),
                ..CronInfo::default()
            }),
            job: None,
            owner: None,
        }
    }

    #[test]
    fn which_cronjobs_are_backups() {
        assert!(is_backup_cronjob(&cronjob(
            "postgres-backup",
            "0 2 * * *",
            None
        )));
        assert!(is_backup_cronjob(&cronjob(
            "nightly-BACKUP",
            "0 2 * * *",
            None
        )));
        let mut report = cronjob("report", "0 2 * * *", None);
        assert!(!is_backup_cronjob(&report));
        report
            .labels
            .insert(COMPONENT_LABEL.into(), "backup".into());
        assert!(is_backup_cronjob(&report));
        let mut dump = cronjob("dump", "0 2 * * *", None);
        dump.labels.insert(BACKUP_LABEL.into(), "6h".into());
        assert!(is_backup_cronjob(&dump));
        let mut not = cronjob("backup-cleanup", "0 2 * * *", None);
        not.labels.insert(BACKUP_LABEL.into(), "false".into());
        assert!(!is_backup_cronjob(&not), "the label beats the name");
    }

    #[test]
    fn policy_is_inferred_from_the_cron_unless_labelled() {
        assert_eq!(policy_of_cron("0 2 * * *"), BackupPolicy::Daily);
        assert_eq!(policy_of_cron("0 * * * *"), BackupPolicy::Hourly);
        assert_eq!(
            policy_of_cron("0 */6 * * *"),
            BackupPolicy::Every(Duration::from_secs(6 * 3600))
        );
        assert_eq!(policy_of_cron("not cron"), BackupPolicy::Daily);
        let mut w = cronjob("pg-backup", "0 * * * *", None);
        assert_eq!(BackupTarget::CronJob(&w).policy(), BackupPolicy::Hourly);
        w.labels.insert(BACKUP_LABEL.into(), "daily".into());
        assert_eq!(BackupTarget::CronJob(&w).policy(), BackupPolicy::Daily);
        w.labels.insert(BACKUP_LABEL.into(), "true".into());
        assert_eq!(
            BackupTarget::CronJob(&w).policy(),
            BackupPolicy::Hourly,
            "a label that names no policy leaves the inferred one"
        );
        assert_eq!(BackupTarget::CronJob(&w).keep(), DEFAULT_KEEP);
        w.labels.insert(KEEP_LABEL.into(), "30d".into());
        assert_eq!(
            BackupTarget::CronJob(&w).keep(),
            Duration::from_secs(30 * 86_400)
        );
    }

    #[test]
    fn overdue_allows_some_lateness() {
        let daily = |h| cronjob("pg-backup", "0 2 * * *", hours_ago(h));
        assert_eq!(
            BackupTarget::CronJob(&daily(23)).status(now()),
            BackupStatus::Ok
        );
        assert_eq!(
            BackupTarget::CronJob(&daily(25)).status(now()),
            BackupStatus::Ok,
            "a nightly run an hour late is not overdue yet"
        );
        assert_eq!(
            BackupTarget::CronJob(&daily(27)).status(now()),
            BackupStatus::Overdue
        );
        let hourly = |minutes: i64| {
            let at = Some(now() - SignedDuration::from_mins(minutes));
            cronjob("redis-backup", "0 * * * *", at)
        };
        assert_eq!(
            BackupTarget::CronJob(&hourly(64)).status(now()),
            BackupStatus::Ok
        );
        assert_eq!(
            BackupTarget::CronJob(&hourly(70)).status(now()),
            BackupStatus::Overdue
        );
        assert_eq!(
            allowed_age(BackupPolicy::Daily),
            Duration::from_secs(24 * 3600 + 144 * 60)
        );
    }

    #[test]
    fn never_failed_and_running_say_so() {
        let never = cronjob("pg-backup", "0 2 * * *", None);
        assert_eq!(
            BackupTarget::CronJob(&never).status(now()),
            BackupStatus::Never
        );
        let mut failed = cronjob("pg-backup", "0 2 * * *", hours_ago(2));
        if let Some(c) = failed.cron.as_mut() {
            c.last_outcome = Some(JobOutcome::Failed);
        }
        assert_eq!(
            BackupTarget::CronJob(&failed).status(now()),
            BackupStatus::Failed
        );
        let mut running = failed.clone();
        if let Some(c) = running.cron.as_mut() {
            c.active = 1;
            c.last_outcome = Some(JobOutcome::Running);
        }
        assert_eq!(
            BackupTarget::CronJob(&running).status(now()),
            BackupStatus::Running
        );
        let schedule = |phase: &str, last| VeleroSchedule {
            context: "prod".into(),
            namespace: "velero".into(),
            name: "daily-full".into(),
            schedule: "0 1 * * *".into(),
            paused: false,
            ttl: None,
            last_backup: last,
            phase: phase.into(),
        };
        let ok = schedule("Enabled", hours_ago(11));
        assert_eq!(BackupTarget::Schedule(&ok).status(now()), BackupStatus::Ok);
        assert_eq!(BackupTarget::Schedule(&ok).keep(), VELERO_DEFAULT_TTL);
        let invalid = schedule("FailedValidation", None);
        assert_eq!(
            BackupTarget::Schedule(&invalid).status(now()),
            BackupStatus::Failed
        );
    }

    #[test]
    fn the_view_starts_with_failed_then_never_then_the_most_overdue() {
        let mut failed = cronjob("a-backup", "0 2 * * *", hours_ago(1));
        if let Some(c) = failed.cron.as_mut() {
            c.last_outcome = Some(JobOutcome::Failed);
        }
        let never = cronjob("b-backup", "0 2 * * *", None);
        let overdue = cronjob("c-backup", "0 * * * *", hours_ago(5));
        let fine = cronjob("d-backup", "0 2 * * *", hours_ago(1));
        let mut order = [
            BackupTarget::CronJob(&fine),
            BackupTarget::CronJob(&overdue),
            BackupTarget::CronJob(&never),
            BackupTarget::CronJob(&failed),
        ];
        order.sort_by(|a, b| a.urgency_cmp(b));
        let names: Vec<String> = order.iter().map(BackupTarget::reference).collect();
        assert_eq!(
            names,
            [
                "cronjob/a-backup",
                "cronjob/b-backup",
                "cronjob/c-backup",
                "cronjob/d-backup"
            ]
        );
    }
}
