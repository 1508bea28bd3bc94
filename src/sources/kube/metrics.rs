//! Pod and node CPU/memory from `metrics.k8s.io`, sampled on an interval (the metrics API
//! cannot be watched). A cluster without it says so once, and is asked again rarely.

use std::time::Duration;

use kube::Client;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use super::quantity;
use crate::sources::EventSink;
use crate::store::{SourceEvent, UsageSample};

/// How often to ask again when the cluster has no metrics API.
const ABSENT_RETRY: Duration = Duration::from_secs(300);

#[derive(Debug, Deserialize)]
struct MetricsList<T> {
    #[serde(default = "Vec::new")]
    items: Vec<T>,
}

#[derive(Debug, Deserialize)]
struct Meta {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
struct Resources {
    #[serde(default)]
    cpu: Option<String>,
    #[serde(default)]
    memory: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PodMetrics {
    metadata: Meta,
    #[serde(default)]
    containers: Vec<ContainerMetrics>,
}

#[derive(Debug, Deserialize)]
struct ContainerMetrics {
    #[serde(default)]
    usage: Resources,
}

#[derive(Debug, Deserialize)]
struct NodeMetrics {
    metadata: Meta,
    #[serde(default)]
    usage: Resources,
}

fn usage(r: &Resources) -> (u64, u64) {
    (
        r.cpu.as_deref().and_then(quantity::cpu_millis).unwrap_or(0),
        r.memory.as_deref().and_then(quantity::bytes).unwrap_or(0),
    )
}

async fn get<T: serde::de::DeserializeOwned>(
    client: &Client,
    path: &str,
) -> Result<T, kube::Error> {
    let request = http::Request::get(path)
        .body(Vec::new())
        .map_err(kube::Error::HttpError)?;
    client.request::<T>(request).await
}

fn pods_path(namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods"),
        None => "/apis/metrics.k8s.io/v1beta1/pods".to_string(),
    }
}

/// Sample until cancelled.
pub async fn sample(
    client: Client,
    context: String,
    namespace: Option<String>,
    interval: Duration,
    mut sink: EventSink,
    cancel: CancellationToken,
) {
    let mut known_available: Option<bool> = None;
    loop {
        let pods = get::<MetricsList<PodMetrics>>(&client, &pods_path(namespace.as_deref())).await;
        let (available, wait) = match pods {
            Ok(list) => {
                // Nodes may be refused (a namespaced viewer) while pods are allowed.
                let nodes =
                    get::<MetricsList<NodeMetrics>>(&client, "/apis/metrics.k8s.io/v1beta1/nodes")
                        .await
                        .map(|l| l.items)
                        .unwrap_or_default();
                let pods = list
                    .items
                    .iter()
                    .map(|p| {
                        let (cpu, mem) = p
                            .containers
                            .iter()
                            .map(|c| usage(&c.usage))
                            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
                        UsageSample {
                            namespace: p.metadata.namespace.clone().unwrap_or_default(),
                            name: p.metadata.name.clone(),
                            cpu_millis: cpu,
                            memory_bytes: mem,
                        }
                    })
                    .collect();
                let nodes = nodes
                    .iter()
                    .map(|n| {
                        let (cpu, mem) = usage(&n.usage);
                        UsageSample {
                            namespace: String::new(),
                            name: n.metadata.name.clone(),
                            cpu_millis: cpu,
                            memory_bytes: mem,
                        }
                    })
                    .collect();
                let event = SourceEvent::Usage {
                    context: context.clone(),
                    pods,
                    nodes,
                };
                if sink.send(event).await.is_err() {
                    return;
                }
                (Some(true), interval)
            }
            Err(kube::Error::Api(s)) if s.code == 404 => (Some(false), ABSENT_RETRY),
            Err(e) => {
                tracing::debug!(context, error = %e, "metrics sampling failed");
                (known_available, interval)
            }
        };
        if available != known_available
            && let Some(available) = available
        {
            known_available = Some(available);
            let event = SourceEvent::MetricsApi {
                context: context.clone(),
                available,
            };
            if sink.send(event).await.is_err() {
                return;
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}
