//! The simulated Kubernetes API against the real `kubectl` (v1.32): each test starts a sim
//! in-process (port 0, its own kubeconfig and discovery cache), runs kubectl, and checks
//! the resulting state through kubectl. Without kubectl the tests print a skip line,
//! unless `PILOTHOUSE_REQUIRE_SERVICES=1`, when they fail.

mod common;

use common::kubectl_sim::KubectlSim as Sim;

use std::io::{BufRead, BufReader};

use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long any condition may take to hold (real time; the sim runs fast).
const DEADLINE: Duration = Duration::from_secs(60);

/// Start `scenario` at `speed`, or `None` (after saying why) when kubectl is missing.
fn start(scenario: &str, speed: f64) -> Option<Sim> {
    common::kubectl_sim::start(scenario, speed)
}

impl Sim {
    fn command(&self, args: &[&str]) -> Command {
        self.kubectl(args)
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("kubectl runs")
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
        assert!(!out.status.success(), "kubectl {args:?} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        serde_json::from_str(&self.ok(&all)).expect("kubectl printed JSON")
    }

    /// Start kubectl in the background, its stdout lines arriving on the channel.
    fn spawn(&self, args: &[&str]) -> (Child, mpsc::Receiver<String>) {
        let mut child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kubectl starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        (child, rx)
    }

    /// Add a fault through the sim's control API (`kubectl create --raw`).
    fn fault(&self, spec: &str) {
        let file = self.dir.path().join("fault.json");
        std::fs::write(&file, spec).expect("write fault");
        self.ok(&[
            "create",
            "--raw",
            "/sim/v1/faults",
            "-f",
            file.to_str().expect("path"),
        ]);
    }

    fn end_faults(&self) {
        self.ok(&["delete", "--raw", "/sim/v1/faults"]);
    }

    /// The current resourceVersion of the pod list in `shop`.
    fn resource_version(&self) -> String {
        let raw = self.ok(&["get", "--raw", "/api/v1/namespaces/shop/pods?limit=1"]);
        let list: Value = serde_json::from_str(&raw).expect("JSON list");
        list["metadata"]["resourceVersion"]
            .as_str()
            .expect("resourceVersion")
            .to_string()
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

/// Wait for a line matching `want` from a background kubectl.
fn wait_line(rx: &mpsc::Receiver<String>, what: &str, want: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let left = DEADLINE.saturating_sub(start.elapsed());
        match rx.recv_timeout(left) {
            Ok(line) if want(&line) => return line,
            Ok(_) => continue,
            Err(_) => panic!("no line with {what} from kubectl"),
        }
    }
}

fn items(list: &Value) -> &Vec<Value> {
    list["items"].as_array().expect("items")
}

fn ready_replicas(sim: &Sim, deployment: &str) -> i64 {
    sim.json(&["get", "deploy", deployment])["status"]["readyReplicas"]
        .as_i64()
        .unwrap_or(0)
}

#[test]
fn get_lists_with_selectors_tables_and_short_names() {
    let Some(sim) = start("default", 30.0) else {
        return;
    };
    let api = sim.json(&["get", "pods", "-l", "app=api"]);
    assert_eq!(items(&api).len(), 4);
    assert!(
        items(&api)
            .iter()
            .all(|p| p["metadata"]["labels"]["app"] == "api")
    );
    let running = sim.json(&[
        "get",
        "pods",
        "-A",
        "--field-selector",
        "status.phase=Running",
    ]);
    assert!(
        items(&running).len() > 30,
        "the shop, payments, monitoring and system pods run"
    );
    assert!(
        items(&running)
            .iter()
            .all(|p| p["status"]["phase"] == "Running")
    );
    let set = sim.json(&["get", "pods", "-l", "app in (api, worker),app!=worker"]);
    assert_eq!(items(&set).len(), 4);

    let table = sim.ok(&["get", "pods"]);
    let header: Vec<&str> = table
        .lines()
        .next()
        .expect("header")
        .split_whitespace()
        .collect();
    assert_eq!(header, ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    assert!(table.contains("postgres-0") && table.contains("Running"));
    for short in [
        "deploy", "po", "cj", "sts", "ds", "rs", "svc", "cm", "no", "ns", "ev",
    ] {
        sim.ok(&["get", short, "-A"]);
    }
    let cronjobs = sim.ok(&["get", "cj"]);
    assert!(cronjobs.contains("postgres-backup") && cronjobs.contains("0 2 * * *"));
    // Paging: kubectl follows `continue` tokens.
    let paged = sim.json(&["get", "pods", "-A", "--chunk-size=5"]);
    assert_eq!(
        items(&paged).len(),
        items(&sim.json(&["get", "pods", "-A"])).len()
    );
    let missing = sim.fails(&["get", "deploy", "nope"]);
    assert!(
        missing.contains("NotFound") && missing.contains("\"nope\" not found"),
        "{missing}"
    );
}

#[test]
fn get_watch_receives_changes() {
    let Some(sim) = start("default", 30.0) else {
        return;
    };
    let (mut child, rx) = sim.spawn(&[
        "get",
        "deploy",
        "worker",
        "-w",
        "-o",
        "jsonpath={.spec.replicas}{\"\\n\"}",
    ]);
    wait_line(&rx, "the current replicas", |l| l == "3");
    sim.ok(&["scale", "deploy/worker", "--replicas=5"]);
    wait_line(&rx, "the new replicas", |l| l == "5");
    let _ = child.kill();
}

#[test]
fn scale_changes_replicas_and_pods_follow() {
    let Some(sim) = start("default", 30.0) else {
        return;
    };
    assert!(
        sim.ok(&["scale", "deploy/worker", "--replicas=5"])
            .contains("scaled")
    );
    wait_for("5 ready workers", || ready_replicas(&sim, "worker") == 5);
    assert_eq!(
        items(&sim.json(&["get", "pods", "-l", "app=worker"])).len(),
        5
    );
    sim.ok(&["scale", "statefulset/postgres", "--replicas=3"]);
    wait_for("postgres-2", || {
        sim.run(&["get", "pod", "postgres-2"]).status.success()
    });
    // A server-side dry run changes nothing.
    sim.ok(&["scale", "deploy/worker", "--replicas=9", "--dry-run=server"]);
    assert_eq!(
        sim.json(&["get", "deploy", "worker"])["spec"]["replicas"],
        5
    );
}

#[test]
fn rollout_restart_status_history_and_undo() {
    let Some(sim) = start("default", 30.0) else {
        return;
    };
    let before = sim.json(&["get", "rs", "-l", "app=api"]);
    assert_eq!(items(&before).len(), 4, "four revisions in the scenario");
    sim.ok(&["rollout", "restart", "deploy/api"]);
    let status = sim.ok(&["rollout", "status", "deploy/api", "--timeout=60s"]);
    assert!(status.contains("successfully rolled out"), "{status}");
    let deploy = sim.json(&["get", "deploy", "api"]);
    assert!(
        deploy["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
            .is_string()
    );
    assert_eq!(
        deploy["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "5"
    );
    assert_eq!(deploy["status"]["updatedReplicas"], 4);
    assert_eq!(
        deploy["status"]["observedGeneration"],
        deploy["metadata"]["generation"]
    );

    let history = sim.ok(&["rollout", "history", "deploy/api"]);
    let revisions: Vec<&str> = history
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.parse::<u32>().is_ok())
        .collect();
    assert_eq!(revisions, ["1", "2", "3", "4", "5"]);
    let three = sim.ok(&["rollout", "history", "deploy/api", "--revision=3"]);
    assert!(
        three.contains("registry.example.com/shop/api:1.8.1"),
        "{three}"
    );

    sim.ok(&["rollout", "undo", "deploy/api", "--to-revision=3"]);
    let status = sim.ok(&["rollout", "status", "deploy/api", "--timeout=60s"]);
    assert!(status.contains("successfully rolled out"), "{status}");
    let deploy = sim.json(&["get", "deploy", "api"]);
    assert_eq!(
        deploy["spec"]["template"]["spec"]["containers"][0]["image"],
        "registry.example.com/shop/api:1.8.1"
    );
    assert_eq!(
        deploy["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "6"
    );
    wait_for("only 1.8.1 pods", || {
        let pods = sim.json(&["get", "pods", "-l", "app=api"]);
        let live: Vec<&Value> = items(&pods)
            .iter()
            .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
            .collect();
        live.len() == 4
            && live.iter().all(|p| {
                p["spec"]["containers"][0]["image"] == "registry.example.com/shop/api:1.8.1"
            })
    });
    // set image goes through a strategic merge patch.
    sim.ok(&[
        "set",
        "image",
        "deploy/frontend",
        "frontend=registry.example.com/shop/frontend:2.15.0",
    ]);
    sim.ok(&["rollout", "status", "deploy/frontend", "--timeout=60s"]);
    assert_eq!(
        sim.json(&["get", "deploy", "frontend"])["status"]["updatedReplicas"],
        4
    );
}

#[test]
fn logs_tail_and_follow() {
    let Some(sim) = start("default", 5.0) else {
        return;
    };
    let tail = sim.ok(&["logs", "postgres-0", "--tail=5"]);
    assert_eq!(tail.lines().count(), 5, "{tail}");
    assert!(
        tail.lines().all(|l| l.contains(" UTC [")),
        "postgres log lines: {tail}"
    );
    let stamped = sim.ok(&["logs", "statefulset/redis", "--tail=2", "--timestamps"]);
    assert!(
        stamped
            .lines()
            .all(|l| l.starts_with("20") && l.contains('Z')),
        "{stamped}"
    );
    let limited = sim.ok(&["logs", "deploy/api", "--limit-bytes=100"]);
    assert!(limited.len() <= 100);

    let (mut child, rx) = sim.spawn(&["logs", "-f", "--tail=2", "deploy/frontend"]);
    for _ in 0..5 {
        wait_line(&rx, "an access log line", |l| l.contains("HTTP/1.1"));
    }
    let _ = child.kill();
    let missing = sim.fails(&["logs", "postgres-0", "--previous"]);
    assert!(
        missing.contains("previous terminated container"),
        "{missing}"
    );
}

/// The RFC 3339 timestamp that `--timestamps` puts first on a line.
fn stamp_of(line: &str) -> jiff::Timestamp {
    line.split_once(' ')
        .and_then(|(t, _)| t.parse().ok())
        .unwrap_or_else(|| panic!("no timestamp on {line:?}"))
}

#[test]
fn logs_since_time_with_timestamps_and_follow() {
    const POD: &str = "postgres-0";
    let Some(sim) = start("default", 5.0) else {
        return;
    };
    // Some history first, so that a since-time can fall inside it.
    let all = {
        let mut all = String::new();
        wait_for("a few dozen log lines", || {
            all = sim.ok(&["logs", POD, "--timestamps"]);
            all.lines().count() >= 30
        });
        all
    };
    let lines: Vec<&str> = all.lines().collect();
    // kubectl sends `--since-time` at whole seconds: take the next whole second after
    // a line in the middle of the history.
    let middle = stamp_of(lines[lines.len() / 2]);
    let since = jiff::Timestamp::from_second(middle.as_second() + 1).expect("time");
    let since_text = since.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let expected: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| stamp_of(l) >= since)
        .collect();
    assert!(!expected.is_empty() && expected.len() < lines.len());
    let arg = format!("--since-time={since_text}");
    let got = sim.ok(&["logs", POD, "--timestamps", &arg]);
    let got: Vec<&str> = got.lines().collect();
    assert!(
        got.iter().all(|l| stamp_of(l) >= since),
        "every line at or after {since_text}: {got:?}"
    );
    // The same lines as the full log from there on (more may have come since).
    let differ = got.iter().zip(&expected).position(|(a, b)| a != b);
    assert!(
        got.len() >= expected.len() && differ.is_none(),
        "since {since_text}: {} lines, {} expected, first difference at {differ:?}: {:?} / {:?}",
        got.len(),
        expected.len(),
        differ.map(|i| got[i]),
        differ.map(|i| expected[i]),
    );

    // Following from the same time: the same start, then new lines as they come.
    let (mut child, rx) = sim.spawn(&["logs", "-f", POD, "--timestamps", &arg]);
    let first = wait_line(&rx, "the first line since", |_| true);
    assert_eq!(first, expected[0]);
    let last = stamp_of(got.last().expect("a line"));
    let newer = wait_line(&rx, "a line newer than the history", |l| stamp_of(l) > last);
    assert!(stamp_of(&newer) >= since);
    let _ = child.kill();

    // A since-time still to come: nothing before it, then lines from it on.
    let ahead = last
        .checked_add(jiff::SignedDuration::from_secs(4))
        .expect("time")
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let ahead_at: jiff::Timestamp = ahead.parse().expect("time");
    let arg = format!("--since-time={ahead}");
    let (mut child, rx) = sim.spawn(&["logs", "-f", POD, "--timestamps", &arg]);
    let first = wait_line(&rx, "a line after the since-time to come", |_| true);
    assert!(stamp_of(&first) >= ahead_at, "{first} before {ahead}");
    let _ = child.kill();
}

/// Every RFC 3339 timestamp in a JSON document, with where it was.
fn timestamps(value: &Value, path: &str, out: &mut Vec<(String, jiff::Timestamp)>) {
    match value {
        Value::String(s) if s.len() >= 20 && s.as_bytes()[4] == b'-' && s.ends_with('Z') => {
            if let Ok(t) = s.parse() {
                out.push((path.to_string(), t));
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                timestamps(v, &format!("{path}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                timestamps(v, &format!("{path}.{k}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn timestamps_stay_behind_the_wall_clock_at_speed() {
    let Some(sim) = start("default", 60.0) else {
        return;
    };
    // New objects at speed: a replaced pod, a rollout, a Job, and events for them.
    let victim = items(&sim.json(&["get", "pods", "-l", "app=api"]))[0]["metadata"]["name"]
        .as_str()
        .expect("name")
        .to_string();
    sim.ok(&["delete", "pod", &victim, "--wait=false"]);
    sim.ok(&["rollout", "restart", "deploy/frontend"]);
    sim.ok(&["create", "job", "now", "--from=cronjob/redis-backup"]);
    // A few real seconds: several simulated minutes.
    std::thread::sleep(Duration::from_secs(4));
    let mut found = Vec::new();
    for kind in [
        "pods",
        "events",
        "replicasets",
        "jobs",
        "deployments",
        "leases",
    ] {
        let list = sim.json(&["get", kind, "-A"]);
        timestamps(&list, kind, &mut found);
    }
    timestamps(&sim.json(&["get", "nodes"]), "nodes", &mut found);
    let wall = jiff::Timestamp::now();
    assert!(found.len() > 100, "{} timestamps", found.len());
    let ahead: Vec<_> = found.iter().filter(|(_, t)| *t > wall).collect();
    assert!(
        ahead.is_empty(),
        "{} of {} timestamps after the wall clock {wall}, e.g. {:?}",
        ahead.len(),
        found.len(),
        ahead.first()
    );
    // Ages kubectl computes itself (describe) and the server's tables both make sense.
    let described = sim.ok(&["describe", "pods", "-l", "app=api"]);
    assert!(!described.contains("<invalid>"), "{described}");
    for kind in ["pods", "events", "jobs", "rs"] {
        let table = sim.ok(&["get", kind]);
        assert!(!table.contains("<invalid>"), "{table}");
    }
    // Simulated time did run at speed: the Job ran (it takes simulated seconds).
    wait_for("the job to complete", || {
        sim.json(&["get", "job", "now"])["status"]["succeeded"] == 1
    });
}

#[test]
fn create_job_from_cronjob_runs_it() {
    let Some(sim) = start("default", 60.0) else {
        return;
    };
    sim.ok(&[
        "create",
        "job",
        "backup-now",
        "--from=cronjob/postgres-backup",
    ]);
    let job = sim.json(&["get", "job", "backup-now"]);
    assert_eq!(
        job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"],
        "manual"
    );
    assert_eq!(job["metadata"]["ownerReferences"][0]["kind"], "CronJob");
    assert_eq!(
        job["spec"]["template"]["spec"]["containers"][0]["image"],
        "registry.example.com/ops/pg-backup:1.4.0"
    );
    let done = sim.ok(&[
        "wait",
        "--for=condition=complete",
        "job/backup-now",
        "--timeout=60s",
    ]);
    assert!(done.contains("condition met"), "{done}");
    assert_eq!(
        sim.json(&["get", "job", "backup-now"])["status"]["succeeded"],
        1
    );
    let logs = sim.ok(&["logs", "job/backup-now"]);
    assert!(
        logs.contains("starting full backup") && logs.contains("done"),
        "{logs}"
    );
}

#[test]
fn auth_can_i_as_admin_and_viewer() {
    let Some(sim) = start("default", 1.0) else {
        return;
    };
    assert_eq!(sim.ok(&["auth", "can-i", "delete", "pods"]).trim(), "yes");
    assert_eq!(
        sim.ok(&[
            "auth",
            "can-i",
            "patch",
            "deployments",
            "--subresource=scale"
        ])
        .trim(),
        "yes"
    );
    let viewer = sim.run(&[
        "--context",
        "sim-prod-viewer",
        "auth",
        "can-i",
        "delete",
        "pods",
    ]);
    assert_eq!(String::from_utf8_lossy(&viewer.stdout).trim(), "no");
    assert_eq!(
        sim.ok(&[
            "--context",
            "sim-prod-viewer",
            "auth",
            "can-i",
            "list",
            "pods"
        ])
        .trim(),
        "yes"
    );
    let refused = sim.fails(&[
        "--context",
        "sim-prod-viewer",
        "scale",
        "deploy/api",
        "--replicas=1",
    ]);
    assert!(
        refused.contains("Forbidden") && refused.contains("sim-viewer"),
        "{refused}"
    );
    assert_eq!(sim.json(&["get", "deploy", "api"])["spec"]["replicas"], 4);
    assert!(
        sim.ok(&["--context", "sim-prod-viewer", "get", "pods"])
            .contains("postgres-0")
    );
    assert!(sim.ok(&["auth", "whoami"]).contains("sim-admin"));
}

#[test]
fn the_viewer_may_not_read_nodes() {
    let Some(sim) = start("default", 1.0) else {
        return;
    };
    let viewer = ["--context", "sim-prod-viewer"];
    let with = |args: &[&'static str]| [&viewer[..], args].concat();
    let refused = sim.fails(&with(&["get", "nodes"]));
    assert!(
        refused.contains("Forbidden")
            && refused.contains(
                "nodes is forbidden: User \"sim-viewer\" cannot list resource \"nodes\" in API group \"\" at the cluster scope"
            ),
        "{refused}"
    );
    let one = sim.fails(&with(&["get", "node", "prod-node-1"]));
    assert!(one.contains("Forbidden"), "{one}");
    let top = sim.fails(&with(&["top", "nodes"]));
    assert!(top.contains("Forbidden"), "{top}");
    let can = sim.run(&with(&["auth", "can-i", "list", "nodes"]));
    assert_eq!(String::from_utf8_lossy(&can.stdout).trim(), "no");
    let watch = sim.run(&with(&["auth", "can-i", "watch", "nodes"]));
    assert_eq!(String::from_utf8_lossy(&watch.stdout).trim(), "no");
    // What the viewer could read before, it still reads.
    assert_eq!(
        sim.ok(&with(&["auth", "can-i", "list", "pods"])).trim(),
        "yes"
    );
    assert!(sim.ok(&with(&["get", "deploy"])).contains("api"));
    assert!(sim.ok(&with(&["get", "ns"])).contains("shop"));
    assert!(sim.ok(&with(&["top", "pods"])).contains("postgres-0"));
    // The admin still reads nodes.
    assert_eq!(sim.ok(&["auth", "can-i", "list", "nodes"]).trim(), "yes");
    assert!(!items(&sim.json(&["get", "nodes"])).is_empty());
}

#[test]
fn a_deleted_pod_is_replaced_by_its_replicaset() {
    let Some(sim) = start("default", 30.0) else {
        return;
    };
    let pods = sim.json(&["get", "pods", "-l", "app=api"]);
    let victim = items(&pods)[0]["metadata"]["name"]
        .as_str()
        .expect("name")
        .to_string();
    sim.ok(&["delete", "pod", &victim]);
    assert!(
        !sim.run(&["get", "pod", &victim]).status.success(),
        "deleted and gone"
    );
    wait_for("four ready api pods again", || {
        let pods = sim.json(&["get", "pods", "-l", "app=api"]);
        let names: Vec<&str> = items(&pods)
            .iter()
            .filter_map(|p| p["metadata"]["name"].as_str())
            .collect();
        names.len() == 4 && !names.contains(&victim.as_str()) && ready_replicas(&sim, "api") == 4
    });
    let events = sim.ok(&["get", "events"]);
    assert!(events.contains("SuccessfulCreate"), "{events}");
}

#[test]
fn create_deployment_label_annotate_and_cascade_delete() {
    let Some(sim) = start("default", 30.0) else {
        return;
    };
    // kubectl sends this create as protobuf.
    sim.ok(&[
        "create",
        "deployment",
        "web",
        "--image=nginx:1.27",
        "--replicas=2",
        "--port=80",
    ]);
    wait_for("2 ready web pods", || ready_replicas(&sim, "web") == 2);
    sim.ok(&["label", "deploy/web", "team=storefront"]);
    sim.ok(&["annotate", "deploy/web", "owner=ops@example.com"]);
    let web = sim.json(&["get", "deploy", "web"]);
    assert_eq!(web["metadata"]["labels"]["team"], "storefront");
    assert_eq!(web["metadata"]["annotations"]["owner"], "ops@example.com");
    assert!(
        sim.ok(&["logs", "deploy/web", "--tail=1"])
            .contains("HTTP/1.1"),
        "nginx logs access lines"
    );
    sim.ok(&[
        "create",
        "deployment",
        "ghost",
        "--image=nginx",
        "--dry-run=server",
    ]);
    assert!(
        !sim.run(&["get", "deploy", "ghost"]).status.success(),
        "a dry run creates nothing"
    );
    let dup = sim.fails(&["create", "deployment", "web", "--image=nginx"]);
    assert!(dup.contains("already exists"), "{dup}");
    sim.ok(&["delete", "deploy", "web"]);
    wait_for("web's ReplicaSets and pods collected", || {
        items(&sim.json(&["get", "rs,pods", "-l", "app=web"])).is_empty()
    });
}

#[test]
fn typed_creates_arrive_as_protobuf_and_are_understood() {
    let Some(sim) = start("default", 30.0) else {
        return;
    };
    sim.ok(&["create", "namespace", "scratch"]);
    sim.ok(&[
        "create",
        "configmap",
        "demo",
        "--from-literal=a=b",
        "-n",
        "scratch",
    ]);
    sim.ok(&[
        "create",
        "service",
        "clusterip",
        "demo",
        "--tcp=80:8080",
        "-n",
        "scratch",
    ]);
    sim.ok(&[
        "create",
        "cronjob",
        "nightly",
        "--image=busybox:1.36",
        "--schedule=0 3 * * *",
        "-n",
        "scratch",
        "--",
        "echo",
        "hi",
    ]);
    sim.ok(&[
        "create",
        "job",
        "once",
        "--image=busybox:1.36",
        "-n",
        "scratch",
        "--",
        "echo",
        "hi",
    ]);
    sim.ok(&[
        "run",
        "tmp",
        "--image=busybox:1.36",
        "-n",
        "scratch",
        "--",
        "sleep",
        "3600",
    ]);
    assert_eq!(
        sim.json(&["get", "cm", "demo", "-n", "scratch"])["data"]["a"],
        "b"
    );
    assert_eq!(
        sim.json(&["get", "svc", "demo", "-n", "scratch"])["spec"]["ports"][0]["targetPort"],
        8080
    );
    let cronjob = sim.json(&["get", "cj", "nightly", "-n", "scratch"]);
    assert_eq!(cronjob["spec"]["schedule"], "0 3 * * *");
    let container = &cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        container["command"],
        serde_json::json!(["echo", "hi"]),
        "{container}"
    );
    sim.ok(&[
        "wait",
        "--for=condition=complete",
        "job/once",
        "-n",
        "scratch",
        "--timeout=60s",
    ]);
    wait_for("the pod run by kubectl run", || {
        sim.json(&["get", "pod", "tmp", "-n", "scratch"])["status"]["phase"] == "Running"
    });
    sim.ok(&["delete", "namespace", "scratch"]);
    assert!(
        !sim.run(&["get", "namespace", "scratch"]).status.success(),
        "emptied, then gone"
    );
}

#[test]
fn strict_field_validation_refuses_unknown_fields() {
    let Some(sim) = start("default", 1.0) else {
        return;
    };
    let manifest = sim.dir.path().join("cm.json");
    std::fs::write(
        &manifest,
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"a":"b"},"dataz":{}}"#,
    )
    .expect("write");
    let strict = sim.fails(&[
        "create",
        "-f",
        manifest.to_str().expect("path"),
        "--validate=strict",
    ]);
    assert!(strict.contains("unknown field \"dataz\""), "{strict}");
    std::fs::write(
        &manifest,
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"a":"b"}}"#,
    )
    .expect("write");
    sim.ok(&["create", "-f", manifest.to_str().expect("path")]);
    assert_eq!(sim.json(&["get", "cm", "x"])["data"]["a"], "b");
}

#[test]
fn contexts_reach_staging_and_prod() {
    let Some(sim) = start("default", 1.0) else {
        return;
    };
    let contexts = sim.ok(&["config", "get-contexts", "-o", "name"]);
    for name in [
        "sim-prod",
        "sim-prod-viewer",
        "sim-staging",
        "sim-staging-viewer",
    ] {
        assert!(contexts.lines().any(|l| l == name), "{contexts}");
    }
    assert_eq!(sim.ok(&["config", "current-context"]).trim(), "sim-prod");
    let staging = sim.json(&["--context", "sim-staging", "get", "deploy", "api"]);
    assert_eq!(
        staging["spec"]["template"]["spec"]["containers"][0]["image"],
        "registry.example.com/shop/api:1.9.0-rc.1"
    );
    let nodes = sim.json(&["--context", "sim-staging", "get", "nodes"]);
    assert_eq!(items(&nodes).len(), 2);
    let top = sim.ok(&["top", "pods"]);
    assert!(
        top.contains("CPU(cores)") && top.contains("postgres-0"),
        "{top}"
    );
}

#[test]
fn a_dropped_watch_ends_and_clients_that_retry_carry_on() {
    let Some(sim) = start("default", 30.0) else {
        return;
    };
    let (mut child, rx) = sim.spawn(&["get", "pods", "-w"]);
    wait_line(&rx, "the first rows", |l| l.contains("postgres-0"));
    sim.fault(r#"{"kind":"drop_watches"}"#);
    let start = Instant::now();
    loop {
        if child.try_wait().expect("status").is_some() {
            break;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "kubectl get -w should end when its watch is dropped"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // rollout status re-watches from its last resourceVersion across repeated drops.
    sim.fault(r#"{"kind":"drop_watches","every":"3s"}"#);
    sim.ok(&["rollout", "restart", "deploy/worker"]);
    let status = sim.ok(&["rollout", "status", "deploy/worker", "--timeout=60s"]);
    assert!(status.contains("successfully rolled out"), "{status}");
}

#[test]
fn an_expired_resource_version_gets_410() {
    let Some(sim) = start("default", 30.0) else {
        return;
    };
    let old = sim.resource_version();
    sim.ok(&["scale", "deploy/worker", "--replicas=4"]);
    // Fresh enough: the watch replays what happened since.
    let replay = sim.ok(&[
        "get",
        "--raw",
        &format!("/api/v1/namespaces/shop/pods?watch=1&resourceVersion={old}&timeoutSeconds=1"),
    ]);
    assert!(
        replay.contains("\"type\":\"ADDED\""),
        "the new worker pod: {replay}"
    );
    let page = sim.ok(&["get", "--raw", "/api/v1/namespaces/shop/pods?limit=2"]);
    let token = serde_json::from_str::<Value>(&page).expect("JSON")["metadata"]["continue"]
        .as_str()
        .expect("a continue token")
        .to_string();
    sim.fault(r#"{"kind":"expire_resource_versions"}"#);
    let expired = sim.ok(&[
        "get",
        "--raw",
        &format!("/api/v1/namespaces/shop/pods?watch=1&resourceVersion={old}"),
    ]);
    let event: Value =
        serde_json::from_str(expired.lines().next().expect("one event")).expect("JSON event");
    assert_eq!(event["type"], "ERROR");
    assert_eq!(event["object"]["code"], 410);
    assert_eq!(event["object"]["reason"], "Expired");
    let gone = sim.fails(&[
        "get",
        "--raw",
        &format!("/api/v1/namespaces/shop/pods?limit=2&continue={token}"),
    ]);
    assert!(
        gone.contains("Expired") || gone.contains("too old"),
        "{gone}"
    );
    // A fresh list and watch work again.
    let fresh = sim.resource_version();
    sim.ok(&[
        "get",
        "--raw",
        &format!("/api/v1/namespaces/shop/pods?watch=1&resourceVersion={fresh}&timeoutSeconds=1"),
    ]);
}

#[test]
fn injected_latency_and_errors() {
    let Some(sim) = start("default", 1.0) else {
        return;
    };
    sim.fault(r#"{"kind":"api_latency","latency_ms":400}"#);
    let start = Instant::now();
    sim.ok(&["get", "--raw", "/api/v1/namespaces/shop/configmaps"]);
    assert!(
        start.elapsed() >= Duration::from_millis(400),
        "the request waited for the injected latency"
    );
    sim.end_faults();
    sim.fault(r#"{"kind":"api_errors","rate":1.0}"#);
    let failed = sim.fails(&["get", "--raw", "/api/v1/namespaces/shop/configmaps"]);
    assert!(
        failed.contains("InternalError") || failed.contains("etcdserver"),
        "{failed}"
    );
    sim.end_faults();
    sim.ok(&["get", "--raw", "/api/v1/namespaces/shop/configmaps"]);
}

#[test]
fn the_incident_scenario_crash_loops_the_database() {
    let Some(sim) = start("incident-db", 40.0) else {
        return;
    };
    wait_for("postgres-0 restarting", || {
        let pod = sim.json(&["get", "pod", "postgres-0"]);
        pod["status"]["containerStatuses"][0]["restartCount"]
            .as_i64()
            .unwrap_or(0)
            >= 2
    });
    let status = sim.ok(&["get", "pod", "postgres-0"]);
    assert!(
        ["CrashLoopBackOff", "Error", "Running"]
            .iter()
            .any(|s| status.contains(s)),
        "{status}"
    );
    let previous = sim.ok(&["logs", "postgres-0", "--previous"]);
    assert!(previous.contains("PANIC"), "{previous}");
    let api = sim.ok(&["logs", "deploy/api", "--tail=200"]);
    assert!(
        api.contains("\"level\":\"error\""),
        "errors climb in the api's logs"
    );
    wait_for("prod-node-2 NotReady", || {
        sim.ok(&["get", "node", "prod-node-2"]).contains("NotReady")
    });
    let events = sim.ok(&["get", "events", "-A"]);
    assert!(
        events.contains("BackOff") && events.contains("NodeNotReady"),
        "{events}"
    );
}

/// A pod's container restarts, Ready condition and phase, for crash-loop checks.
struct PodState {
    uid: String,
    restarts: i64,
    ready: bool,
    running: bool,
}

fn pod_state(sim: &Sim, name: &str) -> PodState {
    let pod = sim.json(&["get", "pod", name]);
    let status = &pod["status"];
    let ready = status["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True");
    PodState {
        uid: pod["metadata"]["uid"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        restarts: status["containerStatuses"][0]["restartCount"]
            .as_i64()
            .unwrap_or(0),
        ready,
        running: status["phase"] == "Running",
    }
}

/// Crash-looping: it has restarted and is not ready (a crash-looping container never is).
fn wait_crash_looping(sim: &Sim, name: &str) -> PodState {
    wait_for(&format!("{name} crash-looping"), || {
        let pod = pod_state(sim, name);
        pod.restarts >= 1 && !pod.ready
    });
    pod_state(sim, name)
}

/// A fresh pod that is Running and Ready, and still is `later` (real time) on: no restart
/// in between, where a crash loop restarts a container within seconds (simulated).
fn assert_healthy_fresh_pod(sim: &Sim, name: &str, crashed_uid: &str, later: Duration) {
    let pod = pod_state(sim, name);
    assert_ne!(pod.uid, crashed_uid, "{name} was replaced");
    assert!(
        pod.running && pod.ready && pod.restarts == 0,
        "{name} is Running and Ready: running {}, ready {}, restarts {}",
        pod.running,
        pod.ready,
        pod.restarts
    );
    std::thread::sleep(later);
    let again = pod_state(sim, name);
    assert!(
        again.uid == pod.uid && again.ready && again.restarts == 0,
        "{name} stays ready: ready {}, restarts {}",
        again.ready,
        again.restarts
    );
}

#[test]
fn restarting_the_crash_looping_database_heals_it() {
    // At speed 20 the crash loop starts 3 s in (60 s simulated) and prod-node-2 goes
    // NotReady at 12 s (4 min); all of this is done well before.
    let Some(sim) = start("incident-db", 20.0) else {
        return;
    };
    let crashed = wait_crash_looping(&sim, "postgres-0");
    // The StatefulSet manages its pods in parallel, so the rollout replaces the standby
    // and then the primary, not ready though it is; its fault heals on restart.
    sim.ok(&["rollout", "restart", "sts/postgres"]);
    let status = sim.ok(&["rollout", "status", "sts/postgres", "--timeout=30s"]);
    assert!(status.contains("roll out complete"), "{status}");
    let sts = sim.json(&["get", "sts", "postgres"]);
    assert_eq!(sts["status"]["readyReplicas"], 2, "{}", sts["status"]);
    // 1.5 s is half a simulated minute: time for several crashes, were it still failing.
    assert_healthy_fresh_pod(
        &sim,
        "postgres-0",
        &crashed.uid,
        Duration::from_millis(1500),
    );
    let faults: Value =
        serde_json::from_str(&sim.ok(&["get", "--raw", "/sim/v1/faults"])).expect("JSON");
    let crash_loop = faults["faults"]
        .as_array()
        .expect("faults")
        .iter()
        .find(|f| f["kind"] == "crash_loop")
        .expect("the crash loop is listed");
    assert!(crash_loop["end"].is_number(), "it ended: {crash_loop}");
}

#[test]
fn an_ordered_statefulset_rollout_waits_until_its_crash_looping_pod_is_deleted() {
    let Some(sim) = start("default", 20.0) else {
        return;
    };
    sim.fault(
        r#"{"kind":"crash_loop","namespace":"shop","heals_on_restart":true,
            "selector":"statefulset.kubernetes.io/pod-name=postgres-0"}"#,
    );
    let crashed = wait_crash_looping(&sim, "postgres-0");
    let standby = pod_state(&sim, "postgres-1");
    // OrderedReady, as Kubernetes does it: nothing is replaced while a pod is not ready.
    sim.ok(&["rollout", "restart", "sts/postgres"]);
    let stuck = sim.run(&["rollout", "status", "sts/postgres", "--timeout=2s"]);
    assert!(!stuck.status.success(), "the rollout waits for postgres-0");
    assert_eq!(pod_state(&sim, "postgres-1").uid, standby.uid, "untouched");
    // Deleting the pod by hand is what unblocks it, and what heals the fault.
    sim.ok(&["delete", "pod", "postgres-0"]);
    let status = sim.ok(&["rollout", "status", "sts/postgres", "--timeout=30s"]);
    assert!(status.contains("roll out complete"), "{status}");
    assert_ne!(
        pod_state(&sim, "postgres-1").uid,
        standby.uid,
        "then updated"
    );
    assert_healthy_fresh_pod(
        &sim,
        "postgres-0",
        &crashed.uid,
        Duration::from_millis(1500),
    );
}
