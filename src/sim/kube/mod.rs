//! The simulated Kubernetes API: plain HTTP on loopback, objects built from `k8s-openapi`
//! types, controllers running in simulated time, generated logs and injected faults, so
//! the real `kubectl` (and pilothouse's own kube source) work against it unchanged.
//!
//! Every cluster of the scenario (the default scenario: `prod` and `staging`) is served
//! on the main listener under `/clusters/<name>` (the first also at the root), and each
//! cluster × user also gets a port of its own, which is what the kubeconfig uses: kubectl
//! sends no credentials over http and drops a server's path for `--raw` requests. The
//! kubeconfig has contexts `sim-<cluster>` (admin) and `sim-<cluster>-viewer` (read-only),
//! plus `admin`/`viewer` for the first cluster.
//!
//! - [`store`], [`object`], [`types`]: objects, resourceVersions, watch fan-out.
//! - [`resources`], [`http`]: discovery, routing, reads, watches, writes, subresources.
//! - [`selectors`], [`patch`], [`proto`], [`tables`], [`admission`]: the API machinery.
//! - [`controllers`]: Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, CronJobs,
//!   the scheduler and kubelet, nodes, garbage collection, events.
//! - [`logs`]: log generators; [`faults`]: timed and on-demand faults.
//! - [`populate`]: the initial estate from the scenario; [`kubeconfig`].
//! - [`velero`]: Velero's Backup and Schedule CRDs and their controller, where installed.
//!
//! The sim's own control API (`/sim/v1/faults`, `/sim/v1/status`) is described in
//! `http::control`.

pub mod admission;
pub mod cluster;
pub mod controllers;
pub mod faults;
pub mod http;
pub mod kubeconfig;
pub mod logs;
pub mod object;
pub mod patch;
pub mod populate;
pub mod proto;
pub mod resources;
pub mod scenario;
pub mod selectors;
pub mod status;
pub mod store;
pub mod tables;
pub mod types;
pub mod velero;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use scenario::KubeScenario;

use crate::sim::clock::SimClock;
use cluster::Cluster;
use scenario::ClusterSpec;

/// A running simulated API: where it listens and its clusters (for in-process use).
pub struct KubeSim {
    pub kubeconfig: PathBuf,
    /// The root URL (the first cluster); others are under `/clusters/<name>`.
    pub url: String,
    pub clusters: Vec<Arc<Cluster>>,
}

/// Bind the Kubernetes API on `listen`, start its controllers, and write a kubeconfig
/// (to `kubeconfig_out`, or a temporary file). Returns the kubeconfig path and the API URL.
pub async fn start(
    listen: SocketAddr,
    scenario: &KubeScenario,
    clock: SimClock,
    seed: u64,
    kubeconfig_out: Option<&Path>,
) -> std::io::Result<(PathBuf, String)> {
    let sim = start_sim(listen, scenario, clock, seed, kubeconfig_out).await?;
    Ok((sim.kubeconfig, sim.url))
}

/// As [`start`], keeping hold of the clusters.
pub async fn start_sim(
    listen: SocketAddr,
    scenario: &KubeScenario,
    clock: SimClock,
    seed: u64,
    kubeconfig_out: Option<&Path>,
) -> std::io::Result<KubeSim> {
    let specs: Vec<ClusterSpec> = if scenario.clusters.is_empty() {
        vec![ClusterSpec::empty("prod")]
    } else {
        scenario.clusters.clone()
    };
    let mut clusters = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        // Each cluster gets its own stream of randomness from the one seed.
        let cluster_seed = crate::sim::common::seeded::hash(&[seed, i as u64]);
        let cluster = Cluster::new(
            &spec.name,
            clock.clone(),
            cluster_seed,
            populate::profiles(spec),
            spec.velero.is_some(),
        );
        let now = cluster.sim_secs();
        for fault in &spec.faults {
            cluster
                .faults
                .add(fault.clone(), now)
                .map_err(|e| std::io::Error::other(format!("cluster {}: fault: {e}", spec.name)))?;
        }
        let next_ips = populate::populate(&cluster, spec, cluster_seed);
        let mut controllers = controllers::Controllers::new(
            cluster.clone(),
            spec.churn.clone(),
            cluster_seed,
            next_ips,
        );
        // One pass before serving, so statuses are filled in when the first client looks.
        controllers.start();
        controllers.tick();
        tokio::spawn(controllers.run());
        clusters.push(cluster);
    }
    // One listener per cluster and user: kubectl ignores a kubeconfig server's path for
    // `--raw` requests and sends no credentials over http, so each context gets its own
    // port. The main listener (`listen`) is the first cluster's admin one, and also serves
    // every cluster under `/clusters/<name>` and the viewer under `…/as/viewer`.
    let trace = std::env::var("PILOTHOUSE_SIM_TRACE").is_ok_and(|v| v == "1");
    let main = tokio::net::TcpListener::bind(listen).await?;
    let address = main.local_addr()?;
    let url = format!("http://{address}");
    let mut listeners = vec![(main, 0, false)];
    for home in 0..clusters.len() {
        for viewer in [false, true] {
            if home == 0 && !viewer {
                continue;
            }
            let extra = tokio::net::TcpListener::bind((listen.ip(), 0)).await?;
            listeners.push((extra, home, viewer));
        }
    }
    let mut urls = Vec::new();
    for (listener, home, viewer) in listeners {
        urls.push((home, viewer, format!("http://{}", listener.local_addr()?)));
        let server = Arc::new(http::Server {
            clusters: clusters.clone(),
            home,
            viewer,
            trace,
        });
        tokio::spawn(http::serve(listener, server));
    }
    let url_of = |home: usize, viewer: bool| {
        urls.iter()
            .find(|(h, v, _)| *h == home && *v == viewer)
            .map(|(_, _, u)| u.clone())
            .unwrap_or_else(|| url.clone())
    };
    let entries: Vec<kubeconfig::ClusterEntry> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| kubeconfig::ClusterEntry {
            name: &s.name,
            namespace: s.namespace.as_deref(),
            admin_url: url_of(i, false),
            viewer_url: url_of(i, true),
        })
        .collect();
    let document = kubeconfig::document(&entries);
    let kubeconfig = kubeconfig::write(&document, kubeconfig_out, address.port())?;
    Ok(KubeSim {
        kubeconfig,
        url,
        clusters,
    })
}
