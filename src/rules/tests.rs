//! The rule engine against a fake clock, and the task against tokio's paused one.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::mpsc;

use super::*;
use crate::model::{ContainerId, Disk, HostId, HostSample};
use crate::sources::alertmanager::settings::{Percent, RulesConfig};
use crate::store::{Scope, SourceEvent};

fn t0() -> Timestamp {
    "2026-11-22T03:00:00Z".parse().unwrap()
}

fn at(minutes: f64) -> Timestamp {
    t0() + SignedDuration::from_secs_f64(minutes * 60.0)
}

fn host() -> HostId {
    HostId {
        source: "local".into(),
        name: "web-1".into(),
    }
}

fn sample(cpu: f64, memory: u64, disk: u64) -> HostSample {
    HostSample {
        cpu_percent: cpu,
        memory_used_bytes: memory,
        memory_total_bytes: 100,
        disks: vec![
            Disk {
                mount: "/var".into(),
                used_bytes: disk,
                total_bytes: 100,
                read_only: false,
            },
            Disk {
                mount: "/snap".into(),
                used_bytes: 100,
                total_bytes: 100,
                read_only: true,
            },
        ],
        ..HostSample::default()
    }
}

fn upserts(events: &[SourceEvent]) -> Vec<String> {
    let mut names = Vec::new();
    for e in events {
        match e {
            SourceEvent::UpsertAlert(a) => names.push(format!("+{}", a.name())),
            SourceEvent::DeleteAlert(_) => names.push("-".into()),
            SourceEvent::Batch(inner) => names.extend(upserts(inner)),
            _ => {}
        }
    }
    names
}

#[test]
fn cpu_fires_only_after_holding_for_five_minutes() {
    let mut engine = RuleEngine::new(RulesConfig::default());
    assert!(
        engine
            .observe_host(&host(), &sample(95.0, 10, 10), at(0.0))
            .is_empty()
    );
    assert_eq!(engine.pending(), 1);
    assert_eq!(engine.next_due(), Some(at(5.0)));
    // Still high at 4m59s: pending.
    assert!(
        engine
            .observe_host(&host(), &sample(97.0, 10, 10), at(4.98))
            .is_empty()
    );
    assert!(engine.tick(at(4.99)).is_empty());
    // The timer at 5m fires it on the latest reading, without a new sample.
    let fired = engine.tick(at(5.0));
    assert_eq!(upserts(&fired), ["+HighCPUUsage"]);
    let SourceEvent::UpsertAlert(alert) = &fired[0] else {
        panic!("{fired:?}")
    };
    assert_eq!(alert.id.source, "pilothouse");
    assert_eq!(alert.labels["severity"], "warning");
    assert_eq!(alert.labels["instance"], "web-1");
    assert_eq!(alert.starts_at, Some(at(0.0)), "firing since it went above");
    assert!(
        alert.annotations["description"].contains("above 80% for 5m"),
        "{alert:?}"
    );
    // Firing and still high: nothing new to send.
    assert!(
        engine
            .observe_host(&host(), &sample(99.0, 10, 10), at(6.0))
            .is_empty()
    );
    // Back below: resolved.
    let resolved = engine.observe_host(&host(), &sample(20.0, 10, 10), at(7.0));
    assert_eq!(upserts(&resolved), ["-"]);
    assert_eq!(engine.next_due(), None);
}

#[test]
fn a_dip_below_the_threshold_restarts_the_for_duration() {
    let mut engine = RuleEngine::new(RulesConfig::default());
    engine.observe_host(&host(), &sample(90.0, 10, 10), at(0.0));
    engine.observe_host(&host(), &sample(70.0, 10, 10), at(3.0));
    engine.observe_host(&host(), &sample(90.0, 10, 10), at(4.0));
    assert!(engine.tick(at(5.0)).is_empty(), "the dip at 3m reset it");
    assert_eq!(upserts(&engine.tick(at(9.0))), ["+HighCPUUsage"]);
}

