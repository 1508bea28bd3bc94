//! Resource usage from the engine's stats answers: CPU %, memory, network and block I/O
//! rates, and a short history per container for sparklines.
//!
//! CPU % and the I/O rates need two readings. Streamed stats carry the previous CPU
//! reading (`precpu_stats`), but one-shot samples do not, and neither carries previous I/O
//! counters, so the tracker keeps each container's last reading itself and works the same
//! way for both.

use bollard::models::{ContainerCpuStats, ContainerStatsResponse};
use jiff::Timestamp;

use crate::model::docker::{CONTAINER_HISTORY, IoRates, UsageHistory};

/// Samples kept for sparklines: a minute of streamed samples.
pub const HISTORY_LEN: usize = CONTAINER_HISTORY;

/// The cumulative counters of one stats answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatsReading {
    /// When the engine read the counters.
    pub at: Option<Timestamp>,
    /// CPU time the container used since it started, in nanoseconds.
    pub cpu_total_ns: Option<u64>,
    /// CPU time the whole host used since boot, in nanoseconds (Linux only).
    pub system_ns: Option<u64>,
    pub online_cpus: u32,
    /// Memory in use, without the page cache the kernel can drop (as `docker stats`).
    pub memory_used: Option<u64>,
    pub memory_limit: Option<u64>,
    /// Bytes received and sent over every interface since the container started; `None`
    /// when the container has no network (`--network none`: the engine sends none).
    pub net: Option<(u64, u64)>,
    /// Bytes read and written on block devices since the container started; `None` when
    /// the engine sends no block I/O figures.
    pub block: Option<(u64, u64)>,
    /// The previous reading the engine sent along (streamed stats only).
    pub previous_cpu: Option<(u64, u64)>,
}

impl StatsReading {
    /// The counters of one answer; `None` when it holds none (a stopped container's
    /// answer is all zeros).
    pub fn from_response(stats: &ContainerStatsResponse) -> Option<StatsReading> {
        let cpu = stats.cpu_stats.as_ref();
        let cpu_total_ns = cpu
            .and_then(|c| c.cpu_usage.as_ref())
            .and_then(|u| u.total_usage)
            .filter(|&n| n > 0);
        let memory = stats.memory_stats.as_ref();
        let memory_used = memory.and_then(|m| {
            let usage = m.usage?;
            // cgroup v1 calls the droppable cache total_inactive_file, v2 inactive_file.
            let cache = m.stats.as_ref().and_then(|s| {
                s.get("total_inactive_file")
                    .or_else(|| s.get("inactive_file"))
                    .copied()
            });
            Some(match cache {
                Some(cache) if cache < usage => usage - cache,
                _ => usage,
            })
        });
        if cpu_total_ns.is_none() && memory_used.is_none() {
            return None;
        }
        let net = stats.networks.as_ref().map(|nets| {
            nets.values().fold((0u64, 0u64), |(rx, tx), n| {
                (
                    rx.saturating_add(n.rx_bytes.unwrap_or(0)),
                    tx.saturating_add(n.tx_bytes.unwrap_or(0)),
                )
            })
        });
        // An empty list is "no I/O yet" (what `docker stats` shows as 0B / 0B); a missing
        // one is unknown.
        let block = stats
            .blkio_stats
            .as_ref()
            .and_then(|b| b.io_service_bytes_recursive.as_ref())
            .map(|entries| {
                entries.iter().fold((0u64, 0u64), |(r, w), e| {
                    let value = e.value.unwrap_or(0);
                    match e.op.as_deref().map(str::to_ascii_lowercase).as_deref() {
                        Some("read") => (r.saturating_add(value), w),
                        Some("write") => (r, w.saturating_add(value)),
                        _ => (r, w),
                    }
                })
            });
        Some(StatsReading {
            at: stats
                .read
                .as_deref()
                .and_then(super::super::convert::engine_time),
            cpu_total_ns,
            system_ns: cpu.and_then(|c| c.system_cpu_usage).filter(|&n| n > 0),
            online_cpus: cpu.map_or(0, online_cpus),
            memory_used,
            memory_limit: memory.and_then(|m| m.limit).filter(|&l| l > 0),
            net,
            block,
            previous_cpu: stats.precpu_stats.as_ref().and_then(|p| {
                let total = p.cpu_usage.as_ref()?.total_usage.filter(|&n| n > 0)?;
                let system = p.system_cpu_usage.filter(|&n| n > 0)?;
                Some((total, system))
            }),
        })
    }
}

