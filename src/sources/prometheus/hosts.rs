//! node_exporter's metrics, as answered by the configured queries, put together into one
//! [`HostSample`] per `instance`.

use std::collections::BTreeMap;

use super::query::PromSample;
use crate::model::{Disk, HostSample};
use crate::sources::alertmanager::settings::HostQueries;

/// Which query an answer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    Cpu,
    CpuPerCore,
    Cores,
    Memory,
    MemoryTotal,
    SwapTotal,
    SwapFree,
    Load1,
    Load5,
    Load15,
    DiskSize,
    DiskAvail,
    DiskReadonly,
    NetRx,
    NetTx,
}

impl Metric {
    pub const ALL: [Metric; 15] = [
        Metric::Cpu,
        Metric::CpuPerCore,
        Metric::Cores,
        Metric::Memory,
        Metric::MemoryTotal,
        Metric::SwapTotal,
        Metric::SwapFree,
        Metric::Load1,
        Metric::Load5,
        Metric::Load15,
        Metric::DiskSize,
        Metric::DiskAvail,
        Metric::DiskReadonly,
        Metric::NetRx,
        Metric::NetTx,
    ];

    /// The configured PromQL for this metric.
    pub fn query(self, q: &HostQueries) -> &str {
        match self {
            Metric::Cpu => &q.cpu,
            Metric::CpuPerCore => &q.cpu_per_core,
            Metric::Cores => &q.cores,
            Metric::Memory => &q.memory,
            Metric::MemoryTotal => &q.memory_total,
            Metric::SwapTotal => &q.swap_total,
            Metric::SwapFree => &q.swap_free,
            Metric::Load1 => &q.load1,
            Metric::Load5 => &q.load5,
            Metric::Load15 => &q.load15,
            Metric::DiskSize => &q.disk_size,
            Metric::DiskAvail => &q.disk_avail,
            Metric::DiskReadonly => &q.disk_readonly,
            Metric::NetRx => &q.net_rx,
            Metric::NetTx => &q.net_tx,
        }
    }
}

/// The answers of one round of queries.
pub type Answers = BTreeMap<Metric, Vec<PromSample>>;

/// One sample per instance found in any answer; what an instance lacks stays zero.
pub fn assemble(answers: &Answers, reserve_percent: Option<f64>) -> BTreeMap<String, HostSample> {
    let mut hosts: BTreeMap<String, HostSample> = BTreeMap::new();
    let mut disks: BTreeMap<(String, String), Disk> = BTreeMap::new();
    let mut cores: BTreeMap<(String, u32), f64> = BTreeMap::new();
    for (metric, samples) in answers {
        for s in samples {
            let Some(instance) = s.labels.get("instance") else {
                continue;
            };
            let host = hosts.entry(instance.clone()).or_default();
            let bytes = s.value.max(0.0) as u64;
            match metric {
                Metric::Cpu => host.cpu_percent = percent(s.value),
                Metric::Memory => {}
                Metric::CpuPerCore => {
                    if let Some(cpu) = s.labels.get("cpu").and_then(|c| c.parse().ok()) {
                        cores.insert((instance.clone(), cpu), percent(s.value));
                    }
                }
                Metric::Cores => host.cores = s.value.max(0.0) as u32,
                Metric::MemoryTotal => host.memory_total_bytes = bytes,
                Metric::SwapTotal => host.swap_total_bytes = bytes,
                // Used = total - free; the total may come later in the answers.
                Metric::SwapFree => host.swap_used_bytes = bytes,
                Metric::Load1 => host.load1 = s.value,
                Metric::Load5 => host.load5 = s.value,
                Metric::Load15 => host.load15 = s.value,
                Metric::NetRx => host.net_rx_bytes_per_s = s.value.max(0.0),
                Metric::NetTx => host.net_tx_bytes_per_s = s.value.max(0.0),
                Metric::DiskSize | Metric::DiskAvail | Metric::DiskReadonly => {
                    let Some(mount) = s.labels.get("mountpoint") else {
                        continue;
                    };
                    let disk = disks
                        .entry((instance.clone(), mount.clone()))
                        .or_insert_with(|| Disk {
                            mount: mount.clone(),
                            used_bytes: 0,
                            total_bytes: 0,
                            read_only: false,
                        });
                    match metric {
                        Metric::DiskSize => disk.total_bytes = bytes,
                        // Avail for now; turned into used once the size is known.
                        Metric::DiskAvail => disk.used_bytes = bytes,
                        _ => disk.read_only = s.value >= 1.0,
                    }
                }
            }
        }
    }
    // Memory used from the fraction and the total, swap used from total and free.
    for (instance, host) in &mut hosts {
        host.swap_used_bytes = host.swap_total_bytes.saturating_sub(host.swap_used_bytes);
        if let Some(fraction) = answers.get(&Metric::Memory).and_then(|m| {
            m.iter()
                .find(|s| s.labels.get("instance") == Some(instance))
        }) {
            host.memory_used_bytes =
                (fraction.value.clamp(0.0, 1.0) * host.memory_total_bytes as f64).round() as u64;
        }
        host.reserve_percent = reserve_percent;
    }
    for ((instance, _), mut disk) in disks {
        if disk.total_bytes == 0 {
            continue;
        }
        disk.used_bytes = disk.total_bytes.saturating_sub(disk.used_bytes);
        if let Some(host) = hosts.get_mut(&instance) {
            host.disks.push(disk);
        }
    }
    for ((instance, _), value) in cores {
        if let Some(host) = hosts.get_mut(&instance) {
            host.cpu_per_core.push(value);
        }
    }
    for host in hosts.values_mut() {
        if host.cores == 0 {
            host.cores = host.cpu_per_core.len() as u32;
        }
    }
    hosts
}

