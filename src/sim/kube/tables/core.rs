//! Table rows for the core kinds, following kubectl's printers
//! (k8s.io/kubernetes/pkg/printers/internalversion).

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Event, Namespace, Node, Pod, Service};
use serde_json::{Value, json};

use super::{Column, TableRows, age, col, human_duration, or_none};

impl TableRows for Pod {
    fn columns() -> Vec<Column> {
        vec![
            col("Ready", "string", 0),
            col("Status", "string", 0),
            col("Restarts", "string", 0),
            col("Age", "string", 0),
            col("IP", "string", 1),
            col("Node", "string", 1),
            col("Nominated Node", "string", 1),
            col("Readiness Gates", "string", 1),
        ]
    }

    fn cells(&self, now: Timestamp) -> Vec<Value> {
        let (ready, total, restarts, last_restart) = container_counts(self);
        let restarts = match last_restart {
            Some(t) => format!(
                "{restarts} ({} ago)",
                human_duration(now.as_second() - t.as_second())
            ),
            None => restarts.to_string(),
        };
        let status = self.status.as_ref();
        vec![
            json!(format!("{ready}/{total}")),
            json!(pod_status_text(self)),
            json!(restarts),
            json!(age(self.metadata.creation_timestamp.as_ref(), now)),
            json!(or_none(
                status.and_then(|s| s.pod_ip.clone()).unwrap_or_default()
            )),
            json!(or_none(
                self.spec
                    .as_ref()
                    .and_then(|s| s.node_name.clone())
                    .unwrap_or_default()
            )),
            json!(or_none(
                status
                    .and_then(|s| s.nominated_node_name.clone())
                    .unwrap_or_default()
            )),
            json!("<none>"),
        ]
    }
}

/// Ready containers, all containers, restarts, and when the last restart happened.
fn container_counts(pod: &Pod) -> (usize, usize, i32, Option<Timestamp>) {
    let total = pod.spec.as_ref().map_or(0, |s| s.containers.len());
    let statuses = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref());
    let mut ready = 0;
    let mut restarts = 0;
    let mut last: Option<Timestamp> = None;
    for c in statuses.into_iter().flatten() {
        if c.ready {
            ready += 1;
        }
        restarts += c.restart_count;
        let finished = c
            .last_state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .and_then(|t| t.finished_at.as_ref())
            .map(|t| t.0);
        if c.restart_count > 0 && finished > last {
            last = finished;
        }
    }
    (ready, total, restarts, last)
}

/// The STATUS column: the phase, or the most telling container reason, as kubectl's
/// `printPod` computes it.
pub fn pod_status_text(pod: &Pod) -> String {
    let status = pod.status.as_ref();
    let mut reason = status
        .and_then(|s| s.reason.clone().or(s.phase.clone()))
        .unwrap_or_else(|| "Pending".into());
    let mut initializing = false;
    let inits = status.and_then(|s| s.init_container_statuses.as_ref());
    let init_total = inits.map_or(0, Vec::len);
    for (i, c) in inits.into_iter().flatten().enumerate() {
        let state = c.state.as_ref();
        if let Some(t) = state.and_then(|s| s.terminated.as_ref()) {
            if t.exit_code == 0 {
                continue;
            }
            reason = match &t.reason {
                Some(r) if !r.is_empty() => format!("Init:{r}"),
                _ => format!("Init:ExitCode:{}", t.exit_code),
            };
        } else if let Some(w) = state.and_then(|s| s.waiting.as_ref())
            && w.reason.as_deref().is_some_and(|r| r != "PodInitializing")
        {
            reason = format!("Init:{}", w.reason.clone().unwrap_or_default());
        } else {
            reason = format!("Init:{i}/{init_total}");
        }
        initializing = true;
        break;
    }
    if !initializing {
        let mut has_running = false;
        let containers = status.and_then(|s| s.container_statuses.as_ref());
        for c in containers.into_iter().flatten().rev() {
            let state = c.state.as_ref();
            if let Some(w) = state.and_then(|s| s.waiting.as_ref())
                && let Some(r) = w.reason.as_ref().filter(|r| !r.is_empty())
            {
                reason = r.clone();
            } else if let Some(t) = state.and_then(|s| s.terminated.as_ref()) {
                reason = match &t.reason {
                    Some(r) if !r.is_empty() => r.clone(),
                    _ if t.signal.unwrap_or(0) != 0 => format!("Signal:{}", t.signal.unwrap_or(0)),
                    _ => format!("ExitCode:{}", t.exit_code),
                };
            } else if state.is_some_and(|s| s.running.is_some()) && c.ready {
                has_running = true;
            }
        }
        if reason == "Completed" && has_running {
            let ready = status
                .and_then(|s| s.conditions.as_ref())
                .into_iter()
                .flatten()
                .any(|c| c.type_ == "Ready" && c.status == "True");
            reason = if ready {
                "Running".into()
            } else {
                "NotReady".into()
            };
        }
    }
    if pod.metadata.deletion_timestamp.is_some() {
        reason = if status.and_then(|s| s.reason.as_deref()) == Some("NodeLost") {
            "Unknown".into()
        } else {
            "Terminating".into()
        };
    }
    reason
}

