//! Hosts from the real Prometheus scraping the real node_exporter (Debian's `prometheus`
//! and `prometheus-node-exporter`, started per test on free loopback ports): the host
//! metrics pilothouse derives through Prometheus match node_exporter's own `/metrics`
//! within tolerance, and the source reports the instance as a live host.

#[path = "services/harness.rs"]
mod harness;

use std::collections::BTreeMap;
use std::time::Duration;

use harness::{Console, DEADLINE, Service, health_is};
use pilothouse::config::Config;
use pilothouse::model::{HostId, SourceKind};
use pilothouse::sources::alertmanager::settings::HostQueries;
use pilothouse::sources::alertmanager::{self, AlertOptions, AlertSources};
use pilothouse::sources::prometheus::hosts::{Metric, assemble};
use pilothouse::sources::prometheus::{PromClient, PromSource};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// One series of node_exporter's text format: name, labels, value.
#[derive(Debug)]
struct Series {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// node_exporter's `/metrics`, the few lines of its text format this test reads.
async fn scrape(node: &Service) -> Vec<Series> {
    let text = harness::http()
        .get(format!("{}/metrics", node.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split("\",")
                .filter(|p| !p.is_empty())
                .filter_map(|pair| {
                    let (k, v) = pair.split_once("=\"")?;
                    Some((k.to_string(), v.trim_end_matches('"').to_string()))
                })
                .collect();
            Some(Series {
                name: name.to_string(),
                labels,
                value: value.parse().ok()?,
            })
        })
        .collect()
}

fn one(series: &[Series], name: &str) -> f64 {
    series
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("{name} not in /metrics"))
        .value
}

