//! Alerts and the hosts behind them (DESIGN.md §5, issue 6): Alertmanager's API v2, with
//! this machine, Prometheus and HTTP probes started alongside by
//! [`spawn_alert_and_host_sources`].
//!
//! - [`settings`]: the `[alertmanager]`, `[prometheus]`, `[[probes]]` and `[rules]`
//!   sections of the config file.
//! - [`http`]: the reqwest client they share (rustls with ring).
//! - [`api`], [`client`]: API v2 documents and calls.
//! - [`poller`], [`merge`]: one task per Alertmanager polling `/api/v2/alerts` and
//!   `/api/v2/silences` (Alertmanager has no watch), answers merged by fingerprint.
//! - [`silence`], [`control`]: creating and expiring silences from the console.
//!
//! The built-in rules (`crate::rules`) sit on the event channel itself, so they see
//! the samples of every host and container source, Docker's included.

pub mod api;
pub mod client;
pub mod control;
pub mod http;
pub mod merge;
pub mod poller;
pub mod settings;
pub mod silence;

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

pub use client::AmClient;
pub use control::{AlertControl, SilenceOp, SilenceOutcome};
pub use settings::Url;
pub use silence::{SilenceRequest, create_silence, expire_silence};

use crate::config::Config;
use crate::model::{SourceHealth, SourceKey, SourceKind};
use crate::sources::prometheus::{PromClient, PromSource};
use crate::sources::{Backoff, EventSink, host, probe};
use settings::ProbeConfig;

/// The sources named on the command line, and whether to sample this machine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertSources {
    /// `--alertmanager`, polled besides the config file's.
    pub alertmanagers: Vec<Url>,
    /// `--prometheus`.
    pub prometheus: Vec<Url>,
    /// `--probe`.
    pub probes: Vec<Url>,
    /// Sample this machine through sysinfo (off on a fixture estate, which shows only
    /// itself).
    pub local_host: bool,
}

/// Timings; the defaults suit a console, tests shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertOptions {
    /// How often this machine is sampled.
    pub host_interval: Duration,
    /// Per request to an Alertmanager or Prometheus.
    pub request_timeout: Duration,
    /// Retries after a failure start at `backoff_base` and double up to `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
}

impl Default for AlertOptions {
    fn default() -> Self {
        AlertOptions {
            host_interval: host::DEFAULT_INTERVAL,
            request_timeout: Duration::from_secs(10),
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
        }
    }
}

/// Start every alert and host source the config file and the command line name, sending
/// into `sink`; they run until `cancel` fires. Returns the console's handle for silences.
///
/// The built-in rules are not started here: they read the whole event channel, so the
/// caller puts them on it with [`crate::rules::spawn_rules`].
pub fn spawn_alert_and_host_sources(
    config: &Config,
    sources: AlertSources,
    sink: EventSink,
    cancel: &CancellationToken,
) -> AlertControl {
    spawn_with(config, sources, AlertOptions::default(), sink, cancel)
}

/// [`spawn_alert_and_host_sources`] with explicit timings.
pub fn spawn_with(
    config: &Config,
    sources: AlertSources,
    options: AlertOptions,
    sink: EventSink,
    cancel: &CancellationToken,
) -> AlertControl {
    let backoff = || Backoff::new(options.backoff_base, options.backoff_max);
    let reserve = Some(config.rules.reserve_percent.0);

    // Alertmanagers: the config file's, then the command line's, each once.
    let mut am_urls = config.alertmanager.urls.clone();
    am_urls.extend(sources.alertmanagers);
    dedup(&mut am_urls);
    let (silences_tx, silences_rx) = watch::channel(Vec::new());
    let (refresh, _) = watch::channel(0u64);
    let mut clients = Vec::new();
    let (reports_tx, reports_rx) = mpsc::channel(16);
    for url in am_urls {
        match AmClient::new(url.clone(), options.request_timeout) {
            Ok(client) => clients.push(client),
            Err(error) => report_broken(&sink, SourceKind::Alertmanager, &url, error.to_string()),
        }
    }
    for (index, client) in clients.iter().enumerate() {
        let poller = poller::AmPoller {
            index,
            client: client.clone(),
            interval: config.alertmanager.interval,
            backoff: backoff(),
            sink: sink.clone(),
            reports: reports_tx.clone(),
            refresh: refresh.subscribe(),
            cancel: cancel.child_token(),
        };
        tokio::spawn(poller.run());
    }
    drop(reports_tx);
    if !clients.is_empty() {
        tokio::spawn(poller::merge_reports(
            reports_rx,
            clients.len(),
            sink.clone(),
            silences_tx,
            cancel.child_token(),
        ));
    }

    // Prometheus servers.
    let mut prom_urls = config.prometheus.urls.clone();
    prom_urls.extend(sources.prometheus);
    dedup(&mut prom_urls);
    for url in prom_urls {
        match PromClient::new(url.clone(), options.request_timeout) {
            Ok(client) => {
                let source = PromSource {
                    client,
                    queries: config.prometheus.queries.clone(),
                    interval: config.prometheus.interval,
                    reserve_percent: reserve,
                    backoff: backoff(),
                    sink: sink.clone(),
                    cancel: cancel.child_token(),
                };
                tokio::spawn(source.run());
            }
            Err(error) => report_broken(&sink, SourceKind::Prometheus, &url, error.to_string()),
        }
    }

    // Probes: the config file's, then one with the defaults per --probe.
    let mut probes = config.probes.clone();
    for url in sources.probes {
        if !probes.iter().any(|p| p.url == url) {
            probes.push(ProbeConfig::for_url(url));
        }
    }
    probe::spawn(&probes, &sink, cancel);

    if sources.local_host {
        host::spawn(
            options.host_interval,
            reserve,
            sink.clone(),
            cancel.child_token(),
        );
    }

    AlertControl::new(clients, silences_rx, refresh, Some(sink))
}

fn dedup(urls: &mut Vec<Url>) {
    let mut seen = std::collections::HashSet::new();
    urls.retain(|u| seen.insert(u.clone()));
}

/// A source that cannot even start (no TLS): say so in the header.
fn report_broken(sink: &EventSink, kind: SourceKind, url: &Url, error: String) {
    let mut sink = sink.clone();
    let key = SourceKey::new(kind, http::server_name(url));
    tokio::spawn(async move {
        let _ = sink.health(&key, SourceHealth::Unavailable { error }).await;
    });
}
