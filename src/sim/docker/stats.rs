//! `/containers/{id}/stats`: the JSON the daemon sends (cgroup v2 shape), computed in O(1)
//! at any instant so `docker stats` finds a CPU % (from the `cpu_stats`/`precpu_stats`
//! deltas), memory without the page cache (`usage - stats.inactive_file`), network and
//! block I/O.

use serde_json::{Value, json};

use super::container::Container;
use super::lifecycle::Phase;
use crate::sim::common::seeded::{Wave, combine};
use crate::sim::common::time::Nanos;
use crate::sim::common::time::rfc3339_nano;

const SECOND: Nanos = 1_000_000_000;
const MIB: f64 = 1024.0 * 1024.0;

/// What the host contributes to every sample.
#[derive(Debug, Clone, Copy)]
pub struct HostFacts {
    pub ncpu: u32,
    pub memory: u64,
    /// When the host booted: the zero of `system_cpu_usage`.
    pub boot: Nanos,
}

/// Cumulative CPU time of the current run at `at`, in nanoseconds.
fn cpu_total(c: &Container, run_start: Nanos, at: Nanos) -> f64 {
    let mean = (c.spec.cpu / 100.0).max(0.0);
    let wave = Wave::new(combine(c.key, 11));
    let t = ((at - run_start) as f64 / 1e9).max(0.0);
    // The rate wanders ±30 % around the mean, never below zero.
    mean * (t + 0.3 * (wave.integral(t) - wave.integral(0.0))) * 1e9
}

/// Memory in use at `at` (without the page cache), climbing to the limit before an OOM kill.
fn working_set(c: &Container, limit: u64, at: Nanos) -> f64 {
    let mean = c.spec.memory.0.max(4 << 20) as f64;
    let wave = Wave::new(combine(c.key, 12));
    let mut used = mean * (1.0 + 0.06 * wave.at(at as f64 / 1e9));
    if let (Some(oom), Some(spec)) = (c.life.oom_at(), c.spec.oom.as_ref()) {
        let ramp = spec.ramp.nanos().max(SECOND);
        if at > oom - ramp && at <= oom {
            let progress = (at - (oom - ramp)) as f64 / ramp as f64;
            used += (limit as f64 * 0.995 - used).max(0.0) * progress * progress;
        }
    }
    used.min(limit as f64)
}

fn cpu_block(c: &Container, host: &HostFacts, run_start: Nanos, at: Nanos) -> Value {
    let total = cpu_total(c, run_start, at) as u64;
    json!({
        "cpu_usage": {
            "total_usage": total,
            "usage_in_kernelmode": total / 5,
            "usage_in_usermode": total - total / 5,
        },
        "system_cpu_usage": ((at - host.boot).max(0) as u64).saturating_mul(u64::from(host.ncpu)),
        "online_cpus": host.ncpu,
        "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0},
    })
}

fn empty_cpu_block() -> Value {
    json!({
        "cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0, "usage_in_usermode": 0},
        "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0},
    })
}

/// One stats sample at `at`. `previous` is the instant of the sample before, whose CPU
/// counters become `precpu_stats` (`None`: empty, as a one-shot sample has).
pub fn sample(c: &Container, host: &HostFacts, at: Nanos, previous: Option<Nanos>) -> Value {
    let running = matches!(c.life.phase, Phase::Running | Phase::Paused);
    let Some(run_start) = c.life.started_at.filter(|_| running) else {
        return stopped_sample(c);
    };
    let limit = c
        .spec
        .memory_limit
        .map_or(host.memory, |l| l.0)
        .min(host.memory);
    let used = working_set(c, limit, at);
    let inactive = (used * 0.04 + 2.0 * MIB).round();
    let active_file = (used * 0.03).round();
    let anon = used - active_file;
    let uptime = ((at - run_start).max(0) as f64) / 1e9;
    let rate = c.spec.logs.rate.max(0.0);
    let rx = uptime * (1500.0 + 2500.0 * rate);
    let tx = uptime * (800.0 + 5000.0 * rate);
    let read = c.spec.memory.0 as f64 * 0.3 + uptime * 150.0;
    let write = uptime * (200.0 + 180.0 * rate);
    let precpu = previous.map_or_else(empty_cpu_block, |p| {
        cpu_block(c, host, run_start, p.max(run_start))
    });
    json!({
        "read": rfc3339_nano(Some(at)),
        "preread": rfc3339_nano(previous),
        "pids_stats": {"current": c.pids, "limit": 19_087},
        "blkio_stats": {
            "io_service_bytes_recursive": [
                {"major": 254, "minor": 0, "op": "read", "value": read as u64},
                {"major": 254, "minor": 0, "op": "write", "value": write as u64},
            ],
            "io_serviced_recursive": null,
            "io_queue_recursive": null,
            "io_service_time_recursive": null,
            "io_wait_time_recursive": null,
            "io_merged_recursive": null,
            "io_time_recursive": null,
            "sectors_recursive": null,
        },
        "num_procs": 0,
        "storage_stats": {},
        "cpu_stats": cpu_block(c, host, run_start, at),
        "precpu_stats": precpu,
        "memory_stats": {
            "usage": (used + inactive) as u64,
            "stats": {
                "active_anon": (anon * 0.1) as u64,
                "active_file": active_file as u64,
                "anon": anon as u64,
                "anon_thp": 0,
                "file": (active_file + inactive) as u64,
                "file_dirty": 0,
                "file_mapped": (active_file * 0.5) as u64,
                "file_writeback": 0,
                "inactive_anon": (anon * 0.9) as u64,
                "inactive_file": inactive as u64,
                "kernel_stack": c.pids * 16_384,
                "pgfault": (uptime * 40.0) as u64,
                "pgmajfault": 0,
                "shmem": 0,
                "slab": (used * 0.01) as u64,
                "sock": 0,
                "unevictable": 0,
            },
            "limit": limit,
        },
        "name": format!("/{}", c.name),
        "id": c.id,
        "networks": {
            "eth0": {
                "rx_bytes": rx as u64,
                "rx_packets": (rx / 620.0) as u64,
                "rx_errors": 0,
                "rx_dropped": 0,
                "tx_bytes": tx as u64,
                "tx_packets": (tx / 900.0) as u64,
                "tx_errors": 0,
                "tx_dropped": 0,
            }
        },
    })
}