fn online_cpus(cpu: &ContainerCpuStats) -> u32 {
    cpu.online_cpus.filter(|&n| n > 0).unwrap_or_else(|| {
        cpu.cpu_usage
            .as_ref()
            .and_then(|u| u.percpu_usage.as_ref())
            .map_or(1, |per| per.len().max(1) as u32)
    })
}

/// What the console shows of a container's usage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContainerUsage {
    /// Percent of one CPU (200 means two CPUs busy), as `docker stats` shows it.
    pub cpu_percent: Option<f64>,
    pub memory_used: Option<u64>,
    pub memory_limit: Option<u64>,
    /// Cumulative network bytes (received, sent) since the container started.
    pub net: Option<(u64, u64)>,
    /// Cumulative block I/O bytes (read, written) since the container started.
    pub block: Option<(u64, u64)>,
    /// Network and block I/O per second between the latest two readings.
    pub rates: IoRates,
    /// Recent CPU % and memory samples, oldest first, at most [`HISTORY_LEN`] each.
    pub history: UsageHistory,
    /// When the latest reading was taken.
    pub at: Option<Timestamp>,
}

/// One container's usage over time.
#[derive(Debug, Clone, Default)]
pub struct UsageTracker {
    last: Option<StatsReading>,
    latest: ContainerUsage,
}

impl UsageTracker {
    /// Take a reading; returns the usage it gives.
    pub fn record(&mut self, reading: StatsReading) -> &ContainerUsage {
        let cpu_percent = self.cpu_percent(&reading);
        let rates = self.io_rates(&reading);
        let latest = &mut self.latest;
        if let Some(cpu) = cpu_percent {
            UsageHistory::push(&mut latest.history.cpu_percent, cpu as f32);
        }
        if let Some(memory) = reading.memory_used {
            UsageHistory::push(&mut latest.history.memory_bytes, memory);
        }
        latest.cpu_percent = cpu_percent.or(latest.cpu_percent);
        latest.memory_used = reading.memory_used;
        latest.memory_limit = reading.memory_limit;
        latest.net = reading.net;
        latest.block = reading.block;
        latest.rates = rates;
        latest.at = reading.at;
        self.last = Some(reading);
        &self.latest
    }

    /// Bytes per second of each I/O counter since our previous reading. A counter that
    /// went down (the container restarted) or a reading without a time gives no rate.
    fn io_rates(&self, now: &StatsReading) -> IoRates {
        let Some(previous) = &self.last else {
            return IoRates::default();
        };
        let seconds = match (now.at, previous.at) {
            (Some(at), Some(prev_at)) => at.duration_since(prev_at).as_secs_f64(),
            _ => return IoRates::default(),
        };
        if seconds <= 0.0 {
            return IoRates::default();
        }
        let rate = |now: Option<u64>, before: Option<u64>| {
            let (now, before) = (now?, before?);
            // Whole bytes: finer would only send updates (and redraws) for noise.
            (now >= before).then(|| ((now - before) as f64 / seconds).round())
        };
        IoRates {
            net_rx: rate(now.net.map(|n| n.0), previous.net.map(|n| n.0)),
            net_tx: rate(now.net.map(|n| n.1), previous.net.map(|n| n.1)),
            block_read: rate(now.block.map(|b| b.0), previous.block.map(|b| b.0)),
            block_write: rate(now.block.map(|b| b.1), previous.block.map(|b| b.1)),
        }
    }

    pub fn latest(&self) -> &ContainerUsage {
        &self.latest
    }

    /// Forget the previous reading (the container restarted: its counters did too).
    pub fn restart(&mut self) {
        self.last = None;
    }