/// A fraction (0..1) as a percentage.
fn percent(fraction: f64) -> f64 {
    (fraction * 100.0).clamp(0.0, 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(labels: &[(&str, &str)], value: f64) -> PromSample {
        PromSample {
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            value,
        }
    }

    #[test]
    fn answers_become_one_sample_per_instance() {
        let a = [("instance", "a:9100")];
        let answers: Answers = [
            (
                Metric::Cpu,
                vec![s(&a, 0.42), s(&[("instance", "b:9100")], 0.1)],
            ),
            (Metric::Memory, vec![s(&a, 0.5)]),
            (Metric::MemoryTotal, vec![s(&a, 8e9)]),
            (Metric::SwapTotal, vec![s(&a, 1000.0)]),
            (Metric::SwapFree, vec![s(&a, 250.0)]),
            (Metric::Load1, vec![s(&a, 1.5)]),
            (
                Metric::CpuPerCore,
                vec![
                    s(&[("instance", "a:9100"), ("cpu", "1")], 0.2),
                    s(&[("instance", "a:9100"), ("cpu", "0")], 0.6),
                ],
            ),
            (
                Metric::DiskSize,
                vec![
                    s(&[("instance", "a:9100"), ("mountpoint", "/")], 100.0),
                    s(&[("instance", "a:9100"), ("mountpoint", "/boot")], 10.0),
                ],
            ),
            (
                Metric::DiskAvail,
                vec![
                    s(&[("instance", "a:9100"), ("mountpoint", "/")], 25.0),
                    s(&[("instance", "a:9100"), ("mountpoint", "/boot")], 0.0),
                ],
            ),
            (
                Metric::DiskReadonly,
                vec![s(&[("instance", "a:9100"), ("mountpoint", "/boot")], 1.0)],
            ),
        ]
        .into();
        let hosts = assemble(&answers, Some(25.0));
        assert_eq!(hosts.len(), 2);
        let h = &hosts["a:9100"];
        assert_eq!(h.cpu_percent, 42.0);
        assert_eq!(h.memory_used_bytes, 4_000_000_000);
        assert_eq!(h.memory_percent(), 50.0);
        assert_eq!(h.swap_used_bytes, 750);
        assert_eq!(h.cpu_per_core, [60.0, 20.0], "in core order");
        assert_eq!(h.cores, 2, "counted from the per-core answer");
        assert_eq!(
            h.worst_disk_percent(),
            Some(75.0),
            "the full /boot is read-only"
        );
        assert!(h.disks.iter().any(|d| d.mount == "/boot" && d.read_only));
        assert_eq!(h.reserve_percent, Some(25.0));
    }
}
