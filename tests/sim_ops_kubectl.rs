//! The operations pilothouse performs (scale, restart, rollback, backups, delete pod,
//! cordon, recording an Event), done by the real `kubectl` (v1.32) against the
//! simulated API and read back, so the sim is known to answer them as a cluster would:
//! server-side dry runs change nothing, the viewer is refused, Velero Backups run to
//! completion where Velero is installed and are not served where it is not.
//!
//! Each test starts the default scenario in-process (port 0, its own kubeconfig and
//! discovery cache). Without kubectl the tests print a skip line, unless
//! `PILOTHOUSE_REQUIRE_SERVICES=1`, when they fail.

mod common;

use common::kubectl_sim::KubectlSim as Sim;

use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long any condition may take to hold (real time; the sim runs fast).
const DEADLINE: Duration = Duration::from_secs(60);
/// Simulated seconds per real second: rollouts and backups finish in moments.
const SPEED: f64 = 60.0;
const VIEWER: &str = "sim-prod-viewer";

/// Start the default scenario, or `None` (after saying why) when kubectl is missing.
fn start() -> Option<Sim> {
    common::kubectl_sim::start("default", SPEED)
}

impl Sim {
    fn run(&self, args: &[&str]) -> Output {
        self.kubectl(args).output().expect("kubectl runs")
    }

    /// Run kubectl; it must succeed. Returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Run kubectl; it must fail. Returns stderr.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "kubectl {args:?} should fail: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        serde_json::from_str(&self.ok(&all)).expect("kubectl printed JSON")
    }

    /// Write `text` to a file in the test's directory; returns its path.
    fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write file");
        path.to_str().expect("utf-8 path").to_string()
    }

    /// The sim's own status of the cluster behind `context`.
    fn status(&self, context: &str) -> Value {
        let raw = self.ok(&["--context", context, "get", "--raw", "/sim/v1/status"]);
        serde_json::from_str(&raw).expect("status JSON")
    }

    /// The viewer tries `args`: refused with a clean 403, not some other failure.
    fn viewer_refused(&self, args: &[&str]) {
        let all = [&["--context", VIEWER][..], args].concat();
        let stderr = self.fails(&all);
        assert!(
            stderr.contains("Forbidden") || stderr.contains("forbidden"),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("sim-viewer"), "{args:?}: {stderr}");
    }
}

/// Wait until `check` holds, or fail saying what was awaited.
fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn items(list: &Value) -> &Vec<Value> {
    list["items"].as_array().expect("items")
}

fn revisions(history: &str) -> Vec<u32> {
    history
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|w| w.parse().ok())
        .collect()
}

