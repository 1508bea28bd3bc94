//! Pod and node CPU/memory from `metrics.k8s.io`, sampled on an interval (the metrics API
//! cannot be watched). A cluster without it says so once, and is asked again rarely.

use std::borrow::Cow;
use std::time::Duration;

use kube::Client;
use serde::Deserialize;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::quantity;
use crate::sources::EventSink;
use crate::store::{SourceEvent, UsageSample};

/// How often to ask again when the cluster has no metrics API.
const ABSENT_RETRY: Duration = Duration::from_secs(300);
/// A round may take at most this share of the time between rounds (1/10): a big estate
/// whose metrics take seconds to serve and read (18 MB of JSON for 50,000 pods) is sampled
/// less often, so neither the API server nor the console spends its time on metrics.
const COST_SHARE: u32 = 10;
/// However costly a round, the samples come at least this many intervals apart at most.
const MAX_STRETCH: u32 = 4;

/// The wait before the next round, when the last one took `took`.
fn paced(interval: Duration, took: Duration) -> Duration {
    interval.max(took * COST_SHARE).min(interval * MAX_STRETCH)
}

// The list of every pod's metrics is big (18 MB of JSON for 50,000 pods) and read every
// interval, so its strings are borrowed from the response rather than allocated: a
// `Cow` borrows unless a string holds an escape.

#[derive(Debug, Deserialize)]
struct MetricsList<T> {
    #[serde(default = "Vec::new")]
    items: Vec<T>,
}

#[derive(Debug, Deserialize)]
struct Meta<'a> {
    #[serde(default, borrow)]
    name: Cow<'a, str>,
    #[serde(default, borrow)]
    namespace: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize, Default)]
struct Resources<'a> {
    #[serde(default, borrow)]
    cpu: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    memory: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize)]
struct PodMetrics<'a> {
    #[serde(borrow)]
    metadata: Meta<'a>,
    #[serde(default, borrow)]
    containers: Vec<ContainerMetrics<'a>>,
}

#[derive(Debug, Deserialize)]
struct ContainerMetrics<'a> {
    #[serde(default, borrow)]
    usage: Resources<'a>,
}

#[derive(Debug, Deserialize)]
struct NodeMetrics<'a> {
    #[serde(borrow)]
    metadata: Meta<'a>,
    #[serde(default, borrow)]
    usage: Resources<'a>,
}

fn usage(r: &Resources<'_>) -> (u64, u64) {
    (
        r.cpu.as_deref().and_then(quantity::cpu_millis).unwrap_or(0),
        r.memory.as_deref().and_then(quantity::bytes).unwrap_or(0),
    )
}

/// The response's text, to be parsed by [`parse`] with its strings borrowed from it.
async fn get(client: &Client, path: &str) -> Result<String, kube::Error> {
    let request = http::Request::get(path)
        .body(Vec::new())
        .map_err(kube::Error::HttpError)?;
    client.request_text(request).await
}

fn parse<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, kube::Error> {
    serde_json::from_str(text).map_err(kube::Error::SerdeError)
}

fn pods_path(namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods"),
        None => "/apis/metrics.k8s.io/v1beta1/pods".to_string(),
    }
}

/// Each pod's usage, its containers' summed.
fn pod_samples(text: &str) -> Result<Vec<UsageSample>, kube::Error> {
    let list: MetricsList<PodMetrics> = parse(text)?;
    Ok(list
        .items
        .iter()
        .map(|p| {
            let (cpu, mem) = p
                .containers
                .iter()
                .map(|c| usage(&c.usage))
                .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
            UsageSample {
                namespace: p
                    .metadata
                    .namespace
                    .as_deref()
                    .unwrap_or_default()
                    .to_string(),
                name: p.metadata.name.to_string(),
                cpu_millis: cpu,
                memory_bytes: mem,
            }
        })
        .collect())
}

