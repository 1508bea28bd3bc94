//! The operations as typed values (DESIGN.md §6): what is changed, on which target, with
//! which parameters — never a string that something parses later.

use serde_json::{Value, json};

use super::docker::ContainerAction;
use crate::model::{KubeId, KubeKind};
use crate::sources::alertmanager::SilenceOp;

/// A Velero `Schedule` (velero.io/v1), which the fleet's kinds do not include.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScheduleRef {
    pub context: String,
    pub namespace: String,
    pub name: String,
}

/// A container on a fleet Docker host.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerRef {
    /// The host's name in the fleet (the `HOST` column).
    pub host: String,
    pub id: String,
    /// The container's name, which the user types to confirm.
    pub name: String,
}

/// One change to the world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// A Deployment or StatefulSet through its `/scale` subresource.
    Scale { target: KubeId, from: u32, to: u32 },
    /// `kubectl rollout restart` of a Deployment, StatefulSet or DaemonSet.
    Restart { target: KubeId },
    /// `kubectl rollout undo --to-revision` (0: the previous revision).
    Rollback { target: KubeId, to_revision: i64 },
    /// A Job from a CronJob, as `kubectl create job --from=cronjob/NAME` makes it.
    RunCronJob { target: KubeId },
    /// A Velero `Backup` from a `Schedule`, as `velero backup create --from-schedule`.
    RunSchedule { target: ScheduleRef },
    /// Delete a pod; its controller replaces it.
    DeletePod { target: KubeId },
    /// Mark a node unschedulable (`cordon: true`) or schedulable again.
    Cordon { target: KubeId, cordon: bool },
    /// Restart, stop or start a container.
    Container {
        target: ContainerRef,
        action: ContainerAction,
    },
    /// Run a configured backup command in a container (`[[backup]]` in the config).
    ContainerBackup {
        target: ContainerRef,
        /// The `[[backup]]` entry's name.
        backup: String,
    },
    /// Create or expire silences in Alertmanagers (one request per Alertmanager).
    Silence { ops: Vec<SilenceOp> },
}

