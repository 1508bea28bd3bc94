//! Hosts with metrics: this machine, Prometheus node_exporter instances.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::health::{Health, HealthLevel};

/// How many samples of history a host keeps for its sparklines.
pub const HOST_HISTORY: usize = 120;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostId {
    /// Where the numbers come from: `local`, a Prometheus URL.
    pub source: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disk {
    pub mount: String,
    pub used_bytes: u64,
    pub total_bytes: u64,
    #[serde(default)]
    pub read_only: bool,
}

impl Disk {
    pub fn used_fraction(&self) -> f64 {
        if self.total_bytes == 0 {
            0.0
        } else {
            self.used_bytes as f64 / self.total_bytes as f64
        }
    }
}

/// One reading of a host's metrics.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HostSample {
    /// 0..=100 over all cores.
    pub cpu_percent: f64,
    pub load1: f64,
    pub cores: u32,
    pub memory_used_bytes: u64,
    pub memory_total_bytes: u64,
    pub swap_used_bytes: u64,
    pub swap_total_bytes: u64,
    pub disks: Vec<Disk>,
    pub net_rx_bytes_per_s: f64,
    pub net_tx_bytes_per_s: f64,
}

impl HostSample {
    pub fn memory_percent(&self) -> f64 {
        if self.memory_total_bytes == 0 {
            0.0
        } else {
            100.0 * self.memory_used_bytes as f64 / self.memory_total_bytes as f64
        }
    }

    /// The fullest writable disk, as a percentage.
    pub fn worst_disk_percent(&self) -> Option<f64> {
        self.disks
            .iter()
            .filter(|d| !d.read_only)
            .map(|d| 100.0 * d.used_fraction())
            .reduce(f64::max)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Host {
    pub id: HostId,
    pub latest: HostSample,
    pub cpu_history: VecDeque<f64>,
    pub memory_history: VecDeque<f64>,
}

impl Host {
    pub fn new(id: HostId) -> Self {
        Host {
            id,
            latest: HostSample::default(),
            cpu_history: VecDeque::new(),
            memory_history: VecDeque::new(),
        }
    }

    /// Record a sample, keeping a bounded history for the sparklines.
    pub fn record(&mut self, sample: HostSample) {
        push_bounded(&mut self.cpu_history, sample.cpu_percent);
        push_bounded(&mut self.memory_history, sample.memory_percent());
        self.latest = sample;
    }

    /// Thresholds from the ops manual: CPU > 80%, memory > 85%, disk > 90%.
    pub fn health(&self) -> Health {
        let s = &self.latest;
        if let Some(disk) = s.worst_disk_percent().filter(|d| *d > 90.0) {
            return Health::new(HealthLevel::Critical, format!("disk {disk:.0}%"));
        }
        if s.memory_percent() > 85.0 {
            return Health::new(
                HealthLevel::Warning,
                format!("memory {:.0}%", s.memory_percent()),
            );
        }
        if s.cpu_percent > 80.0 {
            return Health::new(HealthLevel::Warning, format!("cpu {:.0}%", s.cpu_percent));
        }
        Health::ok()
    }
}

fn push_bounded(history: &mut VecDeque<f64>, value: f64) {
    if history.len() == HOST_HISTORY {
        history.pop_front();
    }
    history.push_back(value);
}
