//! This machine as a host, through `sysinfo`: CPU per core and total, load, memory and
//! swap, disks (used, free, read-only) and network rates, sampled on an interval.
//!
//! Sampling reads `/proc` and `statfs` for a few milliseconds, so it runs on the blocking
//! pool and never in the loop's way. The first CPU figure needs two readings; the source
//! takes one at start and sends its first sample one interval later.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use sysinfo::{Disks, Networks, System};
use tokio_util::sync::CancellationToken;

use crate::model::{Disk, HostId, HostSample, SourceHealth, SourceKey, SourceKind};
use crate::sources::EventSink;
use crate::store::SourceEvent;

/// The source name of this machine's host.
pub const LOCAL_SOURCE: &str = "local";

/// The default sampling interval: each sample is a redraw of the nodes view, and a
/// sparkline of 120 points covers ten minutes.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// sysinfo's handles, kept between samples (CPU usage and network rates are differences).
pub struct LocalHost {
    system: System,
    disks: Disks,
    networks: Networks,
    /// When the network counters were last read.
    last_network: Option<Instant>,
    /// The spare capacity to flag below (`[rules] reserve_percent`).
    reserve_percent: Option<f64>,
}

/// sysinfo could not read this machine (an unsupported OS).
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot read this machine's metrics: {0}")]
pub struct Unsupported(String);

impl LocalHost {
    /// Take the first readings. CPU usage is known from the second [`LocalHost::sample`].
    pub fn new(reserve_percent: Option<f64>) -> Result<LocalHost, Unsupported> {
        let mut system = System::new().map_err(|e| Unsupported(e.to_string()))?;
        system.refresh_cpu_usage();
        let disks = Disks::new_with_refreshed_list().map_err(|e| Unsupported(e.to_string()))?;
        let networks =
            Networks::new_with_refreshed_list().map_err(|e| Unsupported(e.to_string()))?;
        Ok(LocalHost {
            system,
            disks,
            networks,
            last_network: Some(Instant::now()),
            reserve_percent,
        })
    }

    /// This machine's name.
    pub fn name() -> String {
        System::host_name().unwrap_or_else(|_| "localhost".to_string())
    }

    /// Read everything again.
    pub fn sample(&mut self) -> HostSample {
        self.system.refresh_cpu_usage();
        self.system.refresh_memory();
        self.disks.refresh(true);
        self.networks.refresh(true);
        let now = Instant::now();
        let seconds = self
            .last_network
            .map_or(0.0, |last| now.duration_since(last).as_secs_f64());
        self.last_network = Some(now);
        let (rx, tx) = self
            .networks
            .iter()
            .filter(|(name, _)| name.as_os_str() != "lo")
            .fold((0u64, 0u64), |(rx, tx), (_, data)| {
                (rx + data.received(), tx + data.transmitted())
            });
        let rate = |bytes: u64| {
            if seconds > 0.0 {
                bytes as f64 / seconds
            } else {
                0.0
            }
        };
        let load = System::load_average().ok();
        HostSample {
            cpu_percent: f64::from(self.system.global_cpu_usage()),
            cpu_per_core: self
                .system
                .cpus()
                .iter()
                .map(|c| f64::from(c.usage()))
                .collect(),
            cores: self.system.cpus().len() as u32,
            load1: load.as_ref().map_or(0.0, |l| l.one),
            load5: load.as_ref().map_or(0.0, |l| l.five),
            load15: load.as_ref().map_or(0.0, |l| l.fifteen),
            memory_used_bytes: self.system.used_memory(),
            memory_total_bytes: self.system.total_memory(),
            swap_used_bytes: self.system.used_swap(),
            swap_total_bytes: self.system.total_swap(),
            disks: self.disk_list(),
            net_rx_bytes_per_s: rate(rx),
            net_tx_bytes_per_s: rate(tx),
            reserve_percent: self.reserve_percent,
        }
    }

    /// One entry per file system: bind mounts of the same device (a container's
    /// `/etc/hosts`) are the same disk, listed once under its shortest mount point.
    fn disk_list(&self) -> Vec<Disk> {
        let mut by_device: BTreeMap<(String, u64), Disk> = BTreeMap::new();
        for d in self.disks.iter() {
            if d.total_space() == 0 {
                continue;
            }
            let disk = Disk {
                mount: d.mount_point().to_string_lossy().into_owned(),
                used_bytes: d.total_space().saturating_sub(d.available_space()),
                total_bytes: d.total_space(),
                read_only: d.is_read_only(),
            };
            let key = (d.name().to_string_lossy().into_owned(), d.total_space());
            match by_device.get(&key) {
                Some(kept) if kept.mount.len() <= disk.mount.len() => {}
                _ => {
                    by_device.insert(key, disk);
                }
            }
        }
        let mut disks: Vec<Disk> = by_device.into_values().collect();
        disks.sort_by(|a, b| a.mount.cmp(&b.mount));
        disks
    }
}

/// Sample this machine every `interval` until cancelled, as the host `local`/<hostname>.
pub fn spawn(
    interval: Duration,
    reserve_percent: Option<f64>,
    mut sink: EventSink,
    cancel: CancellationToken,
) {
    tokio::spawn(async move {
        let key = SourceKey::new(SourceKind::Host, LOCAL_SOURCE);
        let first = tokio::task::spawn_blocking(move || {
            LocalHost::new(reserve_percent).map(|host| (host, LocalHost::name()))
        })
        .await;
        let (mut host, name) = match first {
            Ok(Ok(host)) => host,
            Ok(Err(e)) => {
                let _ = sink
                    .health(
                        &key,
                        SourceHealth::Unavailable {
                            error: e.to_string(),
                        },
                    )
                    .await;
                return;
            }
            Err(e) => {
                tracing::error!("host sampler did not start: {e}");
                return;
            }
        };
        let id = HostId {
            source: LOCAL_SOURCE.to_string(),
            name,
        };
        let mut live = false;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(interval) => {}
            }
            let taken = tokio::task::spawn_blocking(move || {
                let sample = host.sample();
                (host, sample)
            })
            .await;
            let Ok((back, sample)) = taken else {
                return;
            };
            host = back;
            let event = SourceEvent::HostSample {
                id: id.clone(),
                sample,
            };
            if sink.send(event).await.is_err() {
                return;
            }
            if !live {
                live = true;
                if sink.health(&key, SourceHealth::Live).await.is_err() {
                    return;
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_machine_has_cpus_memory_and_a_disk() {
        let mut host = LocalHost::new(Some(25.0)).expect("sysinfo works on Linux");
        std::thread::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL);
        let s = host.sample();
        assert!(s.cores >= 1);
        assert_eq!(s.cpu_per_core.len(), s.cores as usize);
        assert!((0.0..=100.0).contains(&s.cpu_percent), "{}", s.cpu_percent);
        assert!(s.memory_total_bytes > 0 && s.memory_used_bytes <= s.memory_total_bytes);
        assert!(!s.disks.is_empty(), "no disks at all");
        let mounts: Vec<&str> = s.disks.iter().map(|d| d.mount.as_str()).collect();
        let mut unique = mounts.clone();
        unique.dedup();
        assert_eq!(mounts, unique);
        assert_eq!(s.reserve_percent, Some(25.0));
        assert!(!LocalHost::name().is_empty());
    }
}
