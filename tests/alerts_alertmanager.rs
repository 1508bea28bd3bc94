//! The Alertmanager source against the real Alertmanager (Debian's
//! `prometheus-alertmanager`, started per test on a free loopback port with
//! `tests/services/alertmanager.yml`): alerts POSTed to it appear with their grouping,
//! severity and state; two Alertmanagers are merged by fingerprint; a silence created by
//! pilothouse silences the alert there (checked through the API and with `amtool`) and
//! expiring it brings the alert back; an Alertmanager that goes away shows as stale or
//! unavailable and recovers when it returns.

#[path = "services/harness.rs"]
mod harness;

use std::collections::BTreeMap;
use std::time::Duration;

use harness::{Console, Service, get_json, health_is};
use pilothouse::config::Config;
use pilothouse::model::{AlertState, SourceKind};
use pilothouse::sources::alertmanager::api::PostableAlert;
use pilothouse::sources::alertmanager::{
    self, AlertControl, AlertOptions, AlertSources, AmClient, SilenceOp, SilenceRequest,
};
use pilothouse::store::Fleet;
use pilothouse::ui::state::{ScopeFilter, TableState};
use pilothouse::ui::table::{RowRef, TableSpec, refresh};
use pilothouse::ui::views::alerts::AlertsTable;
use tokio_util::sync::CancellationToken;

fn alert(name: &str, severity: &str, instance: &str, summary: &str) -> PostableAlert {
    PostableAlert {
        labels: BTreeMap::from([
            ("alertname".to_string(), name.to_string()),
            ("severity".to_string(), severity.to_string()),
            ("instance".to_string(), instance.to_string()),
            ("job".to_string(), "node".to_string()),
        ]),
        annotations: BTreeMap::from([("summary".to_string(), summary.to_string())]),
        starts_at: None,
        ends_at: None,
        generator_url: None,
    }
}

fn client(am: &Service) -> AmClient {
    AmClient::new(am.parsed_url(), Duration::from_secs(10)).expect("client")
}

/// Poll fast and retry fast, so a test takes seconds.
fn options() -> AlertOptions {
    AlertOptions {
        backoff_base: Duration::from_millis(100),
        backoff_max: Duration::from_millis(500),
        ..AlertOptions::default()
    }
}

fn watch(
    ams: &[&Service],
    console_sink: pilothouse::sources::EventSink,
) -> (AlertControl, CancellationToken) {
    let mut config = Config::default();
    config.alertmanager.interval = Duration::from_millis(200);
    let cancel = CancellationToken::new();
    let sources = AlertSources {
        alertmanagers: ams.iter().map(|am| am.parsed_url()).collect(),
        ..AlertSources::default()
    };
    let control = alertmanager::spawn_with(&config, sources, options(), console_sink, &cancel);
    (control, cancel)
}

