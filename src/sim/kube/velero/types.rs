//! Velero's `Backup` and `Schedule` (`velero.io/v1`) as typed objects. k8s-openapi has no
//! types for CRDs, so these follow velero's `pkg/apis/velero/v1` field for field: a
//! client's unknown field is then refused under `fieldValidation=Strict`, as the CRD's
//! structural schema makes a real API server do. Nested parts the sim never reads
//! (hooks, resource policies, uploader config) stay JSON.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, Time};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::sim::kube::resources::{Kind, VELERO_GROUP};
use crate::sim::kube::types::SimObject;

/// `velero.io/v1`.
pub const API_VERSION: &str = "velero.io/v1";

/// A Backup: one capture of the namespaces it names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Backup {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: BackupSpec,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<BackupStatus>,
}

impl Default for Backup {
    fn default() -> Backup {
        Backup {
            api_version: API_VERSION.into(),
            kind: "Backup".into(),
            metadata: ObjectMeta::default(),
            spec: BackupSpec::default(),
            status: None,
        }
    }
}

/// Labels a Schedule's template gives the Backups it makes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupMetadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
}

/// What a Backup captures (velero's `BackupSpec`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BackupMetadata>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub included_namespaces: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded_namespaces: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub included_resources: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded_resources: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub included_cluster_scoped_resources: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded_cluster_scoped_resources: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub included_namespace_scoped_resources: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded_namespace_scoped_resources: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub or_label_selectors: Option<Vec<LabelSelector>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot_volumes: Option<bool>,
    /// A Go duration (`168h0m0s`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_cluster_resources: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hooks: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_snapshot_locations: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_volumes_to_restic: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_volumes_to_fs_backup: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ordered_resources: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csi_snapshot_timeout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_operation_timeout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot_move_data: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datamover: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uploader_config: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_group_snapshot_label_key: Option<String>,
}

/// How a Backup went (velero's `BackupStatus`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupStatus {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration: Option<Time>,
    /// `New`, `InProgress`, `Completed`, `PartiallyFailed`, `Failed`, ….
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation_errors: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_timestamp: Option<Time>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completion_timestamp: Option<Time>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_snapshots_attempted: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_snapshots_completed: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warnings: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<BackupProgress>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csi_volume_snapshots_attempted: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csi_volume_snapshots_completed: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_item_operations_attempted: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_item_operations_completed: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_item_operations_failed: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hook_status: Option<Value>,
}

/// Items written so far, of how many.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupProgress {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_items: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items_backed_up: Option<i32>,
}

/// A Schedule: a Backup template run on a cron schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Schedule {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: ScheduleSpec,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ScheduleStatus>,
}

impl Default for Schedule {
    fn default() -> Schedule {
        Schedule {
            api_version: API_VERSION.into(),
            kind: "Schedule".into(),
            metadata: ObjectMeta::default(),
            spec: ScheduleSpec::default(),
            status: None,
        }
    }
}

/// velero's `ScheduleSpec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleSpec {
    #[serde(default)]
    pub template: BackupSpec,
    #[serde(default)]
    pub schedule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_owner_references_in_backup: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_immediately: Option<bool>,
}

/// velero's `ScheduleStatus`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleStatus {
    /// `New`, `Enabled` or `FailedValidation`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_backup: Option<Time>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_skipped: Option<Time>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation_errors: Option<Vec<String>>,
}

macro_rules! velero_resource {
    ($ty:ident, $kind:literal, $plural:literal) => {
        impl k8s_openapi::Resource for $ty {
            const API_VERSION: &'static str = API_VERSION;
            const GROUP: &'static str = VELERO_GROUP;
            const KIND: &'static str = $kind;
            const VERSION: &'static str = "v1";
            const URL_PATH_SEGMENT: &'static str = $plural;
            type Scope = k8s_openapi::NamespaceResourceScope;
        }

        impl k8s_openapi::Metadata for $ty {
            type Ty = ObjectMeta;

            fn metadata(&self) -> &ObjectMeta {
                &self.metadata
            }

            fn metadata_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
        }

        impl SimObject for $ty {
            const SIM_KIND: Kind = Kind::$ty;
        }
    };
}

velero_resource!(Backup, "Backup", "backups");
velero_resource!(Schedule, "Schedule", "schedules");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_meta_is_filled_in_and_unset_fields_are_left_out() {
        let backup: Backup = serde_json::from_str(
            r#"{"metadata":{"name":"b"},"spec":{"ttl":"168h0m0s","includedNamespaces":["shop"]}}"#,
        )
        .expect("parse");
        let json = serde_json::to_value(&backup).expect("encode");
        assert_eq!(json["apiVersion"], "velero.io/v1");
        assert_eq!(json["kind"], "Backup");
        assert_eq!(
            json["spec"],
            serde_json::json!({"ttl": "168h0m0s", "includedNamespaces": ["shop"]})
        );
        assert!(json.get("status").is_none());
    }
}