fn template_image(object: &Value) -> String {
    object["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn scale_deployments_and_statefulsets_with_and_without_dry_run() {
    let Some(sim) = start() else { return };
    let before = sim.status("sim-prod");
    sim.ok(&["scale", "deploy/worker", "--replicas=6", "--dry-run=server"]);
    sim.ok(&["scale", "sts/redis", "--replicas=3", "--dry-run=server"]);
    assert_eq!(
        sim.json(&["get", "deploy", "worker"])["spec"]["replicas"],
        3
    );
    assert_eq!(sim.json(&["get", "sts", "redis"])["spec"]["replicas"], 1);
    let after = sim.status("sim-prod");
    assert!(
        after["mutations"].as_u64() >= before["mutations"].as_u64().map(|m| m + 2),
        "dry runs count as mutations: {before} → {after}"
    );

    let scaled = sim.ok(&["scale", "deploy/worker", "--replicas=5"]);
    assert!(scaled.contains("deployment.apps/worker scaled"), "{scaled}");
    sim.ok(&["scale", "sts/redis", "--replicas=2"]);
    wait_for("5 ready workers", || {
        sim.json(&["get", "deploy", "worker"])["status"]["readyReplicas"] == 5
    });
    wait_for("redis-1", || {
        sim.run(&["get", "pod", "redis-1"]).status.success()
    });
    // The /scale subresource reads back as an autoscaling/v1 Scale.
    let scale: Value = serde_json::from_str(&sim.ok(&[
        "get",
        "--raw",
        "/apis/apps/v1/namespaces/shop/statefulsets/redis/scale",
    ]))
    .expect("Scale JSON");
    assert_eq!(scale["kind"], "Scale");
    assert_eq!(scale["spec"]["replicas"], 2);
}

#[test]
fn read_only_requests_are_counted_but_are_not_mutations() {
    let Some(sim) = start() else { return };
    let before = sim.status("sim-prod");
    sim.ok(&["get", "pods"]);
    sim.ok(&["get", "deploy", "api", "-o", "yaml"]);
    let after = sim.status("sim-prod");
    assert_eq!(
        after["mutations"], before["mutations"],
        "{before} → {after}"
    );
    assert!(
        after["requests"].as_u64() > before["requests"].as_u64(),
        "{before} → {after}"
    );
    // Each cluster counts its own.
    let staging = sim.status("sim-staging");
    assert_eq!(staging["cluster"], "staging");
    assert_eq!(staging["mutations"], 0);
}

#[test]
fn rollout_restart_and_undo_of_statefulsets_and_daemonsets() {
    let Some(sim) = start() else { return };
    let revisions_of = |selector: &str, ns: &str| {
        items(&sim.json(&["get", "controllerrevisions", "-n", ns, "-l", selector])).len()
    };

    // StatefulSet: restart adds a revision; a new image, then undo, brings the old back.
    let before = revisions_of("app=postgres", "shop");
    sim.ok(&["rollout", "restart", "sts/postgres"]);
    let sts = sim.json(&["get", "sts", "postgres"]);
    assert!(
        sts["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
            .is_string()
    );
    let status = sim.ok(&["rollout", "status", "sts/postgres", "--timeout=60s"]);
    assert!(status.contains("roll out complete"), "{status}");
    assert_eq!(revisions_of("app=postgres", "shop"), before + 1);
    sim.ok(&["set", "image", "sts/postgres", "postgres=postgres:16.5"]);
    sim.ok(&["rollout", "status", "sts/postgres", "--timeout=60s"]);
    let history = sim.ok(&["rollout", "history", "sts/postgres"]);
    assert!(revisions(&history).len() >= 3, "{history}");
    sim.ok(&["rollout", "undo", "sts/postgres"]);
    assert_eq!(
        template_image(&sim.json(&["get", "sts", "postgres"])),
        "postgres:16.4"
    );
    sim.ok(&["rollout", "status", "sts/postgres", "--timeout=60s"]);
    wait_for("postgres pods on 16.4", || {
        let pods = sim.json(&["get", "pods", "-l", "app=postgres"]);
        items(&pods).len() == 2
            && items(&pods)
                .iter()
                .all(|p| p["spec"]["containers"][0]["image"] == "postgres:16.4")
    });

    // DaemonSet: the same through its ControllerRevisions.
    let ds = ["-n", "monitoring"];
    let with = |args: &[&'static str]| [args, &ds[..]].concat();
    sim.ok(&with(&["rollout", "restart", "ds/node-exporter"]));
    let restarted = sim.json(&with(&["get", "ds", "node-exporter"]));
    assert!(
        restarted["spec"]["template"]["metadata"]["annotations"]
            ["kubectl.kubernetes.io/restartedAt"]
            .is_string()
    );
    sim.ok(&with(&[
        "rollout",
        "status",
        "ds/node-exporter",
        "--timeout=60s",
    ]));
    sim.ok(&with(&[
        "set",
        "image",
        "ds/node-exporter",
        "node-exporter=quay.io/prometheus/node-exporter:v1.8.3",
    ]));
    sim.ok(&with(&[
        "rollout",
        "status",
        "ds/node-exporter",
        "--timeout=60s",
    ]));
    sim.ok(&with(&["rollout", "undo", "ds/node-exporter"]));
    assert_eq!(
        template_image(&sim.json(&with(&["get", "ds", "node-exporter"]))),
        "quay.io/prometheus/node-exporter:v1.8.2"
    );
    let history = sim.ok(&with(&["rollout", "history", "ds/node-exporter"]));
    assert!(revisions(&history).len() >= 3, "{history}");
}

#[test]
fn rollout_undo_to_a_revision_and_a_paused_deployment_refuses() {
    let Some(sim) = start() else { return };
    let history = sim.ok(&["rollout", "history", "deploy/api"]);
    assert_eq!(revisions(&history), [1, 2, 3, 4]);
    // A server-side dry run of the undo changes nothing.
    sim.ok(&[
        "rollout",
        "undo",
        "deploy/api",
        "--to-revision=2",
        "--dry-run=server",
    ]);
    assert_eq!(
        template_image(&sim.json(&["get", "deploy", "api"])),
        "registry.example.com/shop/api:1.8.2"
    );
    sim.ok(&["rollout", "undo", "deploy/api", "--to-revision=2"]);
    let deploy = sim.json(&["get", "deploy", "api"]);
    assert_eq!(
        template_image(&deploy),
        "registry.example.com/shop/api:1.8.0"
    );
    assert!(
        deploy["spec"]["template"]["metadata"]["labels"]["pod-template-hash"].is_null(),
        "the hash label is not copied into the template"
    );
    sim.ok(&["rollout", "status", "deploy/api", "--timeout=60s"]);
    assert_eq!(
        sim.json(&["get", "deploy", "api"])["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "5"
    );

    sim.ok(&["rollout", "pause", "deploy/frontend"]);
    assert_eq!(
        sim.json(&["get", "deploy", "frontend"])["spec"]["paused"],
        true
    );
    let refused = sim.fails(&["rollout", "undo", "deploy/frontend"]);
    assert!(
        refused.contains("you cannot rollback a paused deployment; resume it first"),
        "{refused}"
    );
    sim.ok(&["rollout", "resume", "deploy/frontend"]);
    sim.ok(&["rollout", "undo", "deploy/frontend"]);
    assert_eq!(
        template_image(&sim.json(&["get", "deploy", "frontend"])),
        "registry.example.com/shop/frontend:2.13.2"
    );
}

#[test]
fn a_job_from_a_cronjob_runs_to_completion() {
    let Some(sim) = start() else { return };
    sim.ok(&[
        "create",
        "job",
        "manual-1",
        "--from=cronjob/postgres-backup",
        "-n",
        "shop",
        "--dry-run=server",
    ]);
    assert!(!sim.run(&["get", "job", "manual-1"]).status.success());
    sim.ok(&[
        "create",
        "job",
        "manual-1",
        "--from=cronjob/postgres-backup",
        "-n",
        "shop",
    ]);
    let job = sim.json(&["get", "job", "manual-1", "-n", "shop"]);
    assert_eq!(
        job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"],
        "manual"
    );
    let owner = &job["metadata"]["ownerReferences"][0];
    assert_eq!(owner["kind"], "CronJob");
    assert_eq!(owner["name"], "postgres-backup");
    assert_eq!(owner["controller"], true);
    let done = sim.ok(&[
        "wait",
        "--for=condition=complete",
        "job/manual-1",
        "-n",
        "shop",
        "--timeout=60s",
    ]);
    assert!(done.contains("condition met"), "{done}");
    assert_eq!(
        sim.json(&["get", "job", "manual-1", "-n", "shop"])["status"]["succeeded"],
        1
    );
}

#[test]
fn delete_pod_cordon_and_uncordon() {
    let Some(sim) = start() else { return };
    let pods = sim.json(&["get", "pods", "-l", "app=ledger", "-n", "payments"]);
    let victim = items(&pods)[0]["metadata"]["name"]
        .as_str()
        .expect("name")
        .to_string();
    sim.ok(&[
        "delete",
        "pod",
        &victim,
        "-n",
        "payments",
        "--dry-run=server",
    ]);
    assert!(
        sim.run(&["get", "pod", &victim, "-n", "payments"])
            .status
            .success()
    );
    sim.ok(&["delete", "pod", &victim, "-n", "payments"]);
    wait_for("a replacement ledger pod", || {
        let pods = sim.json(&["get", "pods", "-l", "app=ledger", "-n", "payments"]);
        let live: Vec<&Value> = items(&pods)
            .iter()
            .filter(|p| p["metadata"]["name"] != victim.as_str())
            .filter(|p| p["status"]["phase"] == "Running")
            .collect();
        live.len() == 2
    });

    let cordoned = sim.ok(&["cordon", "prod-node-2"]);
    assert!(cordoned.contains("cordoned"), "{cordoned}");
    assert_eq!(
        sim.json(&["get", "node", "prod-node-2"])["spec"]["unschedulable"],
        true
    );
    assert!(
        sim.ok(&["get", "node", "prod-node-2"])
            .contains("SchedulingDisabled")
    );
    sim.ok(&["uncordon", "prod-node-2"]);
    assert!(
        sim.json(&["get", "node", "prod-node-2"])["spec"]["unschedulable"]
            .as_bool()
            .is_none_or(|u| !u)
    );
}

#[test]
fn an_event_about_a_deployment_is_recorded() {
    let Some(sim) = start() else { return };
    let event = sim.file(
        "event.yaml",
        r#"apiVersion: v1
kind: Event
metadata:
  name: api.pilothouse-scale-1
  namespace: shop
involvedObject:
  apiVersion: apps/v1
  kind: Deployment
  name: api
  namespace: shop
reason: ScaledByPilothouse
message: "replicas 4 -> 6 (reason: load test), by alice"
type: Normal
source:
  component: pilothouse
reportingComponent: pilothouse
reportingInstance: alice@laptop
count: 1
"#,
    );
    sim.ok(&["create", "-f", &event, "--dry-run=server"]);
    assert!(
        !sim.run(&["get", "event", "api.pilothouse-scale-1"])
            .status
            .success()
    );
    sim.ok(&["create", "-f", &event]);
    let listed = sim.ok(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.kind=Deployment,involvedObject.name=api",
    ]);
    assert!(
        listed.contains("ScaledByPilothouse") && listed.contains("deployment/api"),
        "{listed}"
    );
    let stored = sim.json(&["get", "event", "api.pilothouse-scale-1"]);
    assert_eq!(stored["involvedObject"]["kind"], "Deployment");
    assert_eq!(stored["source"]["component"], "pilothouse");
}

#[test]
fn the_viewer_is_refused_every_operation() {
    let Some(sim) = start() else { return };
    let before = sim.json(&["get", "deploy", "api"]);
    sim.viewer_refused(&["scale", "deploy/api", "--replicas=1"]);
    sim.viewer_refused(&["scale", "sts/postgres", "--replicas=1"]);
    sim.viewer_refused(&["rollout", "restart", "deploy/api"]);
    sim.viewer_refused(&["rollout", "undo", "deploy/api", "--to-revision=2"]);
    sim.viewer_refused(&["create", "job", "x", "--from=cronjob/postgres-backup"]);
    let pod = items(&sim.json(&["get", "pods", "-l", "app=api"]))[0]["metadata"]["name"]
        .as_str()
        .expect("name")
        .to_string();
    sim.viewer_refused(&["delete", "pod", &pod]);
    sim.viewer_refused(&["cordon", "prod-node-1"]);
    let event = sim.file(
        "event.yaml",
        "apiVersion: v1\nkind: Event\nmetadata: {name: api.x, namespace: shop}\ninvolvedObject: {kind: Deployment, name: api, namespace: shop}\nreason: X\n",
    );
    sim.viewer_refused(&["create", "-f", &event]);
    let backup = sim.file("backup.yaml", &backup_yaml("daily-full-20990101000000"));
    sim.viewer_refused(&["create", "-f", &backup]);
    // Nothing changed.
    let after = sim.json(&["get", "deploy", "api"]);
    assert_eq!(
        after["metadata"]["generation"],
        before["metadata"]["generation"]
    );
    assert!(sim.run(&["get", "pod", &pod]).status.success());
    let gone = sim.run(&[
        "get",
        "backups.velero.io",
        "-n",
        "velero",
        "daily-full-20990101000000",
    ]);
    assert!(!gone.status.success());
}

/// A Backup as pilothouse (and `velero backup create --from-schedule daily-full`) sends
/// it: the schedule's template as spec, its labels plus the schedule name.
fn backup_yaml(name: &str) -> String {
    format!(
        r#"apiVersion: velero.io/v1
kind: Backup
metadata:
  name: {name}
  namespace: velero
  labels:
    velero.io/schedule-name: daily-full
spec:
  includedNamespaces: [shop, payments]
  storageLocation: default
  ttl: 168h0m0s
"#
    )
}

#[test]
fn velero_schedules_and_backups_read_like_velero() {
    let Some(sim) = start() else { return };
    let schedules = sim.ok(&["get", "schedules.velero.io", "-n", "velero"]);
    let header = schedules.lines().next().unwrap_or_default();
    for column in ["NAME", "STATUS", "SCHEDULE", "LASTBACKUP"] {
        assert!(header.contains(column), "{schedules}");
    }
    assert!(
        schedules.contains("daily-full") && schedules.contains("0 1 * * *"),
        "{schedules}"
    );
    assert!(schedules.contains("hourly-incremental"), "{schedules}");
    assert!(schedules.contains("Enabled"), "{schedules}");

    let daily = sim.json(&["get", "schedules.velero.io", "daily-full", "-n", "velero"]);
    assert_eq!(daily["spec"]["template"]["ttl"], "168h0m0s");
    assert_eq!(
        daily["spec"]["template"]["includedNamespaces"],
        serde_json::json!(["shop", "payments"])
    );
    assert!(daily["status"]["lastBackup"].is_string());

    let backups = sim.json(&[
        "get",
        "backups.velero.io",
        "-n",
        "velero",
        "-l",
        "velero.io/schedule-name=daily-full",
    ]);
    assert_eq!(items(&backups).len(), 3);
    for b in items(&backups) {
        assert_eq!(b["status"]["phase"], "Completed");
        let name = b["metadata"]["name"].as_str().unwrap_or_default();
        let stamp = name.strip_prefix("daily-full-").unwrap_or_default();
        assert!(
            stamp.len() == 14 && stamp.ends_with("010000"),
            "named <schedule>-<YYYYMMDDhhmmss> at 01:00: {name}"
        );
        assert!(b["status"]["expiration"].is_string());
    }
    let table = sim.ok(&["get", "backups.velero.io", "-n", "velero"]);
    assert!(
        table.lines().next().unwrap_or_default().contains("STATUS") && table.contains("Completed"),
        "{table}"
    );
    // `kubectl get backups` finds them by the plural alone.
    assert!(
        sim.ok(&["get", "backups", "-n", "velero"])
            .contains("hourly-incremental-")
    );
}

#[test]
fn a_backup_from_a_schedule_runs_to_completion() {
    let Some(sim) = start() else { return };
    let last_before = sim.json(&["get", "schedules.velero.io", "daily-full", "-n", "velero"])
        ["status"]["lastBackup"]
        .as_str()
        .expect("lastBackup at start")
        .to_string();
    let name = "daily-full-20991231235959";
    let file = sim.file("backup.yaml", &backup_yaml(name));
    // A dry run validates and stores nothing.
    sim.ok(&["create", "-f", &file, "--dry-run=server"]);
    let stored = sim.run(&["get", "backups.velero.io", name, "-n", "velero"]);
    assert!(!stored.status.success(), "a dry run stores nothing");
    let bad = sim.file(
        "bad.yaml",
        &backup_yaml("bad-ttl").replace("168h0m0s", "a week"),
    );
    let refused = sim.fails(&["create", "-f", &bad, "--dry-run=server"]);
    assert!(refused.contains("spec.ttl"), "{refused}");
    let unknown = sim.file(
        "unknown.yaml",
        &backup_yaml("unknown-field").replace("  ttl:", "  tll: x\n  ttl:"),
    );
    let refused = sim.fails(&["create", "-f", &unknown]);
    assert!(refused.contains("unknown field"), "{refused}");

    sim.ok(&["create", "-f", &file]);
    let mut seen_in_progress = false;
    wait_for("the backup to complete", || {
        let b = sim.json(&["get", "backups.velero.io", name, "-n", "velero"]);
        seen_in_progress |= b["status"]["phase"] == "InProgress";
        b["status"]["phase"] == "Completed"
    });
    let b = sim.json(&["get", "backups.velero.io", name, "-n", "velero"]);
    let total = b["status"]["progress"]["totalItems"]
        .as_i64()
        .expect("total");
    assert!(total > 10, "{b}");
    assert_eq!(b["status"]["progress"]["itemsBackedUp"], total);
    for field in ["startTimestamp", "completionTimestamp", "expiration"] {
        assert!(b["status"][field].is_string(), "{field}: {b}");
    }
    let created: jiff::Timestamp = b["metadata"]["creationTimestamp"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("created");
    let expires: jiff::Timestamp = b["status"]["expiration"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("expiration");
    assert_eq!(expires.as_second() - created.as_second(), 168 * 3600);
    let last_after = sim.json(&["get", "schedules.velero.io", "daily-full", "-n", "velero"])
        ["status"]["lastBackup"]
        .as_str()
        .expect("lastBackup")
        .to_string();
    assert_eq!(last_after, b["status"]["completionTimestamp"]);
    assert_ne!(last_after, last_before);

    // The sim's outcome annotation makes one fail.
    let failing = sim.file(
        "failing.yaml",
        &backup_yaml("daily-full-20991231235958").replace(
            "  labels:",
            "  annotations:\n    sim.pilothouse.dev/backup-outcome: PartiallyFailed\n  labels:",
        ),
    );
    sim.ok(&["create", "-f", &failing]);
    wait_for("the backup to fail partly", || {
        sim.json(&[
            "get",
            "backups.velero.io",
            "daily-full-20991231235958",
            "-n",
            "velero",
        ])["status"]["phase"]
            == "PartiallyFailed"
    });
}

#[test]
fn a_cluster_without_velero_does_not_serve_it() {
    let Some(sim) = start() else { return };
    let staging = ["--context", "sim-staging"];
    let with = |args: &[&'static str]| [&staging[..], args].concat();
    let groups = sim.ok(&with(&["api-versions"]));
    assert!(!groups.contains("velero.io"), "{groups}");
    assert!(sim.ok(&["api-versions"]).contains("velero.io/v1"));
    let missing = sim.fails(&with(&["get", "backups.velero.io", "-A"]));
    assert!(
        missing.contains("the server doesn't have a resource type"),
        "{missing}"
    );
    let raw = sim.fails(&with(&[
        "get",
        "--raw",
        "/apis/velero.io/v1/namespaces/velero/backups",
    ]));
    assert!(
        raw.contains("NotFound") || raw.contains("not found"),
        "{raw}"
    );
}
