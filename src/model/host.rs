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
    /// 0..=100 per core, in core order; empty when the source does not say.
    pub cpu_per_core: Vec<f64>,
    pub load5: f64,
    pub load15: f64,
    /// The spare capacity to keep (the ops manual's "keep 20–30% spare"): the host is
    /// flagged when its headroom falls below it. `None`: not checked.
    pub reserve_percent: Option<f64>,
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
        self.worst_disk().map(|d| 100.0 * d.used_fraction())
    }

    /// The fullest writable disk.
    pub fn worst_disk(&self) -> Option<&Disk> {
        self.disks
            .iter()
            .filter(|d| !d.read_only)
            .max_by(|a, b| a.used_fraction().total_cmp(&b.used_fraction()))
    }

    pub fn swap_percent(&self) -> f64 {
        if self.swap_total_bytes == 0 {
            0.0
        } else {
            100.0 * self.swap_used_bytes as f64 / self.swap_total_bytes as f64
        }
    }

    /// Load average per core (1 minute); 0 when the core count is unknown.
    pub fn load_per_core(&self) -> f64 {
        if self.cores == 0 {
            0.0
        } else {
            self.load1 / f64::from(self.cores)
        }
    }

    /// Spare capacity, in percent: what is left of the busiest of CPU, memory and the
    /// fullest writable disk.
    pub fn headroom_percent(&self) -> f64 {
        let busiest = self
            .cpu_percent
            .max(self.memory_percent())
            .max(self.worst_disk_percent().unwrap_or(0.0));
        (100.0 - busiest).clamp(0.0, 100.0)
    }

    /// Whether the headroom is below the reserve the source was configured with.
    pub fn below_reserve(&self) -> bool {
        self.reserve_percent
            .is_some_and(|reserve| self.headroom_percent() < reserve)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Host {
    pub id: HostId,
    pub latest: HostSample,
    pub cpu_history: VecDeque<f64>,
    pub memory_history: VecDeque<f64>,
    /// Received plus sent bytes per second.
    pub net_history: VecDeque<f64>,
}

impl Host {
    pub fn new(id: HostId) -> Self {
        Host {
            id,
            latest: HostSample::default(),
            cpu_history: VecDeque::new(),
            memory_history: VecDeque::new(),
            net_history: VecDeque::new(),
        }
    }

    /// Record a sample, keeping a bounded history for the sparklines.
    pub fn record(&mut self, sample: HostSample) {
        push_bounded(&mut self.cpu_history, sample.cpu_percent);
        push_bounded(&mut self.memory_history, sample.memory_percent());
        push_bounded(
            &mut self.net_history,
            sample.net_rx_bytes_per_s + sample.net_tx_bytes_per_s,
        );
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
        if let Some(reserve) = s.reserve_percent.filter(|_| s.below_reserve()) {
            return Health::new(
                HealthLevel::Warning,
                format!("headroom {:.0}% < {reserve:.0}%", s.headroom_percent()),
            );
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(cpu: f64, memory_used: u64, disk_used: u64) -> HostSample {
        HostSample {
            cpu_percent: cpu,
            memory_used_bytes: memory_used,
            memory_total_bytes: 100,
            disks: vec![
                Disk {
                    mount: "/".into(),
                    used_bytes: disk_used,
                    total_bytes: 100,
                    read_only: false,
                },
                Disk {
                    mount: "/snap/core".into(),
                    used_bytes: 100,
                    total_bytes: 100,
                    read_only: true,
                },
            ],
            ..HostSample::default()
        }
    }

    #[test]
    fn read_only_disks_never_count_as_full() {
        let s = sample(10.0, 10, 40);
        assert_eq!(s.worst_disk().map(|d| d.mount.as_str()), Some("/"));
        assert_eq!(s.worst_disk_percent(), Some(40.0));
    }

    #[test]
    fn headroom_is_flagged_below_the_reserve() {
        let mut host = Host::new(HostId {
            source: "local".into(),
            name: "box".into(),
        });
        let mut s = sample(30.0, 78, 40);
        s.reserve_percent = Some(25.0);
        host.record(s.clone());
        assert_eq!(s.headroom_percent(), 22.0);
        assert_eq!(host.health().level, HealthLevel::Warning);
        assert_eq!(host.health().reason, "headroom 22% < 25%");
        s.memory_used_bytes = 50;
        host.record(s);
        assert_eq!(host.health(), Health::ok());
    }
}
