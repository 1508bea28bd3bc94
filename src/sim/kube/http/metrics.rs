//! `metrics.k8s.io/v1beta1`: pod and node usage for `kubectl top` and the console's
//! threshold alerts. Usage is a function of the seed, the pod, its log style, the time
//! (15-second windows, like metrics-server's scrape) and the faults in force.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::target::Target;
use super::{Ctx, Reply, reply};
use crate::sim::common::seeded::{fnv, hash};
use crate::sim::common::time::rfc3339_secs;
use crate::sim::kube::cluster::Cluster;
use crate::sim::kube::object::{Phase, StoredObject};
use crate::sim::kube::resources::Kind;
use crate::sim::kube::scenario::{FaultKind, LogStyle};
use crate::sim::kube::status::ApiError;

pub fn serve(ctx: &Ctx, target: &Target, verb: &str) -> Reply {
    // Seconds of CPU over 50,000 pods: off the worker thread whose queued tasks (watch
    // streams, other requests) would otherwise wait for it.
    heavy(|| serve_now(ctx, target, verb))
}

/// Run `work` with the worker thread's other tasks handed to another thread, when the
/// runtime has more than one (the sim in tests may run on a single-threaded one).
fn heavy<T>(work: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    let multi =
        Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread);
    if multi {
        tokio::task::block_in_place(work)
    } else {
        work()
    }
}

fn serve_now(ctx: &Ctx, target: &Target, verb: &str) -> Reply {
    let (labels, fields) = super::read::filters(ctx)?;
    let node_metrics = target.resource.kind_id == Kind::NodeMetrics;
    let source = if node_metrics { Kind::Node } else { Kind::Pod };
    // Only shared handles are taken under the store's lock: reading 50,000 pods' JSON
    // there would stall every other request (list pages, watches) for seconds.
    let objects: Vec<Arc<StoredObject>> = {
        let store = ctx.cluster.store();
        match &target.name {
            Some(name) => store
                .get(source, target.namespace(), name)
                .into_iter()
                .collect(),
            None => store
                .list(source, target.namespace.as_deref(), None)
                .filter(|o| labels.matches_object(o) && fields.matches(o))
                .cloned()
                .collect(),
        }
    };
    let timestamp = timestamp(&ctx.cluster);
    let items: Vec<Item> = if node_metrics {
        let totals = node_totals(&ctx.cluster);
        objects
            .iter()
            .map(|o| {
                let total = totals.get(o.name()).copied().unwrap_or_default();
                node_usage(o, total, &timestamp)
            })
            .collect()
    } else {
        objects
            .iter()
            .filter(|o| o.summary.phase == Phase::Running)
            .filter_map(|o| pod_usage(&ctx.cluster, o, &timestamp))
            .collect()
    };
    if verb == "get" {
        return items
            .into_iter()
            .next()
            .map(|item| reply::json_of(200, &item))
            .ok_or_else(|| {
                ApiError::new(
                    404,
                    "NotFound",
                    format!(
                        "{}.metrics.k8s.io \"{}\" not found",
                        target.resource.plural,
                        target.name()
                    ),
                )
            });
    }
    Ok(reply::json_of(
        200,
        &ItemList {
            kind: format!("{}List", target.resource.kind),
            api_version: API_VERSION,
            metadata: Empty {},
            items,
        },
    ))
}

const API_VERSION: &str = "metrics.k8s.io/v1beta1";

/// What a metrics list or get answers, written straight from these structs: building
/// `serde_json::Value` trees for 50,000 pods cost more than computing their usage.
#[derive(Serialize)]
struct ItemList<'a> {
    kind: String,
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    metadata: Empty,
    items: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct Item<'a> {
    kind: &'static str,
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    metadata: ItemMeta<'a>,
    timestamp: &'a str,
    window: &'static str,
    /// Pods: per container.
    #[serde(skip_serializing_if = "Option::is_none")]
    containers: Option<Vec<ContainerUsage>>,
    /// Nodes: the whole node.
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Usage>,
}

#[derive(Serialize)]
struct ItemMeta<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
    labels: Labels<'a>,
    #[serde(rename = "creationTimestamp")]
    creation_timestamp: &'a str,
}

/// A stored object's labels as a JSON map (`null` when it has none).
struct Labels<'a>(&'a StoredObject);

impl Serialize for Labels<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.labels.is_empty() {
            return serializer.serialize_none();
        }
        serializer.collect_map(self.0.labels.iter().map(|(k, v)| (&**k, &**v)))
    }
}

#[derive(Serialize)]
struct ContainerUsage {
    name: String,
    usage: Usage,
}

#[derive(Serialize)]
struct Usage {
    cpu: String,
    memory: String,
}

impl Usage {
    /// Millicores and bytes, in the units metrics-server writes (`n`, `Ki`).
    fn new(cpu_millis: f64, memory_bytes: f64) -> Usage {
        Usage {
            cpu: format!("{}n", (cpu_millis * 1e6) as u64),
            memory: format!("{}Ki", (memory_bytes / 1024.0) as u64),
        }
    }
}

/// The part of a pod its usage depends on besides what the store keeps apart (name,
/// labels, node): its containers. Read without building a whole `Pod`, which made a
/// metrics request over 50,000 pods take seconds of the sim's CPU.
#[derive(Deserialize)]
struct PodContainers {
    spec: Option<ContainersSpec>,
}

