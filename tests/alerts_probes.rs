//! HTTP health probes: a dead endpoint becomes an alert; an endpoint that answers 503
//! raises one with the status and the body's start, which resolves when it answers 200.
//! The endpoint is a few lines of HTTP/1.1 on a loopback port, run by the test.

#[path = "services/harness.rs"]
mod harness;

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use harness::{Console, health_is};
use pilothouse::config::Config;
use pilothouse::model::SourceKind;
use pilothouse::sources::alertmanager::settings::{ExpectStatus, ProbeConfig, parse_url};
use pilothouse::sources::alertmanager::{self, AlertOptions, AlertSources};
use pilothouse::sources::probe::PROBE_ALERT;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

fn probe(url: &str) -> ProbeConfig {
    let mut probe = ProbeConfig::for_url(parse_url(url).unwrap());
    probe.interval = Duration::from_millis(100);
    probe.timeout = Duration::from_secs(2);
    probe
}

fn start(probes: Vec<ProbeConfig>) -> (Console, CancellationToken) {
    let (console, sink) = Console::new();
    let mut config = Config::default();
    config.probes = probes;
    let cancel = CancellationToken::new();
    alertmanager::spawn_with(
        &config,
        AlertSources::default(),
        AlertOptions::default(),
        sink,
        &cancel,
    );
    (console, cancel)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_of_a_dead_endpoint_becomes_an_alert() {
    // Nothing listens on a port that was free a moment ago.
    let port = harness::free_port();
    let dead = probe(&format!("http://127.0.0.1:{port}/health"));
    let name = dead.name.clone();
    let (mut console, cancel) = start(vec![dead]);
    console
        .wait_for("a ProbeFailed alert", |f| {
            f.alerts.values().any(|a| a.name() == PROBE_ALERT)
        })
        .await;
    let alert = console.fleet.alerts.values().next().unwrap().clone();
    assert_eq!(alert.id.source, "pilothouse");
    assert_eq!(alert.severity().label(), "critical");
    assert_eq!(alert.labels["instance"], format!("127.0.0.1:{port}"));
    assert_eq!(alert.labels["probe"], name);
    assert!(
        alert.summary().contains("cannot connect"),
        "{}",
        alert.summary()
    );
    assert!(health_is(
        &console.fleet,
        SourceKind::Probe,
        &name,
        "unavailable"
    ));
    cancel.cancel();
}

/// An HTTP endpoint answering with the status in `status` and a small JSON body.
async fn endpoint(status: Arc<AtomicU16>) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let status = status.load(Ordering::SeqCst);
            tokio::spawn(async move {
                let mut request = [0u8; 1024];
                let _ = stream.read(&mut request).await;
                let body = if status == 200 {
                    r#"{"status":"healthy"}"#
                } else {
                    r#"{"status":"down","redis":"connection refused"}"#
                };
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes()).await;
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unexpected_status_raises_an_alert_that_resolves() {
    let status = Arc::new(AtomicU16::new(503));
    let port = endpoint(status.clone()).await;
    let mut ready = probe(&format!("http://127.0.0.1:{port}/ready"));
    ready.name = "api ready".into();
    ready.expect = ExpectStatus::AnyOf(vec![200]);
    let (mut console, cancel) = start(vec![ready]);
    console
        .wait_for("a ProbeFailed alert", |f| f.alerts.len() == 1)
        .await;
    let alert = console.fleet.alerts.values().next().unwrap().clone();
    assert!(
        alert.summary().starts_with("api ready failed: 503 in "),
        "{}",
        alert.summary()
    );
    assert!(
        alert.summary().contains(r#""redis":"connection refused""#),
        "body excerpt: {}",
        alert.summary()
    );
    assert_eq!(alert.annotations["description"], "status 503, expected 200");
    status.store(200, Ordering::SeqCst);
    console
        .wait_for("resolved and live", |f| {
            f.alerts.is_empty() && health_is(f, SourceKind::Probe, "api ready", "live")
        })
        .await;
    cancel.cancel();
}
