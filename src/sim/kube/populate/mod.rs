//! The initial estate of a cluster, from its scenario: namespaces, nodes and their leases,
//! the system workloads, the scenario's workloads with their revision history, and bulk
//! deployments — all built as the controllers would have built them, already running.

mod quantity;
mod workloads;

use std::collections::{BTreeMap, HashMap};

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

use super::admission::Admission;
use super::cluster::Cluster;
use super::controllers::nodes::{self, NodeShape};
use super::logs::{LogProfile, Profiles, style_for_image};
use super::scenario::{ClusterSpec, LogStyle, WorkloadKind, WorkloadSpec};
use crate::sim::common::seeded::Rng;

/// Lines per second per container when the scenario does not say.
fn default_rate(style: LogStyle) -> f64 {
    match style {
        LogStyle::HttpAccess => 4.0,
        LogStyle::JsonApp => 3.0,
        LogStyle::Worker => 1.0,
        LogStyle::Postgres => 0.5,
        LogStyle::Redis => 0.1,
        LogStyle::Backup => 0.5,
        LogStyle::Logfmt => 0.2,
    }
}

/// The workloads every cluster has in `kube-system`.
fn system_workloads() -> Vec<WorkloadSpec> {
    let workload = |name: &str, kind, image: &str, replicas| WorkloadSpec {
        name: name.into(),
        kind,
        image: image.into(),
        replicas,
        port: None,
        service: false,
        logs: Some(LogStyle::Logfmt),
        log_rate: Some(0.1),
        history: Vec::new(),
        schedule: None,
        run_time: None,
        depends_on: Vec::new(),
        cpu: Some("100m".into()),
        memory: Some("70Mi".into()),
        labels: BTreeMap::new(),
        env: BTreeMap::new(),
        args: Vec::new(),
        pod_management: None,
    };
    vec![
        workload(
            "coredns",
            WorkloadKind::Deployment,
            "registry.k8s.io/coredns/coredns:v1.11.3",
            Some(2),
        ),
        workload(
            "metrics-server",
            WorkloadKind::Deployment,
            "registry.k8s.io/metrics-server/metrics-server:v0.7.2",
            Some(1),
        ),
        workload(
            "kube-proxy",
            WorkloadKind::DaemonSet,
            "registry.k8s.io/kube-proxy:v1.32.4",
            None,
        ),
    ]
}

/// Every workload of the cluster by namespace, system and generated ones included.
fn all_workloads(spec: &ClusterSpec) -> Vec<(String, Vec<WorkloadSpec>)> {
    let mut out = vec![("kube-system".to_string(), system_workloads())];
    for ns in &spec.namespaces {
        out.push((ns.name.clone(), ns.workloads.clone()));
    }
    if let Some(g) = &spec.generate {
        for n in 0..g.namespaces {
            let workloads = (0..g.deployments_per_namespace)
                .map(|d| WorkloadSpec {
                    name: format!("svc-{d:02}"),
                    kind: WorkloadKind::Deployment,
                    image: g.image.clone(),
                    replicas: Some(g.replicas),
                    port: Some(8080),
                    service: false,
                    logs: Some(LogStyle::JsonApp),
                    log_rate: g.log_rate,
                    history: Vec::new(),
                    schedule: None,
                    run_time: None,
                    depends_on: Vec::new(),
                    cpu: Some("50m".into()),
                    memory: Some("64Mi".into()),
                    labels: BTreeMap::new(),
                    env: BTreeMap::new(),
                    args: Vec::new(),
                    pod_management: None,
                })
                .collect();
            out.push((format!("team-{n:03}"), workloads));
        }
    }
    out
}

/// The log profile of every workload, by namespace and app.
pub fn profiles(spec: &ClusterSpec) -> Profiles {
    let mut profiles = Profiles::default();
    for (namespace, workloads) in all_workloads(spec) {
        for w in workloads {
            let style = w.logs.unwrap_or_else(|| style_for_image(&w.image));
            profiles.insert(
                &namespace,
                &w.name,
                LogProfile {
                    style,
                    rate: w.log_rate.unwrap_or_else(|| default_rate(style)),
                    depends_on: w.depends_on.clone(),
                    run_time: w.run_time.unwrap_or(60.0),
                },
            );
        }
    }
    profiles
}

/// Where the initial pods go: round-robin over the nodes, each node's IPs in order.
pub struct Placement {
    nodes: Vec<(String, u32)>,
    next: usize,
    /// Next pod IP host number per node.
    pub next_ip: HashMap<String, u32>,
}