/// The alerts view's rows: group headings, then `name instance state` per alert.
fn view_rows(fleet: &Fleet) -> Vec<String> {
    let mut state = TableState::default();
    refresh(&AlertsTable, fleet, &ScopeFilter::default(), &mut state);
    state
        .rows
        .iter()
        .map(|row| match *row {
            RowRef::Group(i) => AlertsTable.group(fleet, i).unwrap_or_default(),
            RowRef::Item(i) => {
                let a = fleet.alerts.get_index(i as usize).expect("row of an alert");
                format!(
                    "  {} {} {}",
                    a.name(),
                    a.labels["instance"],
                    a.state.label()
                )
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posted_alerts_appear_grouped_with_severity_and_state() {
    let Some(am) = Service::alertmanager().await else {
        return;
    };
    client(&am)
        .post_alerts(&[
            alert("HighCPUUsage", "warning", "web-1", "CPU使用率过高"),
            alert("HighCPUUsage", "warning", "web-2", "CPU使用率过高"),
            alert("DiskFull", "critical", "db-1", "disk / 97% full"),
            // Inhibited by DiskFull: a critical alert of the same instance.
            alert("HighMemoryUsage", "warning", "db-1", "内存使用率过高"),
        ])
        .await
        .expect("POST /api/v2/alerts");
    let (mut console, sink) = Console::new();
    let (_control, cancel) = watch(&[&am], sink);
    let name = am.address();
    console
        .wait_for("four alerts, one of them inhibited", |f| {
            f.alerts.len() == 4 && f.alerts.values().any(|a| a.state == AlertState::Inhibited)
        })
        .await;
    assert!(health_is(
        &console.fleet,
        SourceKind::Alertmanager,
        &name,
        "live"
    ));
    let disk = console
        .fleet
        .alerts
        .values()
        .find(|a| a.name() == "DiskFull")
        .expect("DiskFull");
    assert_eq!(disk.severity().label(), "critical");
    assert_eq!(disk.summary(), "disk / 97% full");
    assert_eq!(
        disk.id.source, name,
        "alerts say which Alertmanager they came from"
    );
    assert!(disk.starts_at.is_some());
    assert_eq!(
        view_rows(&console.fleet),
        [
            "CRITICAL DiskFull · 1 alert · instance=db-1 job=node",
            "  DiskFull db-1 firing",
            "WARNING HighCPUUsage · 2 alerts · job=node",
            "  HighCPUUsage web-1 firing",
            "  HighCPUUsage web-2 firing",
            "WARNING HighMemoryUsage · 1 alert · instance=db-1 job=node",
            "  HighMemoryUsage db-1 inhibited",
        ]
    );
    cancel.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_alertmanagers_are_merged_by_fingerprint() {
    let (Some(first), Some(second)) =
        (Service::alertmanager().await, Service::alertmanager().await)
    else {
        return;
    };
    // An HA pair: Prometheus sends every alert to both.
    let both = alert("HighCPUUsage", "warning", "web-1", "CPU使用率过高");
    client(&first)
        .post_alerts(std::slice::from_ref(&both))
        .await
        .unwrap();
    client(&second)
        .post_alerts(&[both, alert("InstanceDown", "critical", "web-9", "down")])
        .await
        .unwrap();
    let (mut console, sink) = Console::new();
    let (_control, cancel) = watch(&[&first, &second], sink);
    // Whichever answers first, the merged list settles on each fingerprint once, as the
    // first configured Alertmanager that has it reports it.
    console
        .wait_for("both Alertmanagers live and their alerts merged", |f| {
            health_is(f, SourceKind::Alertmanager, &first.address(), "live")
                && health_is(f, SourceKind::Alertmanager, &second.address(), "live")
                && f.alerts.len() == 2
                && f.alerts.values().any(|a| a.id.source == first.address())
        })
        .await;
    let cpu = console
        .fleet
        .alerts
        .values()
        .find(|a| a.name() == "HighCPUUsage")
        .unwrap();
    assert_eq!(
        cpu.id.source,
        first.address(),
        "the first configured one reports it"
    );
    let down = console
        .fleet
        .alerts
        .values()
        .find(|a| a.name() == "InstanceDown")
        .unwrap();
    assert_eq!(down.id.source, second.address());
    cancel.cancel();
}

/// amtool, if installed.
fn amtool() -> Option<std::path::PathBuf> {
    harness::binary("amtool")
}

fn amtool_json(amtool: &std::path::Path, url: &str, args: &[&str]) -> serde_json::Value {
    let out = std::process::Command::new(amtool)
        .arg(format!("--alertmanager.url={url}"))
        .args(["-o", "json"])
        .args(args)
        .output()
        .expect("run amtool");
    assert!(
        out.status.success(),
        "amtool {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("amtool's JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silence_created_by_pilothouse_silences_the_alert_in_alertmanager() {
    let Some(am) = Service::alertmanager().await else {
        return;
    };
    let Some(amtool) = amtool() else {
        return;
    };
    client(&am)
        .post_alerts(&[
            alert("HighCPUUsage", "warning", "web-1", "CPU使用率过高"),
            alert("HighCPUUsage", "warning", "web-2", "CPU使用率过高"),
        ])
        .await
        .unwrap();
    let (mut console, sink) = Console::new();
    let (mut control, cancel) = watch(&[&am], sink);
    console
        .wait_for("two firing alerts", |f| {
            f.alerts
                .values()
                .filter(|a| a.state == AlertState::Firing)
                .count()
                == 2
        })
        .await;
    let web1 = console
        .fleet
        .alerts
        .values()
        .find(|a| a.labels["instance"] == "web-1")
        .unwrap()
        .clone();

    // What the console does after the y of its y/N prompt.
    let request =
        SilenceRequest::for_alert(&web1, Duration::from_secs(3600), "disk swap, ticket OPS-12");
    assert!(request.describe().contains("instance=\"web-1\""));
    control
        .start(SilenceOp::Create(request.clone()))
        .expect("started");
    console
        .wait_for("web-1 silenced, web-2 still firing", |f| {
            f.alerts
                .values()
                .any(|a| a.labels["instance"] == "web-1" && a.state == AlertState::Silenced)
                && f.alerts
                    .values()
                    .any(|a| a.labels["instance"] == "web-2" && a.state == AlertState::Firing)
        })
        .await;
    let outcome = control
        .take_outcome()
        .expect("the outcome is ready once it woke the console");
    let silence_id = outcome.result.clone().expect("created");
    assert!(
        outcome.message().starts_with("silenced on"),
        "{}",
        outcome.message()
    );

    // Alertmanager itself says so: the API...
    let alerts = get_json(&format!("{}/api/v2/alerts", am.url)).await;
    let web1_there = alerts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["labels"]["instance"] == "web-1")
        .unwrap();
    assert_eq!(web1_there["status"]["state"], "suppressed");
    assert_eq!(web1_there["status"]["silencedBy"][0], silence_id.as_str());
    // ...and amtool: the silence, with pilothouse's author and comment.
    let silences = amtool_json(&amtool, &am.url, &["silence", "query"]);
    let silence = silences
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == silence_id.as_str())
        .expect("amtool lists pilothouse's silence");
    assert_eq!(silence["createdBy"], request.author.as_str());
    assert_eq!(silence["comment"], "disk swap, ticket OPS-12");
    let firing = amtool_json(&amtool, &am.url, &["alert", "query"]);
    let names: Vec<&str> = firing
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["labels"]["instance"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["web-2"],
        "amtool's active alerts leave the silenced one out"
    );
    // The console knows who silenced it, for the SILENCED BY column.
    assert!(control.silences_changed());
    let listed = control.silences();
    let ours = listed.iter().find(|s| s.id == silence_id).unwrap();
    assert_eq!(
        ours.who_and_why(),
        format!("{}: disk swap, ticket OPS-12", request.author)
    );

    // Expire it: the alert fires again.
    control
        .start(SilenceOp::Expire {
            source: am.address(),
            id: silence_id.clone(),
        })
        .expect("started");
    console
        .wait_for("web-1 firing again", |f| {
            f.alerts
                .values()
                .filter(|a| a.state == AlertState::Firing)
                .count()
                == 2
        })
        .await;
    let expired = amtool_json(&amtool, &am.url, &["silence", "query", "--expired"]);
    assert!(
        expired
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == silence_id.as_str() && s["status"]["state"] == "expired"),
        "{expired}"
    );
    cancel.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silencing_an_alert_of_no_polled_alertmanager_is_refused() {
    let control = AlertControl::none();
    let mut a = pilothouse::model::Alert {
        id: pilothouse::model::AlertId {
            source: "pilothouse".into(),
            fingerprint: "x".into(),
        },
        labels: BTreeMap::from([("alertname".to_string(), "HighCPUUsage".to_string())]),
        annotations: BTreeMap::new(),
        state: AlertState::Firing,
        starts_at: None,
        silenced_by: vec![],
    };
    a.labels.insert("instance".into(), "box".into());
    let refused = control
        .start(SilenceOp::Create(SilenceRequest::for_alert(
            &a,
            Duration::from_secs(60),
            "",
        )))
        .unwrap_err();
    assert!(refused.contains("cannot be silenced"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alertmanager_that_goes_away_is_stale_then_recovers() {
    let Some(mut am) = Service::alertmanager().await else {
        return;
    };
    client(&am)
        .post_alerts(&[alert("DiskFull", "critical", "db-1", "disk full")])
        .await
        .unwrap();
    let (mut console, sink) = Console::new();
    let (_control, cancel) = watch(&[&am], sink);
    let name = am.address();
    console
        .wait_for("live with its alert", |f| {
            health_is(f, SourceKind::Alertmanager, &name, "live") && f.alerts.len() == 1
        })
        .await;

    am.stop();
    console
        .wait_for("stale once it stops answering", |f| {
            health_is(f, SourceKind::Alertmanager, &name, "stale")
        })
        .await;
    // Its last alerts stay listed: a dead Alertmanager must not look like a quiet one.
    assert_eq!(console.fleet.alerts.len(), 1);
    let Some(pilothouse::model::SourceHealth::Stale { error, .. }) =
        console.health(SourceKind::Alertmanager, &name)
    else {
        panic!("not stale")
    };
    assert!(error.contains("connect"), "says why: {error}");

    // Back, with its state lost (no alerts survive a restart of a lone Alertmanager):
    // live again, and the alert that is no longer there is gone.
    am.restart().await;
    console
        .wait_for("live again and empty", |f| {
            health_is(f, SourceKind::Alertmanager, &name, "live") && f.alerts.is_empty()
        })
        .await;
    cancel.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alertmanager_that_never_answered_is_unavailable() {
    let port = harness::free_port();
    let (mut console, sink) = Console::new();
    let mut config = Config::default();
    config.alertmanager.interval = Duration::from_millis(200);
    let cancel = CancellationToken::new();
    let url: reqwest::Url = format!("http://127.0.0.1:{port}").parse().unwrap();
    let _control = alertmanager::spawn_with(
        &config,
        AlertSources {
            alertmanagers: vec![url],
            ..AlertSources::default()
        },
        options(),
        sink,
        &cancel,
    );
    let name = format!("127.0.0.1:{port}");
    console
        .wait_for("unavailable", |f| {
            health_is(f, SourceKind::Alertmanager, &name, "unavailable")
        })
        .await;
    assert!(console.fleet.alerts.is_empty());
    cancel.cancel();
}
