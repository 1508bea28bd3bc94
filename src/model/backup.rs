//! Backup targets that are not workloads: Velero Schedules, and the container backups the
//! config file names (`[[backup]]`) with what their history says. CronJob backups are
//! workloads (see `store::backups` for which CronJobs count).

use std::time::Duration;

use jiff::Timestamp;

use crate::ops::backup_config::BackupPolicy;

/// A Velero `Schedule` (`schedules.velero.io/v1`), keyed by (context, namespace, name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VeleroSchedule {
    pub context: String,
    pub namespace: String,
    pub name: String,
    /// `spec.schedule`: a cron expression (or `@every 6h`, `@daily`).
    pub schedule: String,
    /// `spec.paused`.
    pub paused: bool,
    /// `spec.template.ttl`: how long its Backups are kept; `None` when unset or not a Go
    /// duration (velero then keeps them 30 days).
    pub ttl: Option<Duration>,
    /// `status.lastBackup`. Velero sets it when the Schedule last made a Backup, which is
    /// the nearest thing the Schedule itself says to "last success".
    pub last_backup: Option<Timestamp>,
    /// `status.phase`: `New`, `Enabled`, `FailedValidation` (empty when unset).
    pub phase: String,
}

/// Identity of a Velero schedule: (context, namespace, name).
pub type ScheduleKey = (String, String, String);

impl VeleroSchedule {
    pub fn key(&self) -> ScheduleKey {
        (
            self.context.clone(),
            self.namespace.clone(),
            self.name.clone(),
        )
    }
}

/// A `[[backup]]` container target with what the backup history says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerBackup {
    /// The `[[backup]]` name, unique among them.
    pub name: String,
    /// The container's name or id.
    pub container: String,
    /// The Docker host the config names, if it names one.
    pub host: Option<String>,
    pub policy: BackupPolicy,
    pub keep: Duration,
    /// When the newest successful attempt finished.
    pub last_success: Option<Timestamp>,
    /// The newest attempt did not succeed.
    pub last_failed: bool,
}