impl Placement {
    /// The next node, its pod IP and host IP.
    fn place(&mut self) -> Option<(String, String, String)> {
        if self.nodes.is_empty() {
            return None;
        }
        let (name, index) = self.nodes[self.next % self.nodes.len()].clone();
        self.next += 1;
        let host = self.next_ip.entry(name.clone()).or_insert(2);
        let ip = format!("10.244.{}.{}", index % 256, *host);
        *host = if *host >= 253 { 2 } else { *host + 1 };
        Some((name, ip, nodes::node_ip(index)))
    }

    pub fn node_names(&self) -> impl Iterator<Item = &(String, u32)> {
        self.nodes.iter()
    }

    /// The node the next pod would go to.
    fn peek_node(&self) -> Option<String> {
        if self.nodes.is_empty() {
            return None;
        }
        Some(self.nodes[self.next % self.nodes.len()].0.clone())
    }

    /// Pass over the next node.
    fn skip(&mut self) {
        self.next += 1;
    }
}

/// Build the estate into the cluster's store. Returns where pod IPs continue per node.
pub fn populate(cluster: &Cluster, spec: &ClusterSpec, seed: u64) -> HashMap<String, u32> {
    let mut rng = Rng::new(seed ^ 0x0e57_a7e0);
    let mut store = cluster.store();
    let now = store.clock().now();
    let ago = |secs: i64| {
        now.checked_sub(SignedDuration::from_secs(secs))
            .unwrap_or(now)
    };
    let birth = ago(86_400 * 90 + rng.range(0, 86_400 * 30) as i64);

    let mut namespaces: Vec<String> = ["default", "kube-system", "kube-public", "kube-node-lease"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for (name, _) in all_workloads(spec) {
        if !namespaces.contains(&name) {
            namespaces.push(name);
        }
    }
    for ns in &spec.namespaces {
        if !namespaces.contains(&ns.name) {
            namespaces.push(ns.name.clone());
        }
    }
    if let Some(velero) = &spec.velero
        && !namespaces.contains(&velero.namespace)
    {
        namespaces.push(velero.namespace.clone());
    }
    for name in &namespaces {
        let mut ns = Namespace {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                creation_timestamp: Some(Time(birth)),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        };
        ns.apply_defaults();
        let _ = store.create(ns);
    }

    let mut placement = Placement {
        nodes: Vec::new(),
        next: 0,
        next_ip: HashMap::new(),
    };
    let zones = if spec.nodes.zones.is_empty() {
        vec!["zone-a".to_string()]
    } else {
        spec.nodes.zones.clone()
    };
    for i in 0..spec.nodes.count {
        let name = format!("{}-{}", spec.nodes.prefix, i + 1);
        let shape = NodeShape {
            cpu: &spec.nodes.cpu,
            memory: &spec.nodes.memory,
            max_pods: spec.nodes.max_pods,
            zone: &zones[i as usize % zones.len()],
            control_plane: false,
        };
        let _ = store.create(nodes::build_node(&name, i, &shape, birth, &mut rng));
        let mut lease = nodes::lease_for(&name, now);
        lease.metadata.creation_timestamp = Some(Time(birth));
        let _ = store.create(lease);
        placement.nodes.push((name, i));
    }

    let mut builder = workloads::Builder {
        store: &mut store,
        rng: &mut rng,
        placement: &mut placement,
        now,
        birth,
    };
    builder.default_services();
    for (namespace, list) in all_workloads(spec) {
        for w in &list {
            builder.workload(&namespace, w);
        }
    }
    for ns in &spec.namespaces {
        for (name, data) in &ns.config_maps {
            let cm = ConfigMap {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(ns.name.clone()),
                    creation_timestamp: Some(Time(birth)),
                    ..ObjectMeta::default()
                },
                data: Some(data.clone()),
                ..ConfigMap::default()
            };
            let _ = builder.store.create(cm);
        }
    }
    if let Some(velero) = &spec.velero {
        super::velero::populate::populate(&mut store, velero, now);
    }
    // The estate is the starting point, not news: controllers start from here.
    let _ = store.take_changes();
    placement.next_ip
}

/// A timestamp `secs` before `now`.
fn before(now: Timestamp, secs: f64) -> Timestamp {
    now.checked_sub(SignedDuration::from_millis((secs * 1000.0) as i64))
        .unwrap_or(now)
}
