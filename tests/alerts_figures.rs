//! Figures for the README's "Alerts and hosts" section, measured against the real
//! servers. Ignored by default (they measure, they do not test); run with
//! `cargo test --release --test alerts_figures -- --ignored --nocapture --test-threads 1`.

#[path = "services/harness.rs"]
mod harness;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use harness::Service;
use pilothouse::model::{HostId, HostSample};
use pilothouse::rules::RuleEngine;
use pilothouse::sources::alertmanager::AmClient;
use pilothouse::sources::alertmanager::api::PostableAlert;
use pilothouse::sources::alertmanager::merge::AlertMerge;
use pilothouse::sources::alertmanager::poller::AmPoller;
use pilothouse::sources::alertmanager::settings::{HostQueries, RulesConfig};
use pilothouse::sources::host::LocalHost;
use pilothouse::sources::prometheus::{PromClient, PromSource};
use pilothouse::store::{Fleet, SourceEvent};
use pilothouse::ui::state::{ScopeFilter, TableState};
use pilothouse::ui::table::refresh;
use pilothouse::ui::views::alerts::AlertsTable;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn alerts(n: usize) -> Vec<PostableAlert> {
    (0..n)
        .map(|i| PostableAlert {
            labels: BTreeMap::from([
                ("alertname".to_string(), format!("Alert{}", i % 25)),
                (
                    "severity".to_string(),
                    ["critical", "warning", "info"][i % 3].to_string(),
                ),
                ("instance".to_string(), format!("node-{i}:9100")),
                ("job".to_string(), "node".to_string()),
            ]),
            annotations: BTreeMap::from([(
                "summary".to_string(),
                format!("something is wrong on node-{i}"),
            )]),
            starts_at: None,
            ends_at: None,
            generator_url: None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measures; run by hand for the README"]
async fn alertmanager_poll_merge_and_view() {
    let Some(am) = Service::alertmanager().await else {
        return;
    };
    let client = AmClient::new(am.parsed_url(), Duration::from_secs(10)).unwrap();
    for n in [100usize, 1000] {
        let all = alerts(n);
        for chunk in all.chunks(500) {
            client.post_alerts(chunk).await.unwrap();
        }
        let body = harness::http()
            .get(format!("{}/api/v2/alerts", am.url))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let mut polls = Vec::new();
        let mut report = None;
        for _ in 0..10 {
            let started = Instant::now();
            report = Some(AmPoller::read(&client).await.unwrap());
            polls.push(started.elapsed());
        }
        let report = report.unwrap();
        let mut merge = AlertMerge::new(1);
        let started = Instant::now();
        let first = merge.update(0, report.clone());
        let first_merge = started.elapsed();
        let started = Instant::now();
        let again = merge.update(0, report);
        let unchanged_merge = started.elapsed();
        assert!(again.is_none());
        let mut fleet = Fleet::new();
        if let Some(batch) = first {
            fleet.apply(batch);
        }
        let mut state = TableState::default();
        let started = Instant::now();
        refresh(&AlertsTable, &fleet, &ScopeFilter::default(), &mut state);
        let view = started.elapsed();
        println!(
            "{n} alerts: poll (alerts + silences) {:?} median, {} KiB of alerts JSON; \
             merge {first_merge:?} first, {unchanged_merge:?} unchanged; \
             alerts view order with {} rows {view:?}",
            median(polls),
            body.len() / 1024,
            state.rows.len()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measures; run by hand for the README"]
async fn prometheus_round_and_local_sample() {
    let Some(node) = Service::node_exporter().await else {
        return;
    };
    let Some(prometheus) = Service::prometheus(&node.address()).await else {
        return;
    };
    let client = PromClient::new(prometheus.parsed_url(), Duration::from_secs(10)).unwrap();
    let queries = HostQueries::default();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut rounds = Vec::new();
    for _ in 0..10 {
        let started = Instant::now();
        PromSource::read(&client, &queries).await.unwrap();
        rounds.push(started.elapsed());
    }
    println!(
        "Prometheus: one round of {} queries {:?} median",
        pilothouse::sources::prometheus::hosts::Metric::ALL.len(),
        median(rounds)
    );

    let mut host = LocalHost::new(Some(25.0)).unwrap();
    let mut samples = Vec::new();
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(50));
        let started = Instant::now();
        host.sample();
        samples.push(started.elapsed());
    }
    println!(
        "this machine: one sysinfo sample {:?} median",
        median(samples)
    );
}

#[test]
#[ignore = "measures; run by hand for the README"]
fn rule_engine_per_sample() {
    let mut engine = RuleEngine::new(RulesConfig::default());
    let now: jiff::Timestamp = "2026-11-22T03:00:00Z".parse().unwrap();
    let hosts = 1000;
    let rounds = 20;
    let started = Instant::now();
    let mut raised = 0;
    for round in 0..rounds {
        for h in 0..hosts {
            let id = HostId {
                source: "prometheus".into(),
                name: format!("node-{h}:9100"),
            };
            let sample = HostSample {
                cpu_percent: if h % 10 == 0 { 95.0 } else { 30.0 },
                memory_used_bytes: 50,
                memory_total_bytes: 100,
                ..HostSample::default()
            };
            let at = now + jiff::SignedDuration::from_secs(30 * round);
            raised += engine
                .observe_host(&id, &sample, at)
                .iter()
                .filter(|e| matches!(e, SourceEvent::UpsertAlert(_)))
                .count();
        }
    }
    let each = started.elapsed() / (hosts * rounds) as u32;
    println!(
        "rules: {each:?} per host sample ({hosts} hosts x {rounds} rounds, {raised} alerts raised)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measures; run by hand for the README"]
async fn rules_tap_throughput() {
    let (tx, rx) = tokio::sync::mpsc::channel(4096);
    let mut out = pilothouse::rules::spawn_rules(rx, RulesConfig::default());
    let n = 200_000;
    let started = Instant::now();
    let producer = tokio::spawn(async move {
        for _ in 0..n {
            tx.send(SourceEvent::Batch(Vec::new())).await.unwrap();
        }
    });
    for _ in 0..n {
        out.recv().await.unwrap();
    }
    producer.await.unwrap();
    let each = started.elapsed() / n;
    println!("rules tap: {each:?} per event passed through ({n} events)");
}
