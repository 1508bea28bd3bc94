//! The config file sections of the alert and host sources: `[alertmanager]`,
//! `[prometheus]`, `[[probes]]` and `[rules]` (see the README's "Alerts and hosts").
//!
//! Each section is read as written (`*File`, `Option`s and spans) and then resolved into
//! its settings, so a bad URL or duration is reported at its line and column.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::config::ConfigProblem;
use crate::model::Severity;

pub use reqwest::Url;

/// A percentage from the config file. Always finite (checked when read), so equality is
/// an equivalence and `Config` can stay `Eq`.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Percent(pub f64);

impl Eq for Percent {}

/// `[alertmanager]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertmanagerConfig {
    /// Alertmanagers to poll; alerts of all of them are merged by fingerprint.
    pub urls: Vec<Url>,
    /// How often `/api/v2/alerts` and `/api/v2/silences` are read: Alertmanager has no watch.
    pub interval: Duration,
}

impl Default for AlertmanagerConfig {
    fn default() -> Self {
        AlertmanagerConfig {
            urls: Vec::new(),
            interval: Duration::from_secs(10),
        }
    }
}

/// `[prometheus]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrometheusConfig {
    pub urls: Vec<Url>,
    pub interval: Duration,
    pub queries: HostQueries,
}

impl Default for PrometheusConfig {
    fn default() -> Self {
        PrometheusConfig {
            urls: Vec::new(),
            interval: Duration::from_secs(15),
            queries: HostQueries::default(),
        }
    }
}

/// The PromQL behind each host metric, per `instance` label (`[prometheus.queries]`).
/// `cpu`, `cpu_per_core` and `memory` answer a fraction (0..1); the rest bytes, bytes per
/// second, a load average, a count, or 0/1 for `disk_readonly`. Disk queries are per
/// `mountpoint`, `cpu_per_core` per `cpu`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HostQueries {
    pub cpu: String,
    pub cpu_per_core: String,
    pub cores: String,
    pub memory: String,
    pub memory_total: String,
    pub swap_total: String,
    pub swap_free: String,
    pub load1: String,
    pub load5: String,
    pub load15: String,
    pub disk_size: String,
    pub disk_avail: String,
    pub disk_readonly: String,
    pub net_rx: String,
    pub net_tx: String,
}

/// File systems that are not disks: memory, overlays, images, pseudo file systems.
const NOT_DISKS: &str = r#"fstype!~"tmpfs|ramfs|devtmpfs|overlay|squashfs|nsfs|autofs|fuse\\..*""#;

impl Default for HostQueries {
    fn default() -> Self {
        HostQueries {
            cpu: r#"1 - avg without(cpu, mode)(rate(node_cpu_seconds_total{mode="idle"}[5m]))"#
                .into(),
            cpu_per_core: r#"1 - avg without(mode)(rate(node_cpu_seconds_total{mode="idle"}[5m]))"#
                .into(),
            cores: r#"count without(cpu, mode)(node_cpu_seconds_total{mode="idle"})"#.into(),
            memory: "1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes".into(),
            memory_total: "node_memory_MemTotal_bytes".into(),
            swap_total: "node_memory_SwapTotal_bytes".into(),
            swap_free: "node_memory_SwapFree_bytes".into(),
            load1: "node_load1".into(),
            load5: "node_load5".into(),
            load15: "node_load15".into(),
            disk_size: format!("node_filesystem_size_bytes{{{NOT_DISKS}}}"),
            disk_avail: format!("node_filesystem_avail_bytes{{{NOT_DISKS}}}"),
            disk_readonly: format!("node_filesystem_readonly{{{NOT_DISKS}}}"),
            net_rx:
                r#"sum without(device)(rate(node_network_receive_bytes_total{device!="lo"}[5m]))"#
                    .into(),
            net_tx:
                r#"sum without(device)(rate(node_network_transmit_bytes_total{device!="lo"}[5m]))"#
                    .into(),
        }
    }
}

/// What a probe expects of the answer's status code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectStatus {
    /// Any 2xx.
    Success,
    /// One of these codes.
    AnyOf(Vec<u16>),
}

impl ExpectStatus {
    pub fn accepts(&self, status: u16) -> bool {
        match self {
            ExpectStatus::Success => (200..300).contains(&status),
            ExpectStatus::AnyOf(codes) => codes.contains(&status),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            ExpectStatus::Success => "2xx".into(),
            ExpectStatus::AnyOf(codes) => codes
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join("|"),
        }
    }
}

/// One `[[probes]]` entry (or a `--probe URL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeConfig {
    pub url: Url,
    /// Shown in the header and the alert; the URL's host and path by default.
    pub name: String,
    pub interval: Duration,
    pub timeout: Duration,
    pub expect: ExpectStatus,
    /// The severity of the alert a failing probe raises.
    pub severity: Severity,
}

