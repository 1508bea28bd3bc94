//! `kubectl get schedules.velero.io` and `backups.velero.io` columns: the Schedule CRD's
//! printer columns, and for Backups what `velero backup get` prints (the CRD itself has
//! none, which would leave kubectl showing only names and ages).

use jiff::Timestamp;
use serde_json::{Value, json};

use super::SCHEDULE_NAME_LABEL;
use super::types::{Backup, Schedule};
use crate::sim::kube::tables::workloads::selector_text;
use crate::sim::kube::tables::{Column, TableRows, age, human_duration, or_none};

const fn col(name: &'static str, kind: &'static str, priority: u8) -> Column {
    Column {
        name,
        kind,
        priority,
        description: "",
    }
}

impl TableRows for Schedule {
    fn columns() -> Vec<Column> {
        vec![
            col("Status", "string", 0),
            col("Schedule", "string", 0),
            col("LastBackup", "date", 0),
            col("Age", "date", 0),
            col("Paused", "boolean", 0),
        ]
    }

    fn cells(&self, now: Timestamp) -> Vec<Value> {
        let status = self.status.as_ref();
        let last = status.and_then(|s| s.last_backup.as_ref());
        vec![
            json!(or_none(
                status.and_then(|s| s.phase.clone()).unwrap_or_default()
            )),
            json!(self.spec.schedule),
            json!(last.map_or_else(|| "<none>".into(), |t| age(Some(t), now))),
            json!(age(self.metadata.creation_timestamp.as_ref(), now)),
            json!(self.spec.paused.unwrap_or(false)),
        ]
    }
}

impl TableRows for Backup {
    fn columns() -> Vec<Column> {
        vec![
            col("Status", "string", 0),
            col("Errors", "integer", 0),
            col("Warnings", "integer", 0),
            col("Created", "date", 0),
            col("Expires", "string", 0),
            col("Storage Location", "string", 0),
            col("Selector", "string", 1),
            col("Schedule", "string", 1),
        ]
    }

    fn cells(&self, now: Timestamp) -> Vec<Value> {
        let status = self.status.as_ref();
        let expires = match status.and_then(|s| s.expiration.as_ref()) {
            Some(t) if t.0 <= now => "expired".to_string(),
            Some(t) => human_duration(t.0.as_second() - now.as_second()),
            None => "<none>".to_string(),
        };
        let schedule = self
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(SCHEDULE_NAME_LABEL))
            .cloned()
            .unwrap_or_default();
        vec![
            // velero prints a Backup nobody has picked up yet as New.
            json!(
                status
                    .and_then(|s| s.phase.clone())
                    .filter(|p| !p.is_empty())
                    .unwrap_or_else(|| "New".into())
            ),
            json!(status.and_then(|s| s.errors).unwrap_or(0)),
            json!(status.and_then(|s| s.warnings).unwrap_or(0)),
            json!(age(self.metadata.creation_timestamp.as_ref(), now)),
            json!(expires),
            json!(or_none(
                self.spec.storage_location.clone().unwrap_or_default()
            )),
            json!(or_none(selector_text(self.spec.label_selector.as_ref()))),
            json!(or_none(schedule)),
        ]
    }
}