impl Operation {
    /// The verb as the audit log and the palette name it: `scale`, `rollback`.
    pub fn verb(&self) -> &'static str {
        match self {
            Operation::Scale { .. } => "scale",
            Operation::Restart { .. } => "restart",
            Operation::Rollback { .. } => "rollback",
            Operation::RunCronJob { .. } | Operation::RunSchedule { .. } => "backup",
            Operation::ContainerBackup { .. } => "backup",
            Operation::DeletePod { .. } => "delete",
            Operation::Cordon { cordon: true, .. } => "cordon",
            Operation::Cordon { cordon: false, .. } => "uncordon",
            Operation::Container { action, .. } => container_verb(*action),
            Operation::Silence { ops } => match ops.first() {
                Some(SilenceOp::Expire { .. }) => "expire",
                _ => "silence",
            },
        }
    }

    /// The Alertmanager a silence operation changes.
    pub fn alertmanager(&self) -> Option<&str> {
        match self {
            Operation::Silence { ops } => ops.first().map(|op| match op {
                SilenceOp::Create(request) => request.source.as_str(),
                SilenceOp::Expire { source, .. } => source.as_str(),
            }),
            _ => None,
        }
    }

    /// The Kubernetes object the operation changes, for every Kubernetes operation but
    /// a Velero backup (whose Schedule is not a kind the fleet keeps).
    pub fn kube_target(&self) -> Option<&KubeId> {
        match self {
            Operation::Scale { target, .. }
            | Operation::Restart { target }
            | Operation::Rollback { target, .. }
            | Operation::RunCronJob { target }
            | Operation::DeletePod { target }
            | Operation::Cordon { target, .. } => Some(target),
            _ => None,
        }
    }

    /// The Kubernetes context the operation changes, if it is a Kubernetes one.
    pub fn context(&self) -> Option<&str> {
        match self {
            Operation::RunSchedule { target } => Some(&target.context),
            _ => self.kube_target().map(|t| t.context.as_str()),
        }
    }

    /// The Docker host the operation changes, if it is a Docker one.
    pub fn docker_host(&self) -> Option<&str> {
        match self {
            Operation::Container { target, .. } | Operation::ContainerBackup { target, .. } => {
                Some(&target.host)
            }
            _ => None,
        }
    }

    /// Where the operation acts, for confirmation policy: the Kubernetes context, the
    /// Docker host or the Alertmanager (protected globs apply to all three).
    pub fn place(&self) -> &str {
        self.context()
            .or(self.docker_host())
            .or(self.alertmanager())
            .unwrap_or_default()
    }

    /// The target as the palette names it: `deploy/api`, `ctr/web-1`, `schedule/daily`.
    pub fn target_ref(&self) -> String {
        if let Some(target) = self.kube_target() {
            return format!("{}/{}", target.kind.short(), target.name);
        }
        match self {
            Operation::RunSchedule { target } => format!("schedule/{}", target.name),
            Operation::ContainerBackup { backup, .. } => format!("ctr/{backup}"),
            Operation::Silence { .. } => format!("alerts/{}", self.name_to_type()),
            _ => format!("ctr/{}", self.name_to_type()),
        }
    }

    /// The target with where it is, for the audit log: `sim-prod/shop/deploy/api`,
    /// `sim-prod/node/node-1`, `local/ctr/web-1`.
    pub fn target_path(&self) -> String {
        let namespace = match self {
            Operation::RunSchedule { target } => Some(target.namespace.as_str()),
            _ => self.kube_target().map(|t| t.namespace.as_str()),
        };
        match namespace {
            Some(ns) if !ns.is_empty() => {
                format!("{}/{ns}/{}", self.place(), self.target_ref())
            }
            _ => format!("{}/{}", self.place(), self.target_ref()),
        }
    }

    /// The name a high-risk confirmation asks the user to type.
    pub fn name_to_type(&self) -> &str {
        if let Some(target) = self.kube_target() {
            return &target.name;
        }
        match self {
            Operation::RunSchedule { target } => &target.name,
            Operation::Container { target, .. } | Operation::ContainerBackup { target, .. } => {
                &target.name
            }
            // The alertname the silence matches (or the silence expired).
            Operation::Silence { ops } => match ops.first() {
                Some(SilenceOp::Create(request)) => request
                    .matchers
                    .iter()
                    .find(|m| m.name == "alertname")
                    .or(request.matchers.first())
                    .map_or("silence", |m| m.value.as_str()),
                Some(SilenceOp::Expire { id, .. }) => id.as_str(),
                None => "silence",
            },
            _ => "",
        }
    }

    /// The parameters, for the audit log.
    pub fn parameters(&self) -> Value {
        match self {
            Operation::Scale { from, to, .. } => json!({"from": from, "to": to}),
            Operation::Rollback { to_revision, .. } => json!({"toRevision": to_revision}),
            Operation::Cordon { cordon, .. } => json!({"unschedulable": cordon}),
            Operation::ContainerBackup { backup, .. } => json!({"backup": backup}),
            Operation::Container { target, .. } => json!({"id": target.id}),
            Operation::Silence { ops } => {
                json!(ops.iter().map(SilenceOp::describe).collect::<Vec<_>>())
            }
            _ => json!({}),
        }
    }

    /// One line saying what will change: `scale deploy/api 3 → 5 in shop@sim-prod`.
    pub fn summary(&self) -> String {
        let namespace = match self {
            Operation::RunSchedule { target } => Some(target.namespace.as_str()),
            _ => self.kube_target().map(|t| t.namespace.as_str()),
        };
        let place = match (self, namespace) {
            (Operation::Silence { .. }, _) => String::new(),
            (Operation::Container { .. } | Operation::ContainerBackup { .. }, _) => {
                format!("on {}", self.place())
            }
            (_, Some(ns)) if !ns.is_empty() => format!("in {ns}@{}", self.place()),
            _ => format!("@{}", self.place()),
        };
        let what = match self {
            Operation::Scale { from, to, .. } => {
                format!("scale {} {from} → {to}", self.target_ref())
            }
            Operation::Rollback { to_revision: 0, .. } => {
                format!("roll back {} to the previous revision", self.target_ref())
            }
            Operation::Rollback { to_revision, .. } => {
                format!("roll back {} to revision {to_revision}", self.target_ref())
            }
            Operation::RunCronJob { .. } => {
                format!("run a backup Job from {}", self.target_ref())
            }
            Operation::RunSchedule { .. } => {
                format!("create a Velero Backup from {}", self.target_ref())
            }
            Operation::ContainerBackup { .. } => format!("run backup {}", self.target_ref()),
            Operation::Silence { ops } => ops
                .iter()
                .map(SilenceOp::describe)
                .collect::<Vec<_>>()
                .join("; "),
            _ => format!("{} {}", self.verb(), self.target_ref()),
        };
        if place.is_empty() {
            what
        } else {
            format!("{what} {place}")
        }
    }

    /// Whether it is high risk wherever it runs: rollbacks and deletes (DESIGN.md §6).
    pub fn inherently_risky(&self) -> bool {
        matches!(
            self,
            Operation::Rollback { .. } | Operation::DeletePod { .. }
        )
    }

    /// The reason a Kubernetes Event records for it, so others watching the cluster see
    /// who did what: `PilothouseScale`.
    pub fn event_reason(&self) -> &'static str {
        match self {
            Operation::Scale { .. } => "PilothouseScale",
            Operation::Restart { .. } => "PilothouseRestart",
            Operation::Rollback { .. } => "PilothouseRollback",
            Operation::RunCronJob { .. } | Operation::RunSchedule { .. } => "PilothouseBackup",
            Operation::DeletePod { .. } => "PilothouseDelete",
            Operation::Cordon { cordon: true, .. } => "PilothouseCordon",
            Operation::Cordon { cordon: false, .. } => "PilothouseUncordon",
            Operation::Container { .. }
            | Operation::ContainerBackup { .. }
            | Operation::Silence { .. } => "",
        }
    }
}