impl TableRows for Node {
    fn columns() -> Vec<Column> {
        vec![
            col("Status", "string", 0),
            col("Roles", "string", 0),
            col("Age", "string", 0),
            col("Version", "string", 0),
            col("Internal-IP", "string", 1),
            col("External-IP", "string", 1),
            col("OS-Image", "string", 1),
            col("Kernel-Version", "string", 1),
            col("Container-Runtime", "string", 1),
        ]
    }

    fn cells(&self, now: Timestamp) -> Vec<Value> {
        let status = self.status.as_ref();
        let ready = status
            .and_then(|s| s.conditions.as_ref())
            .into_iter()
            .flatten()
            .find(|c| c.type_ == "Ready");
        let mut text = match ready.map(|c| c.status.as_str()) {
            Some("True") => "Ready".to_string(),
            _ => "NotReady".to_string(),
        };
        if self.spec.as_ref().and_then(|s| s.unschedulable) == Some(true) {
            text.push_str(",SchedulingDisabled");
        }
        let mut roles: Vec<&str> = self
            .metadata
            .labels
            .iter()
            .flatten()
            .filter_map(|(k, _)| k.strip_prefix("node-role.kubernetes.io/"))
            .collect();
        roles.sort_unstable();
        let address = |kind: &str| {
            status
                .and_then(|s| s.addresses.as_ref())
                .into_iter()
                .flatten()
                .find(|a| a.type_ == kind)
                .map(|a| a.address.clone())
                .unwrap_or_else(|| "<none>".into())
        };
        let info = status.and_then(|s| s.node_info.as_ref());
        vec![
            json!(text),
            json!(or_none(roles.join(","))),
            json!(age(self.metadata.creation_timestamp.as_ref(), now)),
            json!(info.map(|i| i.kubelet_version.clone()).unwrap_or_default()),
            json!(address("InternalIP")),
            json!(address("ExternalIP")),
            json!(info.map(|i| i.os_image.clone()).unwrap_or_default()),
            json!(info.map(|i| i.kernel_version.clone()).unwrap_or_default()),
            json!(
                info.map(|i| i.container_runtime_version.clone())
                    .unwrap_or_default()
            ),
        ]
    }
}

impl TableRows for Namespace {
    fn columns() -> Vec<Column> {
        vec![col("Status", "string", 0), col("Age", "string", 0)]
    }

    fn cells(&self, now: Timestamp) -> Vec<Value> {
        vec![
            json!(
                self.status
                    .as_ref()
                    .and_then(|s| s.phase.clone())
                    .unwrap_or_else(|| "Active".into())
            ),
            json!(age(self.metadata.creation_timestamp.as_ref(), now)),
        ]
    }
}

