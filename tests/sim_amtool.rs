//! The real `amtool` against the simulated Alertmanager API v2 (DESIGN.md §7): querying
//! alerts, adding a silence (the alert turns `suppressed`), listing and expiring it,
//! pushing an alert; and the groups and status documents over plain HTTP.
//!
//! The sim runs in-process (only its Alertmanager part) on the `default` scenario at
//! real speed: amtool judges silences against its own clock, so simulated time must not
//! run ahead of it. Without amtool the amtool tests print `skip: amtool not installed`
//! and pass, unless `PILOTHOUSE_REQUIRE_SERVICES=1`, when they fail.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use pilothouse::sim::clock::SimClock;
use pilothouse::sim::scenario::Scenario;
use serde_json::Value;

const DEADLINE: Duration = Duration::from_secs(30);

/// amtool, or `None` (after saying so) when it is missing.
fn amtool() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("amtool"))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        if std::env::var("PILOTHOUSE_REQUIRE_SERVICES").as_deref() == Ok("1") {
            panic!("amtool not installed, and PILOTHOUSE_REQUIRE_SERVICES=1");
        }
        println!("skip: amtool not installed");
    }
    found
}

/// A running Alertmanager sim.
struct Sim {
    _runtime: tokio::runtime::Runtime,
    url: String,
}

impl Sim {
    fn start() -> Sim {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let scenario = Scenario::load("default").unwrap();
        let url = runtime
            .block_on(pilothouse::sim::alertmanager::start(
                "127.0.0.1:0".parse().unwrap(),
                &scenario.alertmanager,
                SimClock::new(1.0),
                7,
            ))
            .unwrap();
        Sim {
            _runtime: runtime,
            url,
        }
    }

    /// A plain HTTP/1.0 GET, answered with its status line and JSON body.
    fn get(&self, path: &str) -> (String, Value) {
        let addr = self.url.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        let status = head.lines().next().unwrap().to_string();
        (status, serde_json::from_str(body).unwrap())
    }
}

struct Amtool {
    path: PathBuf,
    url: String,
}