fn container_verb(action: ContainerAction) -> &'static str {
    match action {
        ContainerAction::Restart => "restart",
        ContainerAction::Stop => "stop",
        ContainerAction::Start => "start",
    }
}

/// Which kinds each Kubernetes operation accepts.
pub fn accepts(verb: &str, kind: KubeKind) -> bool {
    use KubeKind::*;
    match verb {
        "scale" => matches!(kind, Deployment | StatefulSet),
        "restart" | "rollback" => matches!(kind, Deployment | StatefulSet | DaemonSet),
        "backup" => kind == CronJob,
        "delete" => kind == Pod,
        "cordon" | "uncordon" => kind == Node,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy() -> KubeId {
        KubeId {
            context: "sim-prod".into(),
            namespace: "shop".into(),
            kind: KubeKind::Deployment,
            name: "api".into(),
        }
    }

    #[test]
    fn a_scale_says_from_and_to_and_where() {
        let op = Operation::Scale {
            target: deploy(),
            from: 3,
            to: 5,
        };
        assert_eq!(op.summary(), "scale deploy/api 3 → 5 in shop@sim-prod");
        assert_eq!(op.target_path(), "sim-prod/shop/deploy/api");
        assert_eq!(op.parameters(), json!({"from": 3, "to": 5}));
        assert!(!op.inherently_risky());
    }

    #[test]
    fn rollbacks_and_deletes_are_risky_anywhere() {
        let rollback = Operation::Rollback {
            target: deploy(),
            to_revision: 0,
        };
        assert!(rollback.inherently_risky());
        assert_eq!(
            rollback.summary(),
            "roll back deploy/api to the previous revision in shop@sim-prod"
        );
        assert!(accepts("rollback", KubeKind::DaemonSet));
        assert!(!accepts("scale", KubeKind::DaemonSet));
        assert!(!accepts("delete", KubeKind::Deployment));
    }
}