fn node_samples(text: &str) -> Result<Vec<UsageSample>, kube::Error> {
    let list: MetricsList<NodeMetrics> = parse(text)?;
    Ok(list
        .items
        .iter()
        .map(|n| {
            let (cpu, mem) = usage(&n.usage);
            UsageSample {
                namespace: String::new(),
                name: n.metadata.name.to_string(),
                cpu_millis: cpu,
                memory_bytes: mem,
            }
        })
        .collect())
}

/// Sample until cancelled.
pub async fn sample(
    client: Client,
    context: String,
    namespace: Option<String>,
    interval: Duration,
    mut pods_listed: watch::Receiver<bool>,
    mut sink: EventSink,
    cancel: CancellationToken,
) {
    // Until the pods are listed (or refused, or failing), or one interval at most.
    tokio::select! {
        _ = cancel.cancelled() => return,
        _ = pods_listed.wait_for(|listed| *listed) => {}
        _ = tokio::time::sleep(interval) => {}
    }
    let mut known_available: Option<bool> = None;
    loop {
        let started = tokio::time::Instant::now();
        // A round in flight is dropped on cancel (a context switched away, the console
        // quitting): its requests would still cost the API server a 50,000-pod answer.
        let round = async {
            let pods = get(&client, &pods_path(namespace.as_deref())).await?;
            let pods = pod_samples(&pods)?;
            // Nodes may be refused (a namespaced viewer) while pods are allowed.
            let nodes = match get(&client, "/apis/metrics.k8s.io/v1beta1/nodes").await {
                Ok(text) => node_samples(&text).unwrap_or_default(),
                Err(_) => Vec::new(),
            };
            Ok::<_, kube::Error>((pods, nodes))
        };
        let sampled = tokio::select! {
            _ = cancel.cancelled() => return,
            sampled = round => sampled,
        };
        let (available, wait) = match sampled {
            Ok((pods, nodes)) => {
                let event = SourceEvent::Usage {
                    context: context.clone(),
                    pods,
                    nodes,
                };
                let took = started.elapsed();
                if sink.send(event).await.is_err() {
                    return;
                }
                (Some(true), paced(interval, took))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_costly_round_stretches_the_interval_within_bounds() {
        let interval = Duration::from_secs(15);
        assert_eq!(paced(interval, Duration::from_millis(40)), interval);
        assert_eq!(
            paced(interval, Duration::from_secs(3)),
            Duration::from_secs(30)
        );
        assert_eq!(paced(interval, Duration::from_secs(20)), interval * 4);
    }

    #[test]
    fn pod_samples_sum_containers_and_keep_escaped_names() {
        let text = r#"{"kind":"PodMetricsList","items":[
            {"metadata":{"name":"api-1","namespace":"shop","labels":{"app":"api"}},
             "containers":[{"name":"a","usage":{"cpu":"250m","memory":"1Mi"}},
                           {"name":"b","usage":{"cpu":"1","memory":"1Ki"}}]},
            {"metadata":{"name":"we\u0069rd"},"containers":[]}]}"#;
        let samples = pod_samples(text).expect("parses");
        assert_eq!(
            samples,
            vec![
                UsageSample {
                    namespace: "shop".into(),
                    name: "api-1".into(),
                    cpu_millis: 1250,
                    memory_bytes: 1024 * 1024 + 1024,
                },
                UsageSample {
                    namespace: String::new(),
                    name: "weird".into(),
                    cpu_millis: 0,
                    memory_bytes: 0,
                },
            ]
        );
        let nodes = node_samples(
            r#"{"items":[{"metadata":{"name":"node-1"},"usage":{"cpu":"2","memory":"2Gi"}}]}"#,
        )
        .expect("parses");
        assert_eq!(nodes[0].cpu_millis, 2000);
        assert_eq!(nodes[0].memory_bytes, 2 << 30);
        assert!(pod_samples("{").is_err());
    }
}
