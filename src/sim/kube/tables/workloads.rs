//! Table rows for the workload kinds (apps/v1, batch/v1), following kubectl's printers.

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{
    ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet,
};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_json::{Value, json};

use super::{Column, TableRows, age, col, human_duration, or_none};

/// The wide columns every workload ends with.
fn wide_columns(mut columns: Vec<Column>) -> Vec<Column> {
    columns.push(col("Containers", "string", 1));
    columns.push(col("Images", "string", 1));
    columns.push(col("Selector", "string", 1));
    columns
}

fn wide_cells(template: Option<&PodTemplateSpec>, selector: Option<&LabelSelector>) -> [Value; 3] {
    let containers = template
        .and_then(|t| t.spec.as_ref())
        .map(|s| s.containers.as_slice())
        .unwrap_or_default();
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    let images: Vec<&str> = containers
        .iter()
        .filter_map(|c| c.image.as_deref())
        .collect();
    [
        json!(names.join(",")),
        json!(images.join(",")),
        json!(or_none(selector_text(selector))),
    ]
}

/// A selector as `metav1.FormatLabelSelector` writes it.
pub fn selector_text(selector: Option<&LabelSelector>) -> String {
    let Some(selector) = selector else {
        return String::new();
    };
    let mut parts: Vec<String> = selector
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for e in selector.match_expressions.iter().flatten() {
        let values = e.values.clone().unwrap_or_default().join(",");
        parts.push(match e.operator.as_str() {
            "In" => format!("{} in ({values})", e.key),
            "NotIn" => format!("{} notin ({values})", e.key),
            "Exists" => e.key.clone(),
            _ => format!("!{}", e.key),
        });
    }
    parts.join(",")
}

impl TableRows for Deployment {
    fn columns() -> Vec<Column> {
        wide_columns(vec![
            col("Ready", "string", 0),
            col("Up-to-date", "string", 0),
            col("Available", "string", 0),
            col("Age", "string", 0),
        ])
    }

    fn cells(&self, now: Timestamp) -> Vec<Value> {
        let spec = Some(&self.spec);
        let status = self.status.as_ref();
        let desired = spec.and_then(|s| s.replicas).unwrap_or(1);
        let ready = status.and_then(|s| s.ready_replicas).unwrap_or(0);
        let mut cells = vec![
            json!(format!("{ready}/{desired}")),
            json!(status.and_then(|s| s.updated_replicas).unwrap_or(0)),
            json!(status.and_then(|s| s.available_replicas).unwrap_or(0)),
            json!(age(self.metadata.creation_timestamp.as_ref(), now)),
        ];
        cells.extend(wide_cells(
            spec.map(|s| &s.template),
            spec.map(|s| &s.selector),
        ));
        cells
    }
}

impl TableRows for ReplicaSet {
    fn columns() -> Vec<Column> {
        wide_columns(vec![
            col("Desired", "integer", 0),
            col("Current", "integer", 0),
            col("Ready", "integer", 0),
            col("Age", "string", 0),
        ])
    }

    fn cells(&self, now: Timestamp) -> Vec<Value> {
        let spec = Some(&self.spec);
        let status = self.status.as_ref();
        let mut cells = vec![
            json!(spec.and_then(|s| s.replicas).unwrap_or(1)),
            json!(status.map_or(0, |s| s.replicas)),
            json!(status.and_then(|s| s.ready_replicas).unwrap_or(0)),
            json!(age(self.metadata.creation_timestamp.as_ref(), now)),
        ];
        cells.extend(wide_cells(
            spec.and_then(|s| s.template.as_ref()),
            spec.map(|s| &s.selector),
        ));
        cells
    }
}

impl TableRows for StatefulSet {
    fn columns() -> Vec<Column> {
        vec![
            col("Ready", "string", 0),
            col("Age", "string", 0),
            col("Containers", "string", 1),
            col("Images", "string", 1),
        ]
    }

    fn cells(&self, now: Timestamp) -> Vec<Value> {
        let spec = Some(&self.spec);
        let status = self.status.as_ref();
        let [containers, images, _] = wide_cells(spec.map(|s| &s.template), None);
        vec![
            json!(format!(
                "{}/{}",
                status.and_then(|s| s.ready_replicas).unwrap_or(0),
                spec.and_then(|s| s.replicas).unwrap_or(1)
            )),
            json!(age(self.metadata.creation_timestamp.as_ref(), now)),
            containers,
            images,
        ]
    }
}

impl TableRows for DaemonSet {
    fn columns() -> Vec<Column> {
        let mut columns = vec![
            col("Desired", "integer", 0),
            col("Current", "integer", 0),
            col("Ready", "integer", 0),
            col("Up-to-date", "integer", 0),
            col("Available", "integer", 0),
            col("Node Selector", "string", 0),
            col("Age", "string", 0),
        ];
        columns = wide_columns(columns);
        columns
    }

