//! The Alertmanager source against the simulated estate's Alertmanager, as `--demo` runs
//! it: the scenario's alerts arrive with their severity, and a silence made by pilothouse
//! silences one. Needs no installed server.

#[path = "services/harness.rs"]
mod harness;

use std::time::Duration;

use harness::{Console, health_is};
use pilothouse::config::Config;
use pilothouse::model::{AlertState, Severity, SourceKind};
use pilothouse::sources::alertmanager::{
    self, AlertOptions, AlertSources, SilenceOp, SilenceRequest,
};
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_alertmanager_feeds_the_same_source() {
    let sim = pilothouse::sim::start(pilothouse::sim::SimOptions {
        scenario: "default".into(),
        seed: 1,
        speed: 1.0,
        listen: "127.0.0.1:0".parse().unwrap(),
        kubeconfig_out: None,
        docker_listen: pilothouse::sim::launch::DockerListen::Tcp("127.0.0.1:0".parse().unwrap()),
        alertmanager_listen: "127.0.0.1:0".parse().unwrap(),
        ready_file: None,
    })
    .await
    .expect("the simulated estate starts");
    let url: reqwest::Url = sim.alertmanager_url.parse().unwrap();
    let name = pilothouse::sources::alertmanager::http::server_name(&url);
    let (mut console, sink) = Console::new();
    let mut config = Config::default();
    config.alertmanager.interval = Duration::from_millis(200);
    let cancel = CancellationToken::new();
    let mut control = alertmanager::spawn_with(
        &config,
        AlertSources {
            alertmanagers: vec![url],
            ..AlertSources::default()
        },
        AlertOptions::default(),
        sink,
        &cancel,
    );
    console
        .wait_for("the scenario's firing alerts", |f| {
            health_is(f, SourceKind::Alertmanager, &name, "live")
                && f.alerts.values().any(|a| a.state == AlertState::Firing)
        })
        .await;
    let firing = console
        .fleet
        .alerts
        .values()
        .find(|a| a.state == AlertState::Firing && a.severity() != Severity::None)
        .expect("a firing alert with a severity")
        .clone();
    control
        .start(SilenceOp::Create(SilenceRequest::for_alert(
            &firing,
            Duration::from_secs(600),
            "demo",
        )))
        .expect("started");
    console
        .wait_for("the alert silenced in the simulated Alertmanager", |f| {
            f.alerts
                .get(&firing.id)
                .is_some_and(|a| a.state == AlertState::Silenced)
        })
        .await;
    let outcome = control.take_outcome().expect("outcome");
    assert!(outcome.result.is_ok(), "{}", outcome.message());
    cancel.cancel();
}