impl TableRows for Event {
    fn columns() -> Vec<Column> {
        vec![
            col("Last Seen", "string", 0),
            col("Type", "string", 0),
            col("Reason", "string", 0),
            col("Object", "string", 0),
            col("Subobject", "string", 1),
            col("Source", "string", 1),
            col("Message", "string", 0),
            col("First Seen", "string", 1),
            col("Count", "string", 1),
            col("Name", "string", 1),
        ]
    }

    fn cells(&self, now: Timestamp) -> Vec<Value> {
        let object = &self.involved_object;
        let source = self
            .source
            .as_ref()
            .map(|s| match &s.host {
                Some(h) => format!("{}, {h}", s.component.clone().unwrap_or_default()),
                None => s.component.clone().unwrap_or_default(),
            })
            .unwrap_or_default();
        let last = self
            .last_timestamp
            .as_ref()
            .or(self.first_timestamp.as_ref());
        vec![
            json!(age(last, now)),
            json!(self.type_.clone().unwrap_or_default()),
            json!(self.reason.clone().unwrap_or_default()),
            json!(format!(
                "{}/{}",
                object.kind.clone().unwrap_or_default().to_lowercase(),
                object.name.clone().unwrap_or_default()
            )),
            json!(object.field_path.clone().unwrap_or_default()),
            json!(source),
            json!(self.message.clone().unwrap_or_default().trim()),
            json!(age(self.first_timestamp.as_ref(), now)),
            json!(self.count.unwrap_or(1).to_string()),
            json!(self.metadata.name.clone().unwrap_or_default()),
        ]
    }
}

impl TableRows for Service {
    fn columns() -> Vec<Column> {
        vec![
            col("Type", "string", 0),
            col("Cluster-IP", "string", 0),
            col("External-IP", "string", 0),
            col("Port(s)", "string", 0),
            col("Age", "string", 0),
            col("Selector", "string", 1),
        ]
    }

    fn cells(&self, now: Timestamp) -> Vec<Value> {
        let spec = self.spec.as_ref();
        let ports: Vec<String> = spec
            .and_then(|s| s.ports.as_ref())
            .into_iter()
            .flatten()
            .map(|p| {
                let protocol = p.protocol.clone().unwrap_or_else(|| "TCP".into());
                match p.node_port {
                    Some(n) => format!("{}:{n}/{protocol}", p.port),
                    None => format!("{}/{protocol}", p.port),
                }
            })
            .collect();
        let selector: Vec<String> = spec
            .and_then(|s| s.selector.as_ref())
            .into_iter()
            .flatten()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let kind = spec
            .and_then(|s| s.type_.clone())
            .unwrap_or_else(|| "ClusterIP".into());
        let external = if kind == "LoadBalancer" {
            "<pending>"
        } else {
            "<none>"
        };
        vec![
            json!(kind),
            json!(
                spec.and_then(|s| s.cluster_ip.clone())
                    .unwrap_or_else(|| "None".into())
            ),
            json!(external),
            json!(or_none(ports.join(","))),
            json!(age(self.metadata.creation_timestamp.as_ref(), now)),
            json!(or_none(selector.join(","))),
        ]
    }
}

impl TableRows for ConfigMap {
    fn columns() -> Vec<Column> {
        vec![col("Data", "integer", 0), col("Age", "string", 0)]
    }

    fn cells(&self, now: Timestamp) -> Vec<Value> {
        let n = self.data.as_ref().map_or(0, |d| d.len())
            + self.binary_data.as_ref().map_or(0, |d| d.len());
        vec![
            json!(n),
            json!(age(self.metadata.creation_timestamp.as_ref(), now)),
        ]
    }
}

impl TableRows for Lease {
    fn columns() -> Vec<Column> {
        vec![col("Holder", "string", 0), col("Age", "string", 0)]
    }

    fn cells(&self, now: Timestamp) -> Vec<Value> {
        vec![
            json!(
                self.spec
                    .as_ref()
                    .and_then(|s| s.holder_identity.clone())
                    .unwrap_or_default()
            ),
            json!(age(self.metadata.creation_timestamp.as_ref(), now)),
        ]
    }
}