    /// CPU % between the previous reading (ours, else the engine's) and this one, the
    /// way `docker stats` computes it: the container's share of the host's CPU time,
    /// times the CPUs online. Without host CPU time (not Linux), the wall clock stands in.
    fn cpu_percent(&self, now: &StatsReading) -> Option<f64> {
        let total = now.cpu_total_ns?;
        let previous = self
            .last
            .as_ref()
            .and_then(|l| Some((l.cpu_total_ns?, l.system_ns, l.at)))
            .filter(|(t, _, _)| *t <= total);
        if let (Some(system), Some((prev_total, Some(prev_system), _))) = (now.system_ns, previous)
            && system > prev_system
        {
            let share = (total - prev_total) as f64 / (system - prev_system) as f64;
            return Some(share * f64::from(now.online_cpus.max(1)) * 100.0);
        }
        if let (Some(system), Some((prev_total, prev_system))) = (now.system_ns, now.previous_cpu)
            && system > prev_system
            && total >= prev_total
        {
            let share = (total - prev_total) as f64 / (system - prev_system) as f64;
            return Some(share * f64::from(now.online_cpus.max(1)) * 100.0);
        }
        if let (Some(at), Some((prev_total, _, Some(prev_at)))) = (now.at, previous) {
            let wall = at.duration_since(prev_at).as_nanos();
            if wall > 0 {
                return Some((total - prev_total) as f64 / wall as f64 * 100.0);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(json: &str) -> ContainerStatsResponse {
        serde_json::from_str(json).expect("stats JSON")
    }

    /// Shaped like a cgroup v1 answer of Docker 20.10 (`stream=false&one-shot=true`).
    fn one_shot(total: u64, system: u64, read: &str) -> ContainerStatsResponse {
        response(&format!(
            r#"{{"read":"{read}","preread":"0001-01-01T00:00:00Z",
                "cpu_stats":{{"cpu_usage":{{"total_usage":{total}}},"system_cpu_usage":{system},"online_cpus":2}},
                "precpu_stats":{{"cpu_usage":{{"total_usage":0}}}},
                "memory_stats":{{"usage":10485760,"limit":8388608000,"stats":{{"total_inactive_file":2097152}}}},
                "networks":{{"eth0":{{"rx_bytes":100,"tx_bytes":50}},"eth1":{{"rx_bytes":1,"tx_bytes":2}}}},
                "blkio_stats":{{"io_service_bytes_recursive":[
                    {{"major":8,"minor":0,"op":"Read","value":4096}},
                    {{"major":8,"minor":0,"op":"Write","value":8192}},
                    {{"major":8,"minor":0,"op":"Total","value":12288}}]}}}}"#
        ))
    }

    #[test]
    fn one_shot_samples_give_cpu_from_our_previous_reading() {
        let mut tracker = UsageTracker::default();
        let first = StatsReading::from_response(&one_shot(
            1_000_000_000,
            100_000_000_000,
            "2026-11-22T10:00:00Z",
        ))
        .unwrap();
        let usage = tracker.record(first).clone();
        assert_eq!(usage.cpu_percent, None, "one reading gives no rate");
        assert_eq!(
            usage.memory_used,
            Some(8 * 1024 * 1024),
            "cache is not usage"
        );
        assert_eq!(usage.net, Some((101, 52)));
        assert_eq!(usage.block, Some((4096, 8192)));
        assert_eq!(usage.rates, IoRates::default(), "one reading gives no rate");
        // 0.5 s of CPU over 10 s of host CPU time on 2 CPUs: 10 %.
        let second = StatsReading::from_response(&one_shot(
            1_500_000_000,
            110_000_000_000,
            "2026-11-22T10:00:05Z",
        ))
        .unwrap();
        let usage = tracker.record(second);
        let cpu = usage.cpu_percent.unwrap();
        assert!((cpu - 10.0).abs() < 1e-9, "{cpu}");
        assert_eq!(usage.history.cpu_percent, [10.0]);
        assert_eq!(usage.history.memory_bytes.len(), 2);
    }

    #[test]
    fn streamed_samples_use_the_engines_previous_reading_at_first() {
        let stats = response(
            r#"{"read":"2026-11-22T10:00:01Z",
                "cpu_stats":{"cpu_usage":{"total_usage":2000},"system_cpu_usage":20000,"online_cpus":1},
                "precpu_stats":{"cpu_usage":{"total_usage":1000},"system_cpu_usage":10000},
                "memory_stats":{"usage":100,"limit":1000,"stats":{"inactive_file":10}}}"#,
        );
        let mut tracker = UsageTracker::default();
        let usage = tracker.record(StatsReading::from_response(&stats).unwrap());
        assert_eq!(usage.cpu_percent, Some(10.0));
        assert_eq!(usage.memory_used, Some(90));
    }