#[test]
fn memory_and_disk_have_their_own_thresholds_and_severities() {
    let mut engine = RuleEngine::new(RulesConfig::default());
    // Memory 86% and /var 95%: the disk rule holds 1m, memory 5m. The read-only /snap
    // is full and never fires.
    engine.observe_host(&host(), &sample(10.0, 86, 95), at(0.0));
    let disk = engine.tick(at(1.0));
    assert_eq!(upserts(&disk), ["+HighDiskUsage"]);
    let SourceEvent::UpsertAlert(alert) = &disk[0] else {
        panic!()
    };
    assert_eq!(alert.labels["severity"], "critical");
    assert_eq!(alert.labels["mountpoint"], "/var");
    assert_eq!(upserts(&engine.tick(at(5.0))), ["+HighMemoryUsage"]);
    // 85% exactly is not above 85%.
    assert_eq!(
        upserts(&engine.observe_host(&host(), &sample(10.0, 85, 95), at(6.0))),
        ["-"]
    );
}

#[test]
fn thresholds_come_from_the_config() {
    let mut config = RulesConfig::default();
    config.cpu.percent = Percent(50.0);
    config.cpu.hold = Duration::ZERO;
    config.memory.enabled = false;
    let mut engine = RuleEngine::new(config);
    let now = engine.observe_host(&host(), &sample(60.0, 99, 10), at(0.0));
    assert_eq!(upserts(&now), ["+HighCPUUsage"], "for: 0s fires at once");
    assert!(engine.tick(at(60.0)).is_empty(), "memory is off");
    let off = RulesConfig {
        enabled: false,
        ..RulesConfig::default()
    };
    assert!(
        RuleEngine::new(off)
            .observe_host(&host(), &sample(99.0, 99, 99), at(0.0))
            .is_empty()
    );
}

#[test]
fn a_host_that_goes_away_resolves_its_alerts() {
    let mut engine = RuleEngine::new(RulesConfig::default());
    engine.observe_host(&host(), &sample(95.0, 10, 10), at(0.0));
    engine.tick(at(5.0));
    assert_eq!(upserts(&engine.forget(&Subject::Host(host()))), ["-"]);
    assert_eq!(engine.pending(), 0);
}

#[test]
fn containers_use_memory_against_their_limit() {
    let mut engine = RuleEngine::new(RulesConfig::default());
    // Any container will do: take one of the fixture estate's.
    let mut container = crate::fixture::embedded(t0())
        .into_iter()
        .find_map(|e| match e {
            SourceEvent::UpsertContainer(c) => Some(c),
            _ => None,
        })
        .expect("the fixture has containers");
    container.id = ContainerId::new("local", "abc");
    container.name = "shop-db-1".into();
    container.cpu_percent = Some(12.0);
    container.memory_usage_bytes = Some(95);
    container.memory_limit_bytes = Some(100);
    engine.observe_container(&container, at(0.0));
    let fired = engine.tick(at(5.0));
    assert_eq!(upserts(&fired), ["+HighMemoryUsage"]);
    let SourceEvent::UpsertAlert(alert) = &fired[0] else {
        panic!()
    };
    assert_eq!(alert.labels["container"], "shop-db-1");
    assert_eq!(alert.labels["docker_host"], "local");
}