impl Amtool {
    fn run(&self, args: &[&str]) -> Output {
        let mut child = Command::new(&self.path)
            .arg(format!("--alertmanager.url={}", self.url))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > DEADLINE {
                let _ = child.kill();
                panic!("amtool {args:?} did not finish within {DEADLINE:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // The outputs are small: they fit in the pipes until now.
        child.wait_with_output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "amtool {args:?} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Vec<Value> {
        let mut all = vec!["-o", "json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all)).unwrap()
    }

    /// Poll an amtool query until `done` holds, or fail at the deadline.
    fn wait_for(
        &self,
        what: &str,
        args: &[&str],
        mut done: impl FnMut(&[Value]) -> bool,
    ) -> Vec<Value> {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let answer = self.json(args);
            if done(&answer) {
                return answer;
            }
            assert!(
                Instant::now() < deadline,
                "waiting for {what}; last answer {answer:#?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn named<'a>(alerts: &'a [Value], name: &str) -> Option<&'a Value> {
    alerts.iter().find(|a| a["labels"]["alertname"] == name)
}

#[test]
fn alert_query_shows_the_firing_alerts_of_the_scenario() {
    let Some(path) = amtool() else { return };
    let sim = Sim::start();
    let amtool = Amtool {
        path,
        url: sim.url.clone(),
    };

    let alerts = amtool.json(&["alert", "query"]);
    let cpu = named(&alerts, "HighCPUUsage").expect("HighCPUUsage fires from the start");
    assert_eq!(cpu["labels"]["severity"], "warning");
    assert_eq!(cpu["status"]["state"], "active");
    assert_eq!(cpu["annotations"]["summary"], "CPU使用率过高");
    assert!(
        cpu["annotations"]["runbook_url"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    assert!(named(&alerts, "Watchdog").is_some());
    // Silenced in the scenario, so not among the active ones…
    assert!(named(&alerts, "ContainerRestarting").is_none());
    // …but listed with --silenced.
    let silenced = amtool.json(&["alert", "query", "--silenced"]);
    let restarting = named(&silenced, "ContainerRestarting").expect("silenced alert");
    assert_eq!(restarting["status"]["state"], "suppressed");

    let table = amtool.ok(&["alert", "query", "alertname=~High.*"]);
    assert!(table.starts_with("Alertname"), "{table}");
    assert!(table.contains("HighCPUUsage"), "{table}");
    assert!(!table.contains("Watchdog"), "{table}");

    let config = amtool.ok(&["config", "show"]);
    assert!(config.contains("receiver: ops-chat"), "{config}");
}

#[test]
fn a_silence_suppresses_until_it_is_expired() {
    let Some(path) = amtool() else { return };
    let sim = Sim::start();
    let amtool = Amtool {
        path,
        url: sim.url.clone(),
    };

    let id = amtool.ok(&[
        "silence",
        "add",
        "alertname=HighCPUUsage",
        "--comment=investigating prod-node-2",
        "--author=ci",
        "--duration=1h",
    ]);
    let id = id.trim().to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");

    amtool.wait_for(
        "HighCPUUsage to leave the active alerts",
        &["alert", "query"],
        |alerts| named(alerts, "HighCPUUsage").is_none(),
    );
    let silenced = amtool.json(&["alert", "query", "--silenced", "HighCPUUsage"]);
    let cpu = named(&silenced, "HighCPUUsage").expect("listed with --silenced");
    assert_eq!(cpu["status"]["state"], "suppressed");
    assert_eq!(cpu["status"]["silencedBy"], serde_json::json!([id]));

    let silences = amtool.json(&["silence", "query"]);
    let ours = silences
        .iter()
        .find(|s| s["id"] == id.as_str())
        .expect("listed");
    assert_eq!(ours["status"]["state"], "active");
    assert_eq!(ours["createdBy"], "ci");
    assert_eq!(ours["matchers"][0]["name"], "alertname");
    let quiet = amtool.ok(&["silence", "query", "-q", "alertname=HighCPUUsage"]);
    assert_eq!(quiet.trim(), id);

    amtool.ok(&["silence", "expire", &id]);
    amtool.wait_for(
        "the silence to expire",
        &["silence", "query", "--expired"],
        |silences| {
            silences
                .iter()
                .any(|s| s["id"] == id.as_str() && s["status"]["state"] == "expired")
        },
    );
    amtool.wait_for(
        "HighCPUUsage to be active again",
        &["alert", "query"],
        |alerts| named(alerts, "HighCPUUsage").is_some_and(|a| a["status"]["state"] == "active"),
    );
    let unknown = amtool.run(&["silence", "expire", "00000000-0000-4000-8000-000000000000"]);
    assert!(
        !unknown.status.success(),
        "expiring an unknown silence fails"
    );
}

#[test]
fn pushed_alerts_are_listed() {
    let Some(path) = amtool() else { return };
    let sim = Sim::start();
    let amtool = Amtool {
        path,
        url: sim.url.clone(),
    };
    amtool.ok(&[
        "alert",
        "add",
        "alertname=BackupFailed",
        "severity=critical",
        "job=backup-runner",
        "--annotation=summary=Nightly backup failed",
    ]);
    let alerts = amtool.json(&["alert", "query", "BackupFailed"]);
    let backup = named(&alerts, "BackupFailed").expect("the pushed alert");
    assert_eq!(backup["receivers"][0]["name"], "ops-pager");
    assert_eq!(backup["annotations"]["summary"], "Nightly backup failed");
}

#[test]
fn status_and_groups_have_alertmanagers_shape() {
    let sim = Sim::start();
    let (status_line, status) = sim.get("/api/v2/status");
    assert!(status_line.contains(" 200 "), "{status_line}");
    assert_eq!(status["cluster"]["status"], "disabled");
    assert!(
        status["config"]["original"]
            .as_str()
            .unwrap()
            .contains("route:")
    );
    assert!(status["versionInfo"]["version"].is_string());
    assert!(status["uptime"].as_str().unwrap().ends_with('Z'));

    let (_, groups) = sim.get("/api/v2/alerts/groups?silenced=false");
    let groups = groups.as_array().unwrap();
    let cpu = groups
        .iter()
        .find(|g| g["labels"]["alertname"] == "HighCPUUsage")
        .expect("a group per alertname");
    assert_eq!(cpu["receiver"]["name"], "ops-chat");
    assert_eq!(cpu["alerts"][0]["labels"]["instance"], "prod-node-2");
    assert!(
        groups
            .iter()
            .all(|g| g["labels"]["alertname"] != "ContainerRestarting")
    );

    let (bad, message) = sim.get("/api/v2/alerts?filter=nonsense");
    assert!(bad.contains(" 400 "), "{bad}");
    assert_eq!(message, "bad matcher format: nonsense");
    let (missing, _) = sim.get("/api/v2/silence/not-a-uuid");
    assert!(missing.contains(" 422 "), "{missing}");
}
