//! This machine through sysinfo: the source reports it as a live host whose numbers agree
//! with the kernel's own (`/proc/meminfo`, `df`), and the built-in rules, on a clock the
//! test moves, fire on its real samples after their `for:` duration.

#[path = "services/harness.rs"]
mod harness;

use std::time::Duration;

use harness::{Console, health_is};
use pilothouse::config::Config;
use pilothouse::model::SourceKind;
use pilothouse::rules::{ManualClock, spawn_rules_with_clock};
use pilothouse::sources::alertmanager::settings::Percent;
use pilothouse::sources::alertmanager::{self, AlertOptions, AlertSources};
use pilothouse::sources::host::{LOCAL_SOURCE, LocalHost};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

fn meminfo_total() -> u64 {
    let text = std::fs::read_to_string("/proc/meminfo").expect("/proc/meminfo");
    let line = text.lines().find(|l| l.starts_with("MemTotal:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// `df`'s size of the file system at `/`, in bytes.
fn df_root_size() -> Option<u64> {
    let out = std::process::Command::new("df")
        .args(["-B1", "--output=size", "/"])
        .output()
        .ok()?;
    String::from_utf8(out.stdout)
        .ok()?
        .lines()
        .nth(1)?
        .trim()
        .parse()
        .ok()
}

fn options() -> AlertOptions {
    AlertOptions {
        host_interval: Duration::from_millis(250),
        ..AlertOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn this_machine_is_a_live_host_with_the_kernels_numbers() {
    let (mut console, sink) = Console::new();
    let cancel = CancellationToken::new();
    alertmanager::spawn_with(
        &Config::default(),
        AlertSources {
            local_host: true,
            ..AlertSources::default()
        },
        options(),
        sink,
        &cancel,
    );
    console
        .wait_for("two samples of this machine", |f| {
            health_is(f, SourceKind::Host, LOCAL_SOURCE, "live")
                && f.hosts.values().any(|h| h.cpu_history.len() >= 2)
        })
        .await;
    let host = console.fleet.hosts.values().next().unwrap();
    assert_eq!(host.id.source, LOCAL_SOURCE);
    assert_eq!(host.id.name, LocalHost::name());
    let s = &host.latest;
    assert_eq!(s.memory_total_bytes, meminfo_total());
    assert!(s.cores >= 1 && s.cpu_per_core.len() == s.cores as usize);
    assert!(s.load1 >= 0.0);
    if let (Some(root), Some(size)) = (s.disks.iter().find(|d| d.mount == "/"), df_root_size()) {
        assert_eq!(root.total_bytes, size, "the size df says");
    }
    assert_eq!(
        s.reserve_percent,
        Some(25.0),
        "the default reserve is checked"
    );
    println!(
        "{}: cpu {:.0}% ({} cores), load {:.2}, memory {:.0}%, {} disks, net ↓{:.0} ↑{:.0} B/s",
        host.id.name,
        s.cpu_percent,
        s.cores,
        s.load1,
        s.memory_percent(),
        s.disks.len(),
        s.net_rx_bytes_per_s,
        s.net_tx_bytes_per_s
    );
    cancel.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_built_in_rule_fires_on_real_samples_after_its_for_duration() {
    // Memory is above 0% on any machine: with that threshold the rule must fire, but only
    // once the clock has moved past its five minutes.
    let mut config = Config::default();
    config.rules.memory.percent = Percent(0.0);
    config.rules.cpu.enabled = false;
    config.rules.disk.enabled = false;
    let (tx, rx) = mpsc::channel(64);
    let clock = ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap());
    let out = spawn_rules_with_clock(rx, config.rules.clone(), clock.clone());
    let mut console = Console::reading(out);
    let cancel = CancellationToken::new();
    alertmanager::spawn_with(
        &config,
        AlertSources {
            local_host: true,
            ..AlertSources::default()
        },
        options(),
        pilothouse::sources::EventSink::new(tx),
        &cancel,
    );
    console
        .wait_for("three samples and no alert yet", |f| {
            f.hosts.values().any(|h| h.cpu_history.len() >= 3)
        })
        .await;
    assert!(
        console.fleet.alerts.is_empty(),
        "pending, not firing, before 5m"
    );
    clock.advance(Duration::from_secs(300));
    console
        .wait_for("HighMemoryUsage for this machine", |f| {
            f.alerts.values().any(|a| a.name() == "HighMemoryUsage")
        })
        .await;
    let alert = console.fleet.alerts.values().next().unwrap();
    assert_eq!(alert.id.source, "pilothouse");
    assert_eq!(alert.labels["instance"], LocalHost::name());
    assert_eq!(alert.labels["severity"], "warning");
    assert_eq!(
        alert.starts_at,
        Some("2026-11-22T03:00:00Z".parse().unwrap()),
        "firing since the first sample above the threshold"
    );
    cancel.cancel();
}