    fn cells(&self, now: Timestamp) -> Vec<Value> {
        let spec = Some(&self.spec);
        let status = self.status.as_ref();
        let node_selector: Vec<String> = spec
            .and_then(|s| s.template.spec.as_ref())
            .and_then(|s| s.node_selector.as_ref())
            .into_iter()
            .flatten()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let mut cells = vec![
            json!(status.map_or(0, |s| s.desired_number_scheduled)),
            json!(status.map_or(0, |s| s.current_number_scheduled)),
            json!(status.map_or(0, |s| s.number_ready)),
            json!(status.and_then(|s| s.updated_number_scheduled).unwrap_or(0)),
            json!(status.and_then(|s| s.number_available).unwrap_or(0)),
            json!(or_none(node_selector.join(","))),
            json!(age(self.metadata.creation_timestamp.as_ref(), now)),
        ];
        cells.extend(wide_cells(
            spec.map(|s| &s.template),
            spec.map(|s| &s.selector),
        ));
        cells
    }
}

impl TableRows for ControllerRevision {
    fn columns() -> Vec<Column> {
        vec![
            col("Controller", "string", 0),
            col("Revision", "integer", 0),
            col("Age", "string", 0),
        ]
    }

    fn cells(&self, now: Timestamp) -> Vec<Value> {
        let controller = self
            .metadata
            .owner_references
            .iter()
            .flatten()
            .find(|o| o.controller == Some(true))
            .map(|o| {
                let group = o.api_version.split_once('/').map_or("", |(g, _)| g);
                format!("{}.{group}/{}", o.kind.to_lowercase(), o.name)
            })
            .unwrap_or_else(|| "<none>".into());
        vec![
            json!(controller),
            json!(self.revision),
            json!(age(self.metadata.creation_timestamp.as_ref(), now)),
        ]
    }
}

/// The STATUS of a Job, as kubectl 1.32 prints it.
pub fn job_status_text(job: &Job) -> &'static str {
    let has = |kind: &str| {
        job.status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .into_iter()
            .flatten()
            .any(|c| c.type_ == kind && c.status == "True")
    };
    if job.spec.as_ref().and_then(|s| s.suspend) == Some(true) {
        "Suspended"
    } else if has("Complete") {
        "Complete"
    } else if has("Failed") {
        "Failed"
    } else if job.metadata.deletion_timestamp.is_some() {
        "Terminating"
    } else if has("FailureTarget") {
        "FailureTarget"
    } else if has("SuccessCriteriaMet") {
        "SuccessCriteriaMet"
    } else {
        "Running"
    }
}

impl TableRows for Job {
    fn columns() -> Vec<Column> {
        wide_columns(vec![
            col("Status", "string", 0),
            col("Completions", "string", 0),
            col("Duration", "string", 0),
            col("Age", "string", 0),
        ])
    }

    fn cells(&self, now: Timestamp) -> Vec<Value> {
        let spec = self.spec.as_ref();
        let status = self.status.as_ref();
        let succeeded = status.and_then(|s| s.succeeded).unwrap_or(0);
        let completions = match spec.and_then(|s| s.completions) {
            Some(c) => format!("{succeeded}/{c}"),
            None => {
                let parallelism = spec.and_then(|s| s.parallelism).unwrap_or(1);
                if parallelism > 1 {
                    format!("{succeeded}/1 of {parallelism}")
                } else {
                    format!("{succeeded}/1")
                }
            }
        };
        let start = status.and_then(|s| s.start_time.as_ref()).map(|t| t.0);
        let end = status
            .and_then(|s| s.completion_time.as_ref())
            .map_or(now, |t| t.0);
        let duration = start.map_or(String::new(), |s| {
            human_duration(end.as_second() - s.as_second())
        });
        let mut cells = vec![
            json!(job_status_text(self)),
            json!(completions),
            json!(duration),
            json!(age(self.metadata.creation_timestamp.as_ref(), now)),
        ];
        cells.extend(wide_cells(
            spec.map(|s| &s.template),
            spec.and_then(|s| s.selector.as_ref()),
        ));
        cells
    }
}

impl TableRows for CronJob {
    fn columns() -> Vec<Column> {
        wide_columns(vec![
            col("Schedule", "string", 0),
            col("Timezone", "string", 0),
            col("Suspend", "boolean", 0),
            col("Active", "integer", 0),
            col("Last Schedule", "string", 0),
            col("Age", "string", 0),
        ])
    }

    fn cells(&self, now: Timestamp) -> Vec<Value> {
        let spec = Some(&self.spec);
        let status = self.status.as_ref();
        let template = spec
            .and_then(|s| s.job_template.spec.as_ref())
            .map(|s| &s.template);
        let selector = spec
            .and_then(|s| s.job_template.spec.as_ref())
            .and_then(|s| s.selector.as_ref());
        let last = match status.and_then(|s| s.last_schedule_time.as_ref()) {
            Some(t) => age(Some(t), now),
            None => "<none>".into(),
        };
        let mut cells = vec![
            json!(spec.map(|s| s.schedule.clone()).unwrap_or_default()),
            json!(or_none(
                spec.and_then(|s| s.time_zone.clone()).unwrap_or_default()
            )),
            json!(spec.and_then(|s| s.suspend).unwrap_or(false)),
            json!(status.and_then(|s| s.active.as_ref()).map_or(0, Vec::len)),
            json!(last),
            json!(age(self.metadata.creation_timestamp.as_ref(), now)),
        ];
        cells.extend(wide_cells(template, selector));
        cells
    }
}