#[test]
fn kubernetes_nodes_use_sampled_usage_against_allocatable() {
    use crate::store::usage::UsageSample;
    let mut engine = RuleEngine::new(RulesConfig::default());
    let node = crate::model::Node {
        context: "prod".into(),
        name: "node-1".into(),
        created: None,
        roles: Vec::new(),
        version: "v1.32".into(),
        ready: Some(true),
        pressures: Vec::new(),
        unschedulable: false,
        taints: Vec::new(),
        cpu_allocatable_millis: 4000,
        memory_allocatable_bytes: 1000,
        cpu_used_millis: None,
        memory_used_bytes: None,
    };
    let usage = |cpu: u64, memory: u64| UsageSample {
        namespace: String::new(),
        name: "node-1".into(),
        cpu_millis: cpu,
        memory_bytes: memory,
    };
    // Usage before the node's capacity is known says nothing.
    assert!(
        engine
            .observe_node_usage("prod", &[usage(3900, 100)], at(0.0))
            .is_empty()
    );
    engine.observe_node(&node, at(0.0));
    // 3,600m of 4,000m is 90% CPU; 500 of 1,000 bytes is half the memory.
    engine.observe_node_usage("prod", &[usage(3600, 500)], at(0.0));
    assert!(engine.tick(at(4.0)).is_empty(), "pending for 5m first");
    let fired = engine.observe_node_usage("prod", &[usage(3600, 500)], at(5.0));
    assert_eq!(upserts(&fired), ["+HighCPUUsage"]);
    let SourceEvent::UpsertAlert(alert) = &fired[0] else {
        panic!()
    };
    assert_eq!(alert.labels["node"], "node-1");
    assert_eq!(alert.labels["context"], "prod");
    // The node goes: its alert resolves.
    let gone = engine.forget(&Subject::Node("prod".into(), "node-1".into()));
    assert_eq!(upserts(&gone), ["-"]);
    let mut quiet = RuleEngine::new(RulesConfig {
        nodes: false,
        ..RulesConfig::default()
    });
    quiet.observe_node(&node, at(0.0));
    quiet.observe_node_usage("prod", &[usage(4000, 1000)], at(0.0));
    assert!(
        quiet.tick(at(10.0)).is_empty(),
        "nodes = false turns the rules off"
    );
}

#[test]
fn fingerprints_are_stable_and_tell_label_sets_apart() {
    let a = [("alertname".to_string(), "X".to_string())].into();
    let b = [("alertname".to_string(), "Y".to_string())].into();
    assert_eq!(fingerprint(&a), fingerprint(&a.clone()));
    assert_ne!(fingerprint(&a), fingerprint(&b));
    assert_eq!(fingerprint(&a).len(), 16);
}

async fn wait(out: &mut mpsc::Receiver<SourceEvent>) -> SourceEvent {
    let next = tokio::time::timeout(Duration::from_secs(10), out.recv());
    next.await.expect("an event in time").expect("open")
}

#[tokio::test]
async fn the_task_passes_events_through_and_fires_on_its_timer() {
    let clock = ManualClock::new(t0());
    let (tx, rx) = mpsc::channel(16);
    let mut out = spawn_rules_with_clock(rx, RulesConfig::default(), clock.clone());
    tx.send(SourceEvent::HostSample {
        id: host(),
        sample: sample(95.0, 10, 10),
    })
    .await
    .unwrap();
    assert!(matches!(
        wait(&mut out).await,
        SourceEvent::HostSample { .. }
    ));
    // Nothing more until five minutes have passed on the clock.
    clock.advance(Duration::from_secs(299));
    tokio::task::yield_now().await;
    assert!(out.try_recv().is_err());
    clock.advance(Duration::from_secs(1));
    assert_eq!(upserts(&[wait(&mut out).await]), ["+HighCPUUsage"]);
    // A relist that brings the host back keeps it firing; one that drops it resolves.
    tx.send(SourceEvent::Batch(vec![
        SourceEvent::Clear(Scope::Hosts {
            source: "local".into(),
        }),
        SourceEvent::HostSample {
            id: host(),
            sample: sample(96.0, 10, 10),
        },
    ]))
    .await
    .unwrap();
    assert!(matches!(wait(&mut out).await, SourceEvent::Batch(_)));
    tx.send(SourceEvent::Clear(Scope::Hosts {
        source: "local".into(),
    }))
    .await
    .unwrap();
    assert!(matches!(wait(&mut out).await, SourceEvent::Clear(_)));
    assert_eq!(
        upserts(&[wait(&mut out).await]),
        ["-"],
        "no resolve from the relist, one now"
    );
}