/// File systems the default disk queries keep (the same exclusion, written again).
fn is_disk(fstype: &str) -> bool {
    !matches!(
        fstype,
        "tmpfs" | "ramfs" | "devtmpfs" | "overlay" | "squashfs" | "nsfs" | "autofs"
    ) && !fstype.starts_with("fuse.")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_metrics_through_prometheus_match_node_exporter() {
    let Some(node) = Service::node_exporter().await else {
        return;
    };
    let Some(prometheus) = Service::prometheus(&node.address()).await else {
        return;
    };
    let client = PromClient::new(prometheus.parsed_url(), Duration::from_secs(10)).unwrap();
    let queries = HostQueries::default();
    // rate() needs two scrapes: wait until the CPU query answers.
    let deadline = Instant::now() + DEADLINE;
    let answers = loop {
        let answers = PromSource::read(&client, &queries).await.expect("queries");
        if !answers[&Metric::Cpu].is_empty() && !answers[&Metric::NetRx].is_empty() {
            break answers;
        }
        assert!(
            Instant::now() < deadline,
            "no CPU rate from Prometheus:\n{}",
            prometheus.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let exported = scrape(&node).await;
    let hosts = assemble(&answers, Some(25.0));
    let host = hosts
        .get(&node.address())
        .unwrap_or_else(|| panic!("instance {} in {hosts:?}", node.address()));

    // CPU: as many cores as node_exporter has idle counters, usage a percentage.
    let cores = exported
        .iter()
        .filter(|s| s.name == "node_cpu_seconds_total" && s.labels["mode"] == "idle")
        .count();
    assert_eq!(host.cores as usize, cores);
    assert_eq!(host.cpu_per_core.len(), cores);
    assert!(
        (0.0..=100.0).contains(&host.cpu_percent),
        "{}",
        host.cpu_percent
    );

    // Memory: the same total; used within 3 points (it moves between scrape and check).
    let total = one(&exported, "node_memory_MemTotal_bytes");
    let available = one(&exported, "node_memory_MemAvailable_bytes");
    assert_eq!(host.memory_total_bytes, total as u64);
    let exported_percent = 100.0 * (1.0 - available / total);
    assert!(
        (host.memory_percent() - exported_percent).abs() < 3.0,
        "memory {:.1}% through Prometheus, {exported_percent:.1}% from node_exporter",
        host.memory_percent()
    );
    let swap_total = one(&exported, "node_memory_SwapTotal_bytes");
    assert_eq!(host.swap_total_bytes, swap_total as u64);

    // Load: node_exporter's, within what a second can change.
    let load1 = one(&exported, "node_load1");
    assert!(
        (host.load1 - load1).abs() < 1.0,
        "load {} vs {load1}",
        host.load1
    );

    // Disks: the same file systems, sizes, read-only flags; used within 1% of the size.
    let mut expected: BTreeMap<String, (u64, u64, bool)> = BTreeMap::new();
    for s in &exported {
        if !s.name.starts_with("node_filesystem_") || !is_disk(&s.labels["fstype"]) {
            continue;
        }
        let entry = expected.entry(s.labels["mountpoint"].clone()).or_default();
        match s.name.as_str() {
            "node_filesystem_size_bytes" => entry.0 = s.value as u64,
            "node_filesystem_avail_bytes" => entry.1 = s.value as u64,
            "node_filesystem_readonly" => entry.2 = s.value >= 1.0,
            _ => {}
        }
    }
    expected.retain(|_, (size, _, _)| *size > 0);
    assert!(!expected.is_empty(), "node_exporter reports no disks");
    let got: BTreeMap<String, (u64, u64, bool)> = host
        .disks
        .iter()
        .map(|d| {
            (
                d.mount.clone(),
                (d.total_bytes, d.total_bytes - d.used_bytes, d.read_only),
            )
        })
        .collect();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (mount, (size, avail, read_only)) in &expected {
        let (got_size, got_avail, got_ro) = got[mount];
        assert_eq!(got_size, *size, "{mount} size");
        assert_eq!(got_ro, *read_only, "{mount} read-only");
        let drift = got_avail.abs_diff(*avail) as f64 / *size as f64;
        assert!(drift < 0.01, "{mount}: avail {got_avail} vs {avail}");
    }
    println!(
        "host {}: cpu {:.1}% over {} cores, memory {:.1}% of {} B, load {:.2}, {} disks",
        node.address(),
        host.cpu_percent,
        host.cores,
        host.memory_percent(),
        host.memory_total_bytes,
        host.load1,
        host.disks.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prometheus_source_reports_its_instances_as_live_hosts() {
    let Some(node) = Service::node_exporter().await else {
        return;
    };
    let Some(prometheus) = Service::prometheus(&node.address()).await else {
        return;
    };
    let (mut console, sink) = Console::new();
    let mut config = Config::default();
    config.prometheus.interval = Duration::from_millis(300);
    let cancel = CancellationToken::new();
    alertmanager::spawn_with(
        &config,
        AlertSources {
            prometheus: vec![prometheus.parsed_url()],
            ..AlertSources::default()
        },
        AlertOptions::default(),
        sink,
        &cancel,
    );
    let id = HostId {
        source: prometheus.address(),
        name: node.address(),
    };
    console
        .wait_for(
            "the node_exporter instance as a host with two samples",
            |f| {
                health_is(f, SourceKind::Prometheus, &prometheus.address(), "live")
                    && f.hosts.get(&id).is_some_and(|h| h.cpu_history.len() >= 2)
            },
        )
        .await;
    let host = console.fleet.hosts.get(&id).unwrap();
    assert!(host.latest.memory_total_bytes > 0);
    assert_eq!(host.latest.reserve_percent, Some(25.0));
    cancel.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_query_says_what_prometheus_said() {
    let Some(node) = Service::node_exporter().await else {
        return;
    };
    let Some(prometheus) = Service::prometheus(&node.address()).await else {
        return;
    };
    let (mut console, sink) = Console::new();
    let mut config = Config::default();
    config.prometheus.queries.load1 = "node_load1{".into();
    let cancel = CancellationToken::new();
    alertmanager::spawn_with(
        &config,
        AlertSources {
            prometheus: vec![prometheus.parsed_url()],
            ..AlertSources::default()
        },
        AlertOptions::default(),
        sink,
        &cancel,
    );
    console
        .wait_for("unavailable", |f| {
            health_is(
                f,
                SourceKind::Prometheus,
                &prometheus.address(),
                "unavailable",
            )
        })
        .await;
    let Some(pilothouse::model::SourceHealth::Unavailable { error }) =
        console.health(SourceKind::Prometheus, &prometheus.address())
    else {
        panic!()
    };
    assert!(
        error.contains("HTTP 400") && error.contains("Load1"),
        "{error}"
    );
    cancel.cancel();
}