/// What the daemon sends for a container that is not running: zeros and zero times.
fn stopped_sample(c: &Container) -> Value {
    json!({
        "read": rfc3339_nano(None),
        "preread": rfc3339_nano(None),
        "pids_stats": {},
        "blkio_stats": {
            "io_service_bytes_recursive": null,
            "io_serviced_recursive": null,
            "io_queue_recursive": null,
            "io_service_time_recursive": null,
            "io_wait_time_recursive": null,
            "io_merged_recursive": null,
            "io_time_recursive": null,
            "sectors_recursive": null,
        },
        "num_procs": 0,
        "storage_stats": {},
        "cpu_stats": empty_cpu_block(),
        "precpu_stats": empty_cpu_block(),
        "memory_stats": {},
        "name": format!("/{}", c.name),
        "id": c.id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::docker::container::build;
    use crate::sim::docker::scenario::DockerScenario;

    const ORIGIN: Nanos = 1_795_371_578_000_000_000;

    fn host() -> HostFacts {
        HostFacts {
            ncpu: 8,
            memory: 16 << 30,
            boot: ORIGIN - 30 * 86_400 * SECOND,
        }
    }

    fn db(extra: &str) -> Container {
        let yaml = format!(
            "containers:\n  - name: db\n    image: postgres:15\n    started: -2h\n    cpu: 12\n    memory: 300MiB\n    memory_limit: 1GiB\n{extra}"
        );
        let scenario: DockerScenario = serde_norway::from_str(&yaml).unwrap();
        build(&scenario, ORIGIN, 3).unwrap().remove(0)
    }

    /// The docker CLI's own arithmetic (cli/command/container/stats_helpers.go).
    fn cli_cpu_percent(v: &Value) -> f64 {
        let cpu = v["cpu_stats"]["cpu_usage"]["total_usage"].as_f64().unwrap();
        let pre = v["precpu_stats"]["cpu_usage"]["total_usage"]
            .as_f64()
            .unwrap();
        let sys = v["cpu_stats"]["system_cpu_usage"].as_f64().unwrap();
        let presys = v["precpu_stats"]["system_cpu_usage"]
            .as_f64()
            .unwrap_or(0.0);
        let cpus = v["cpu_stats"]["online_cpus"].as_f64().unwrap();
        (cpu - pre) / (sys - presys) * cpus * 100.0
    }

    fn cli_mem_usage(v: &Value) -> f64 {
        let m = &v["memory_stats"];
        m["usage"].as_f64().unwrap() - m["stats"]["inactive_file"].as_f64().unwrap()
    }

    #[test]
    fn the_cli_finds_cpu_and_memory_near_the_scenarios_means() {
        let c = db("");
        for step in 0..20 {
            let at = ORIGIN + step * 37 * SECOND;
            let v = sample(&c, &host(), at, Some(at - SECOND));
            let cpu = cli_cpu_percent(&v);
            assert!((12.0 * 0.69..=12.0 * 1.31).contains(&cpu), "cpu {cpu}");
            let mem = cli_mem_usage(&v) / MIB;
            assert!((270.0..=330.0).contains(&mem), "mem {mem}");
            assert_eq!(v["memory_stats"]["limit"], 1u64 << 30);
        }
    }

    #[test]
    fn memory_climbs_to_the_limit_before_an_oom_kill() {
        let c = db("    oom: {at: 10m, ramp: 2m}\n");
        let oom = ORIGIN + 600 * SECOND;
        let early = cli_mem_usage(&sample(&c, &host(), oom - 300 * SECOND, None)) / MIB;
        let late = cli_mem_usage(&sample(&c, &host(), oom - SECOND, None)) / MIB;
        assert!(early < 330.0, "{early}");
        assert!(late > 1000.0, "{late}");
    }

    #[test]
    fn a_stopped_container_reports_zeros() {
        let mut c = db("");
        c.life.stop(ORIGIN, &mut Vec::new()).unwrap();
        let v = sample(&c, &host(), ORIGIN + SECOND, Some(ORIGIN));
        assert_eq!(v["read"], "0001-01-01T00:00:00Z");
        assert_eq!(v["cpu_stats"]["cpu_usage"]["total_usage"], 0);
        assert_eq!(v["name"], "/db");
    }
}