    #[test]
    fn a_stopped_containers_zeros_are_no_reading_and_history_is_capped() {
        let stopped = response(
            r#"{"read":"0001-01-01T00:00:00Z","cpu_stats":{"cpu_usage":{"total_usage":0}},"memory_stats":{}}"#,
        );
        assert!(StatsReading::from_response(&stopped).is_none());
        let mut tracker = UsageTracker::default();
        for i in 0..(HISTORY_LEN as u64 + 10) {
            let r = one_shot(1_000 + i * 100, 10_000 + i * 1_000, "2026-11-22T10:00:00Z");
            tracker.record(StatsReading::from_response(&r).unwrap());
        }
        assert_eq!(tracker.latest().history.cpu_percent.len(), HISTORY_LEN);
        assert_eq!(tracker.latest().history.memory_bytes.len(), HISTORY_LEN);
    }

    /// A reading with the given cumulative I/O counters at `secs` past the hour.
    fn io_reading(secs: u32, net: Option<(u64, u64)>, block: Option<(u64, u64)>) -> StatsReading {
        StatsReading {
            at: Some(format!("2026-11-22T10:00:{secs:02}Z").parse().unwrap()),
            cpu_total_ns: Some(1_000),
            system_ns: Some(10_000),
            online_cpus: 1,
            memory_used: Some(1),
            memory_limit: None,
            net,
            block,
            previous_cpu: None,
        }
    }

    #[test]
    fn io_rates_are_per_second_between_readings_and_unknown_without_figures() {
        let mut tracker = UsageTracker::default();
        tracker.record(io_reading(0, Some((1_000, 500)), Some((0, 0))));
        let usage = tracker.record(io_reading(4, Some((9_000, 4_500)), Some((4096, 40_000))));
        assert_eq!(
            usage.rates,
            IoRates {
                net_rx: Some(2_000.0),
                net_tx: Some(1_000.0),
                block_read: Some(1_024.0),
                block_write: Some(10_000.0),
            }
        );
        // No network at all: no network figure, never a zero.
        let usage = tracker.record(io_reading(6, None, Some((4096, 40_000))));
        assert_eq!((usage.rates.net_rx, usage.rates.net_tx), (None, None));
        assert_eq!(usage.rates.block_write, Some(0.0));
        // Counters that went down mean a restart: no rate until the next reading.
        let usage = tracker.record(io_reading(8, Some((10, 10)), Some((0, 0))));
        assert_eq!(usage.rates.block_write, None);
        let usage = tracker.record(io_reading(10, Some((30, 10)), Some((0, 2))));
        assert_eq!(usage.rates.net_rx, Some(10.0));
        assert_eq!(usage.rates.block_write, Some(1.0));
    }

    #[test]
    fn a_networkless_answer_has_no_network_figures() {
        let stats = response(
            r#"{"read":"2026-11-22T10:00:01Z","networks":null,
                "cpu_stats":{"cpu_usage":{"total_usage":2000},"system_cpu_usage":20000,"online_cpus":1},
                "memory_stats":{"usage":100,"limit":1000},
                "blkio_stats":{"io_service_bytes_recursive":[]}}"#,
        );
        let reading = StatsReading::from_response(&stats).unwrap();
        assert_eq!(reading.net, None);
        assert_eq!(reading.block, Some((0, 0)), "an empty list is no I/O yet");
    }
}
