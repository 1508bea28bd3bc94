//! `metrics.k8s.io/v1beta1`: pod and node usage for `kubectl top` and the console's
//! threshold alerts. Usage is a function of the seed, the pod, its log style, the time
//! (15-second windows, like metrics-server's scrape) and the faults in force.

use std::collections::HashMap;

use k8s_openapi::api::core::v1::{Node, Pod};
use serde_json::{Value, json};

use super::target::Target;
use super::{Ctx, Reply, reply};
use crate::sim::common::seeded::{fnv, hash};
use crate::sim::common::time::rfc3339_secs;
use crate::sim::kube::cluster::Cluster;
use crate::sim::kube::object::Phase;
use crate::sim::kube::resources::Kind;
use crate::sim::kube::scenario::{FaultKind, LogStyle};
use crate::sim::kube::status::ApiError;

pub fn serve(ctx: &Ctx, target: &Target, verb: &str) -> Reply {
    let (labels, fields) = super::read::filters(ctx)?;
    let node_metrics = target.resource.kind_id == Kind::NodeMetrics;
    let source = if node_metrics { Kind::Node } else { Kind::Pod };
    let objects: Vec<_> = {
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
    let node_totals = if node_metrics {
        node_totals(&ctx.cluster)
    } else {
        HashMap::new()
    };
    let items: Vec<Value> = objects
        .iter()
        .filter(|o| node_metrics || o.summary.phase == Phase::Running)
        .filter_map(|o| {
            if node_metrics {
                let total = node_totals.get(o.name()).copied().unwrap_or_default();
                o.parse::<Node>()
                    .ok()
                    .map(|n| node_usage(&ctx.cluster, &n, total))
            } else {
                o.parse::<Pod>().ok().map(|p| pod_usage(&ctx.cluster, &p))
            }
        })
        .collect();
    let kind = target.resource.kind;
    if verb == "get" {
        return items
            .into_iter()
            .next()
            .map(|item| reply::json(200, &item))
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
    Ok(reply::json(
        200,
        &json!({
            "kind": format!("{kind}List"),
            "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {},
            "items": items,
        }),
    ))
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
fn container_usage(cluster: &Cluster, pod: &Pod, container: &str, image: &str) -> (f64, f64) {
    let namespace = pod.metadata.namespace.as_deref().unwrap_or_default();
    let name = pod.metadata.name.as_deref().unwrap_or_default();
    let labels = pod.metadata.labels.clone().unwrap_or_default();
    let app = labels.get("app").map(String::as_str);
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
    let label = |k: &str| labels.get(k).cloned();
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

fn pod_usage(cluster: &Cluster, pod: &Pod) -> Value {
    let containers: Vec<Value> = pod
        .spec
        .iter()
        .flat_map(|s| s.containers.iter())
        .map(|c| {
            let (cpu, mem) = container_usage(cluster, pod, &c.name, c.image.as_deref().unwrap_or_default());
            json!({
                "name": c.name,
                "usage": {"cpu": format!("{}n", (cpu * 1e6) as u64), "memory": format!("{}Ki", (mem / 1024.0) as u64)},
            })
        })
        .collect();
    json!({
        "kind": "PodMetrics",
        "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": {
            "name": pod.metadata.name,
            "namespace": pod.metadata.namespace,
            "labels": pod.metadata.labels,
            "creationTimestamp": timestamp(cluster),
        },
        "timestamp": timestamp(cluster),
        "window": "15s",
        "containers": containers,
    })
}

/// The summed (cpu, memory) of running containers per node, in one pass over the pods.
fn node_totals(cluster: &Cluster) -> HashMap<String, (f64, f64)> {
    let pods: Vec<Pod> = {
        let store = cluster.store();
        store
            .list(Kind::Pod, None, None)
            .filter(|o| o.summary.phase == Phase::Running && o.summary.node.is_some())
            .filter_map(|o| o.parse().ok())
            .collect()
    };
    let mut totals: HashMap<String, (f64, f64)> = HashMap::new();
    for pod in &pods {
        let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.clone()) else {
            continue;
        };
        let entry = totals.entry(node).or_default();
        for c in pod.spec.iter().flat_map(|s| s.containers.iter()) {
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

fn node_usage(cluster: &Cluster, node: &Node, pods: (f64, f64)) -> Value {
    let name = node.metadata.name.as_deref().unwrap_or_default();
    // The system's own share (kubelet, runtime, OS) plus every running container.
    let cpu = 180.0 + pods.0;
    let mem = 1.4 * 1024.0 * 1024.0 * 1024.0 + pods.1;
    json!({
        "kind": "NodeMetrics",
        "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": {
            "name": name,
            "labels": node.metadata.labels,
            "creationTimestamp": timestamp(cluster),
        },
        "timestamp": timestamp(cluster),
        "window": "20s",
        "usage": {"cpu": format!("{}n", (cpu * 1e6) as u64), "memory": format!("{}Ki", (mem / 1024.0) as u64)},
    })
}

fn timestamp(cluster: &Cluster) -> String {
    rfc3339_secs(cluster.clock.now())
}