impl ProbeConfig {
    /// A probe with the defaults: every 15 s, 5 s timeout, any 2xx, critical.
    pub fn for_url(url: Url) -> ProbeConfig {
        ProbeConfig {
            name: probe_name(&url),
            url,
            interval: Duration::from_secs(15),
            timeout: Duration::from_secs(5),
            expect: ExpectStatus::Success,
            severity: Severity::Critical,
        }
    }
}

/// `host:port/path`: short, and still says which endpoint.
fn probe_name(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{host}{port}{}", url.path())
}

/// One built-in threshold rule (`[rules.cpu]`, `[rules.memory]`, `[rules.disk]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Threshold {
    pub enabled: bool,
    /// Fires above this percentage...
    pub percent: Percent,
    /// ...held for this long (Prometheus' `for:`).
    pub hold: Duration,
    pub severity: Severity,
}

/// `[rules]`: pilothouse's own alerts for estates without Alertmanager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesConfig {
    pub enabled: bool,
    /// HighCPUUsage: the ops manual's `cpu_usage > 80` for 5m, warning.
    pub cpu: Threshold,
    /// HighMemoryUsage: `memory_usage > 85` for 5m, warning.
    pub memory: Threshold,
    /// HighDiskUsage: a writable disk over 90%, critical.
    pub disk: Threshold,
    /// Apply the CPU and memory rules to Docker containers too (memory against its limit).
    pub containers: bool,
    /// Apply the CPU and memory rules to Kubernetes nodes too (metrics.k8s.io usage
    /// against allocatable).
    pub nodes: bool,
    /// Spare capacity every host should keep ("keep 20–30% spare"); below it the host is
    /// flagged in the hosts view.
    pub reserve_percent: Percent,
}

impl Default for RulesConfig {
    fn default() -> Self {
        let minutes = |m: u64| Duration::from_secs(60 * m);
        RulesConfig {
            enabled: true,
            cpu: Threshold {
                enabled: true,
                percent: Percent(80.0),
                hold: minutes(5),
                severity: Severity::Warning,
            },
            memory: Threshold {
                enabled: true,
                percent: Percent(85.0),
                hold: minutes(5),
                severity: Severity::Warning,
            },
            // A disk does not fill and empty in seconds: one minute keeps a burst of
            // temporary files from paging anyone, and still says it early.
            disk: Threshold {
                enabled: true,
                percent: Percent(90.0),
                hold: minutes(1),
                severity: Severity::Critical,
            },
            containers: true,
            nodes: true,
            reserve_percent: Percent(25.0),
        }
    }
}

// ---------------------------------------------------------------------------------------
// As written in the file
// ---------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertmanagerFile {
    #[serde(default)]
    urls: Vec<Spanned<String>>,
    interval: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrometheusFile {
    #[serde(default)]
    urls: Vec<Spanned<String>>,
    interval: Option<Spanned<String>>,
    queries: Option<HostQueries>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeFile {
    url: Spanned<String>,
    name: Option<String>,
    interval: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    expect_status: Option<Vec<u16>>,
    severity: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesFile {
    enabled: Option<bool>,
    containers: Option<bool>,
    nodes: Option<bool>,
    reserve_percent: Option<Spanned<f64>>,
    cpu: Option<ThresholdFile>,
    memory: Option<ThresholdFile>,
    disk: Option<ThresholdFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdFile {
    enabled: Option<bool>,
    percent: Option<Spanned<f64>>,
    #[serde(rename = "for")]
    hold: Option<Spanned<String>>,
    severity: Option<Spanned<String>>,
}

/// Where the file is, to place problems.
struct At<'a> {
    path: &'a Path,
    text: &'a str,
}

impl At<'_> {
    fn problem(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> ConfigProblem {
        ConfigProblem::at_span(self.path, self.text, span, message)
    }

    fn url(&self, written: &Spanned<String>) -> Result<Url, ConfigProblem> {
        parse_url(written.get_ref()).map_err(|e| self.problem(written.span(), e))
    }

    fn duration(
        &self,
        written: &Option<Spanned<String>>,
        default: Duration,
    ) -> Result<Duration, ConfigProblem> {
        match written {
            None => Ok(default),
            Some(w) => parse_duration(w.get_ref()).map_err(|e| self.problem(w.span(), e)),
        }
    }

    fn percent(
        &self,
        written: &Option<Spanned<f64>>,
        default: Percent,
    ) -> Result<Percent, ConfigProblem> {
        match written {
            None => Ok(default),
            Some(w) if w.get_ref().is_finite() && (0.0..=100.0).contains(w.get_ref()) => {
                Ok(Percent(*w.get_ref()))
            }
            Some(w) => Err(self.problem(w.span(), "a percentage must be between 0 and 100")),
        }
    }

    fn severity(
        &self,
        written: &Option<Spanned<String>>,
        default: Severity,
    ) -> Result<Severity, ConfigProblem> {
        match written {
            None => Ok(default),
            Some(w) => match Severity::parse(w.get_ref()) {
                Severity::None => {
                    Err(self.problem(w.span(), "severity must be critical, warning or info"))
                }
                severity => Ok(severity),
            },
        }
    }
}

/// An `http://` or `https://` URL.
pub fn parse_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!(
            "`{text}`: the scheme must be http or https, not {other}"
        )),
    }
}