#[derive(Deserialize)]
struct ContainersSpec {
    #[serde(default)]
    containers: Vec<ContainerImage>,
}

#[derive(Deserialize)]
struct ContainerImage {
    name: String,
    #[serde(default)]
    image: Option<String>,
}

/// A pod's containers, `None` when its JSON does not parse.
fn containers(pod: &StoredObject) -> Option<Vec<ContainerImage>> {
    let parsed: PodContainers = pod.parse().ok()?;
    Some(parsed.spec.map(|s| s.containers).unwrap_or_default())
}

/// Typical (cpu millicores, memory MiB) of a container by log style.
fn baseline(style: LogStyle) -> (f64, f64) {
    match style {
        LogStyle::HttpAccess => (40.0, 90.0),
        LogStyle::JsonApp => (220.0, 380.0),
        LogStyle::Worker => (350.0, 300.0),
        LogStyle::Postgres => (600.0, 1800.0),
        LogStyle::Redis => (90.0, 260.0),
        LogStyle::Backup => (700.0, 220.0),
        LogStyle::Logfmt => (25.0, 110.0),
    }
}

/// (cpu millicores, memory bytes) of one container now.
fn container_usage(
    cluster: &Cluster,
    pod: &StoredObject,
    container: &str,
    image: &str,
) -> (f64, f64) {
    let namespace = pod.namespace();
    let name = pod.name();
    let app = pod.label("app");
    let profile = cluster.profiles.for_container(namespace, app, image);
    let (cpu, mem) = baseline(profile.style);
    let now = cluster.sim_secs();
    let window = (now / 15.0).floor() as u64;
    let key = fnv(&format!("{namespace}/{name}/{container}"));
    let noise = |salt: u64| (hash(&[cluster.seed, key, window, salt]) % 1000) as f64 / 1000.0;
    // A slow daily swell, plus jitter per scrape window.
    let daily = 1.0 + 0.25 * (now / 86_400.0 * std::f64::consts::TAU).sin();
    let mut cpu = cpu * daily * (0.7 + 0.6 * noise(1));
    let mut mem = mem * (0.85 + 0.3 * noise(2)) * 1024.0 * 1024.0;
    let label = |k: &str| pod.label(k).map(str::to_string);
    match cluster.faults.container_fault(now, namespace, &label) {
        // Memory climbs towards the kill.
        Some(FaultKind::OomKill) => mem *= 2.0 + 2.0 * noise(3),
        Some(FaultKind::CrashLoop) => cpu *= 0.3,
        _ => {}
    }
    // Callers of a failing dependency burn CPU on retries.
    let failing = profile.depends_on.iter().any(|dep| {
        cluster
            .faults
            .outages(namespace, dep)
            .iter()
            .any(|(s, e)| now >= *s && e.is_none_or(|e| now < e))
    });
    if failing {
        cpu *= 2.6;
    }
    (cpu, mem)
}

fn pod_usage<'a>(cluster: &Cluster, pod: &'a StoredObject, timestamp: &'a str) -> Option<Item<'a>> {
    let containers = containers(pod)?
        .into_iter()
        .map(|c| {
            let (cpu, mem) = container_usage(
                cluster,
                pod,
                &c.name,
                c.image.as_deref().unwrap_or_default(),
            );
            ContainerUsage {
                name: c.name,
                usage: Usage::new(cpu, mem),
            }
        })
        .collect();
    Some(Item {
        kind: "PodMetrics",
        api_version: API_VERSION,
        metadata: ItemMeta {
            name: pod.name(),
            namespace: Some(pod.namespace()),
            labels: Labels(pod),
            creation_timestamp: timestamp,
        },
        timestamp,
        window: "15s",
        containers: Some(containers),
        usage: None,
    })
}

/// The summed (cpu, memory) of running containers per node, in one pass over the pods.
fn node_totals(cluster: &Cluster) -> HashMap<String, (f64, f64)> {
    let pods: Vec<Arc<StoredObject>> = {
        let store = cluster.store();
        store
            .list(Kind::Pod, None, None)
            .filter(|o| o.summary.phase == Phase::Running && o.summary.node.is_some())
            .cloned()
            .collect()
    };
    let mut totals: HashMap<String, (f64, f64)> = HashMap::new();
    for pod in &pods {
        let (Some(node), Some(containers)) = (pod.summary.node.as_deref(), containers(pod)) else {
            continue;
        };
        let entry = totals.entry(node.to_string()).or_default();
        for c in &containers {
            let (cpu, mem) = container_usage(
                cluster,
                pod,
                &c.name,
                c.image.as_deref().unwrap_or_default(),
            );
            entry.0 += cpu;
            entry.1 += mem;
        }
    }
    totals
}

fn node_usage<'a>(node: &'a StoredObject, pods: (f64, f64), timestamp: &'a str) -> Item<'a> {
    // The system's own share (kubelet, runtime, OS) plus every running container.
    let cpu = 180.0 + pods.0;
    let mem = 1.4 * 1024.0 * 1024.0 * 1024.0 + pods.1;
    Item {
        kind: "NodeMetrics",
        api_version: API_VERSION,
        metadata: ItemMeta {
            name: node.name(),
            namespace: None,
            labels: Labels(node),
            creation_timestamp: timestamp,
        },
        timestamp,
        window: "20s",
        containers: None,
        usage: Some(Usage::new(cpu, mem)),
    }
}

fn timestamp(cluster: &Cluster) -> String {
    rfc3339_secs(cluster.clock.now())
}
