//! Velero's `Schedule` (`schedules.velero.io/v1`), decoded only as far as the backups view
//! reads it. k8s-openapi has no types for CRDs; like [`super::trimmed::TrimmedPod`] this is
//! a small typed struct kube-rs lists and watches, and serde skips the rest.
//!
//! Velero is an add-on: a cluster without its CRDs answers 404 for the group, which means
//! "no schedules here", not an error (see `watch::Watched::REQUIRES_GROUP`).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde::{Deserialize, Serialize};

use crate::model::VeleroSchedule;
use crate::store::cron_period::go_duration;

/// The group and version the schedules are served under.
pub const VELERO_GROUP_VERSION: &str = "velero.io/v1";

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Schedule {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: ScheduleSpec,
    #[serde(default)]
    pub status: Option<ScheduleStatus>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ScheduleSpec {
    #[serde(default)]
    pub schedule: String,
    #[serde(default)]
    pub paused: Option<bool>,
    #[serde(default)]
    pub template: Option<Template>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Template {
    /// A Go duration (`168h0m0s`).
    #[serde(default)]
    pub ttl: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleStatus {
    #[serde(default)]
    pub phase: Option<String>,
    #[serde(default)]
    pub last_backup: Option<Time>,
}

impl k8s_openapi::Resource for Schedule {
    const API_VERSION: &'static str = VELERO_GROUP_VERSION;
    const GROUP: &'static str = "velero.io";
    const KIND: &'static str = "Schedule";
    const VERSION: &'static str = "v1";
    const URL_PATH_SEGMENT: &'static str = "schedules";
    type Scope = k8s_openapi::NamespaceResourceScope;
}

impl k8s_openapi::Metadata for Schedule {
    type Ty = ObjectMeta;

    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn metadata_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

/// The fleet's model of a Schedule in `context`.
pub fn schedule(context: &str, s: &Schedule) -> VeleroSchedule {
    let status = s.status.as_ref();
    VeleroSchedule {
        context: context.to_string(),
        namespace: s.metadata.namespace.clone().unwrap_or_default(),
        name: s.metadata.name.clone().unwrap_or_default(),
        schedule: s.spec.schedule.clone(),
        paused: s.spec.paused.unwrap_or(false),
        ttl: s
            .spec
            .template
            .as_ref()
            .and_then(|t| t.ttl.as_deref())
            .and_then(go_duration),
        last_backup: status.and_then(|st| st.last_backup.as_ref()).map(|t| t.0),
        phase: status.and_then(|st| st.phase.clone()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn decodes_what_the_backups_view_reads() {
        let s: Schedule = serde_json::from_value(serde_json::json!({
            "apiVersion": "velero.io/v1", "kind": "Schedule",
            "metadata": {"name": "daily-full", "namespace": "velero", "resourceVersion": "7"},
            "spec": {"schedule": "0 1 * * *", "useOwnerReferencesInBackup": false,
                "template": {"ttl": "168h0m0s", "includedNamespaces": ["shop"],
                    "storageLocation": "default"}},
            "status": {"phase": "Enabled", "lastBackup": "2026-11-22T01:04:00Z"}
        }))
        .expect("decodes");
        let m = schedule("sim-prod", &s);
        assert_eq!(m.namespace, "velero");
        assert_eq!(m.schedule, "0 1 * * *");
        assert!(!m.paused);
        assert_eq!(m.ttl, Some(Duration::from_secs(7 * 86_400)));
        assert_eq!(m.phase, "Enabled");
        assert_eq!(
            m.last_backup,
            Some("2026-11-22T01:04:00Z".parse().expect("time"))
        );
        let bare: Schedule = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "new", "namespace": "velero"},
            "spec": {"schedule": "@every 6h", "paused": true}
        }))
        .expect("decodes");
        let m = schedule("sim-prod", &bare);
        assert!(m.paused);
        assert_eq!((m.ttl, m.last_backup, m.phase.as_str()), (None, None, ""));
    }
}