/// `10s`, `5m`, `1h30m`, `500ms` (or ISO 8601 `PT5M`); never negative.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let parsed: jiff::SignedDuration = text
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (write 10s, 5m, 1h30m)"))?;
    Duration::try_from(parsed).map_err(|_| format!("`{text}`: a duration cannot be negative"))
}

impl AlertmanagerFile {
    pub fn resolve(self, path: &Path, text: &str) -> Result<AlertmanagerConfig, ConfigProblem> {
        let at = At { path, text };
        let default = AlertmanagerConfig::default();
        Ok(AlertmanagerConfig {
            urls: self
                .urls
                .iter()
                .map(|u| at.url(u))
                .collect::<Result<_, _>>()?,
            interval: positive(&at, &self.interval, default.interval)?,
        })
    }
}

impl PrometheusFile {
    pub fn resolve(self, path: &Path, text: &str) -> Result<PrometheusConfig, ConfigProblem> {
        let at = At { path, text };
        let default = PrometheusConfig::default();
        Ok(PrometheusConfig {
            urls: self
                .urls
                .iter()
                .map(|u| at.url(u))
                .collect::<Result<_, _>>()?,
            interval: positive(&at, &self.interval, default.interval)?,
            queries: self.queries.unwrap_or_default(),
        })
    }
}

impl ProbeFile {
    pub fn resolve(self, path: &Path, text: &str) -> Result<ProbeConfig, ConfigProblem> {
        let at = At { path, text };
        let mut probe = ProbeConfig::for_url(at.url(&self.url)?);
        if let Some(name) = self.name {
            probe.name = name;
        }
        probe.interval = positive(&at, &self.interval, probe.interval)?;
        probe.timeout = positive(&at, &self.timeout, probe.timeout)?;
        if let Some(codes) = self.expect_status.filter(|c| !c.is_empty()) {
            probe.expect = ExpectStatus::AnyOf(codes);
        }
        probe.severity = at.severity(&self.severity, probe.severity)?;
        Ok(probe)
    }
}

impl RulesFile {
    pub fn resolve(self, path: &Path, text: &str) -> Result<RulesConfig, ConfigProblem> {
        let at = At { path, text };
        let default = RulesConfig::default();
        let threshold = |written: Option<ThresholdFile>, default: Threshold| match written {
            None => Ok(default),
            Some(w) => Ok::<_, ConfigProblem>(Threshold {
                enabled: w.enabled.unwrap_or(default.enabled),
                percent: at.percent(&w.percent, default.percent)?,
                hold: at.duration(&w.hold, default.hold)?,
                severity: at.severity(&w.severity, default.severity)?,
            }),
        };
        Ok(RulesConfig {
            enabled: self.enabled.unwrap_or(default.enabled),
            containers: self.containers.unwrap_or(default.containers),
            nodes: self.nodes.unwrap_or(default.nodes),
            reserve_percent: at.percent(&self.reserve_percent, default.reserve_percent)?,
            cpu: threshold(self.cpu, default.cpu)?,
            memory: threshold(self.memory, default.memory)?,
            disk: threshold(self.disk, default.disk)?,
        })
    }
}

/// A polling interval or timeout: zero would spin.
fn positive(
    at: &At,
    written: &Option<Spanned<String>>,
    default: Duration,
) -> Result<Duration, ConfigProblem> {
    let d = at.duration(written, default)?;
    match written {
        Some(w) if d.is_zero() => Err(at.problem(w.span(), "must be longer than 0s")),
        _ => Ok(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_urls_parse_or_say_why() {
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-5m").is_err());
        assert!(parse_url("http://127.0.0.1:9093").is_ok());
        assert!(parse_url("ftp://x").unwrap_err().contains("http or https"));
    }

    #[test]
    fn probe_names_and_expectations() {
        let p = ProbeConfig::for_url(parse_url("http://api.shop:8000/health").unwrap());
        assert_eq!(p.name, "api.shop:8000/health");
        assert!(p.expect.accepts(204) && !p.expect.accepts(503));
        assert!(ExpectStatus::AnyOf(vec![200, 401]).accepts(401));
        assert_eq!(ExpectStatus::AnyOf(vec![200, 401]).describe(), "200|401");
    }
}
