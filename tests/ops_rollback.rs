//! Rollback (`pilothouse::ops::rollback`) against the simulated API server, side by side
//! with the real `kubectl` (v1.32): each test starts a sim in-process, builds the same
//! history on two identical workloads, rolls one back with `kubectl rollout undo` and the
//! other with `undo()`, and compares what the API holds afterwards. Without kubectl the
//! tests print a skip line, unless `PILOTHOUSE_REQUIRE_SERVICES=1`, when they fail.

mod common;

use common::kubectl_sim::KubectlSim as Sim;

use std::process::Output;
use std::time::{Duration, Instant};

use pilothouse::model::KubeKind;
use pilothouse::ops::OpError;
use pilothouse::ops::rollback::{self, Revision, UndoOutcome};
use serde_json::{Value, json};

const NAMESPACE: &str = "shop";
/// How long any condition may take to hold (real time; the sim runs fast).
const DEADLINE: Duration = Duration::from_secs(60);
const IMAGE: &str = "registry.example.com/rollback/app";

/// Start the default scenario, or `None` (after saying why) when kubectl is missing.
fn start() -> Option<Sim> {
    common::kubectl_sim::start("default", 30.0)
}

impl Sim {
    fn run(&self, args: &[&str]) -> Output {
        let mut with_namespace = vec!["--namespace", NAMESPACE];
        with_namespace.extend_from_slice(args);
        self.kubectl(&with_namespace)
            .output()
            .expect("kubectl runs")
    }

    /// Run kubectl; it must succeed. Returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Run kubectl; it must fail. Returns its error without kubectl's `error: `.
    fn error(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "kubectl {args:?} should fail");
        let stderr = String::from_utf8_lossy(&out.stderr);
        stderr
            .trim()
            .strip_prefix("error: ")
            .unwrap_or(&stderr)
            .to_string()
    }

    fn json(&self, resource: &str) -> Value {
        serde_json::from_str(&self.ok(&["get", resource, "-o", "json"])).expect("JSON")
    }

    fn apply(&self, manifest: &Value) {
        let file = self.dir.path().join("manifest.json");
        std::fs::write(&file, manifest.to_string()).expect("write manifest");
        self.ok(&["apply", "-f", file.to_str().expect("path")]);
    }

    /// A kube-rs client for `context` of the sim's kubeconfig.
    fn client(&self, context: &str) -> kube::Client {
        self.runtime.block_on(async {
            let kubeconfig = kube::config::Kubeconfig::read_from(&self.kubeconfig).expect("read");
            let options = kube::config::KubeConfigOptions {
                context: Some(context.to_string()),
                ..Default::default()
            };
            let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .expect("config");
            kube::Client::try_from(config).expect("client")
        })
    }

    fn revisions(&self, kind: KubeKind, name: &str) -> Vec<Revision> {
        let client = self.client("sim-prod");
        self.runtime
            .block_on(rollback::revisions(&client, kind, NAMESPACE, name))
            .expect("revisions")
    }

    fn undo_as(
        &self,
        context: &str,
        kind: KubeKind,
        name: &str,
        to_revision: i64,
        dry_run: bool,
    ) -> Result<UndoOutcome, OpError> {
        let client = self.client(context);
        self.runtime.block_on(rollback::undo(
            &client,
            kind,
            NAMESPACE,
            name,
            to_revision,
            dry_run,
        ))
    }

    fn undo(&self, kind: KubeKind, name: &str, to_revision: i64) -> UndoOutcome {
        self.undo_as("sim-prod", kind, name, to_revision, false)
            .expect("undo")
    }

    /// `kubectl rollout history` as (revision, change-cause) pairs, oldest first.
    fn history(&self, target: &str) -> Vec<(i64, Option<String>)> {
        self.ok(&["rollout", "history", target])
            .lines()
            .filter_map(|line| {
                let (number, cause) = line.split_once(char::is_whitespace)?;
                let cause = cause.trim();
                Some((
                    number.parse().ok()?,
                    (cause != "<none>").then(|| cause.to_string()),
                ))
            })
            .collect()
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

/// `kubectl get` name and `kubectl rollout` target of each kind.
fn resource(kind: KubeKind) -> &'static str {
    match kind {
        KubeKind::Deployment => "deployment",
        KubeKind::StatefulSet => "statefulset",
        KubeKind::DaemonSet => "daemonset",
        other => panic!("no rollout for {other:?}"),
    }
}

fn target(kind: KubeKind, name: &str) -> String {
    format!("{}/{name}", resource(kind))
}

fn manifest(kind: KubeKind, name: &str) -> Value {
    let template = json!({
        "metadata": {"labels": {"app": name}},
        "spec": {"containers": [{"name": "app", "image": format!("{IMAGE}:1.0")}]}
    });
    let mut spec = json!({"selector": {"matchLabels": {"app": name}}, "template": template});
    match kind {
        KubeKind::Deployment => spec["replicas"] = json!(1),
        KubeKind::StatefulSet => {
            spec["replicas"] = json!(1);
            spec["serviceName"] = json!(name);
        }
        _ => {}
    }
    json!({
        "apiVersion": "apps/v1",
        "kind": kind.name(),
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "annotations": {"kubernetes.io/change-cause": "create 1.0", "team": "shop"},
        },
        "spec": spec,
    })
}

/// Create `name` at 1.0 and update it twice with `kubectl set image` (1.1, 1.2), each
/// update's cause recorded as kubectl users do: revisions 1, 2 and 3.
fn three_revisions(sim: &Sim, kind: KubeKind, name: &str) {
    let target = target(kind, name);
    sim.apply(&manifest(kind, name));
    wait_for("revision 1", || sim.history(&target).len() == 1);
    for (version, count) in [("1.1", 2), ("1.2", 3)] {
        sim.ok(&["set", "image", &target, &format!("app={IMAGE}:{version}")]);
        sim.ok(&[
            "annotate",
            "--overwrite",
            &target,
            &format!("kubernetes.io/change-cause=set image {version}"),
        ]);
        wait_for(&format!("{count} revisions of {target}"), || {
            sim.history(&target).len() == count
        });
    }
    // A later change to the workload's own annotations, which a rollback of a
    // Deployment replaces with those of the revision restored.
    sim.ok(&["annotate", "--overwrite", &target, "team=payments"]);
}

/// The workload's template and annotations, with `name` written as `NAME` so that two
/// workloads built alike compare equal.
fn state(sim: &Sim, kind: KubeKind, name: &str) -> (Value, Value) {
    let object = sim.json(&target(kind, name));
    let anonymous = |value: &Value| -> Value {
        let text = value.to_string().replace(name, "NAME");
        serde_json::from_str(&text).expect("JSON")
    };
    (
        anonymous(&object["spec"]["template"]),
        anonymous(&object["metadata"]["annotations"]),
    )
}

fn image(sim: &Sim, kind: KubeKind, name: &str) -> String {
    sim.json(&target(kind, name))["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Roll `by_kubectl` back with kubectl and `by_us` with `undo()`, to `to_revision`; both
/// must say the same and end up the same.
fn undo_both(sim: &Sim, kind: KubeKind, by_kubectl: &str, by_us: &str, to_revision: i64) {
    let said = sim.ok(&[
        "rollout",
        "undo",
        &target(kind, by_kubectl),
        &format!("--to-revision={to_revision}"),
    ]);
    let outcome = sim.undo(kind, by_us, to_revision);
    assert_eq!(
        said.trim(),
        format!("{}.apps/{by_kubectl} {outcome}", resource(kind)),
        "{outcome:?}"
    );
}

fn same_state(sim: &Sim, kind: KubeKind, by_kubectl: &str, by_us: &str) {
    // The controllers react to the rollback (a Deployment's revision annotation, a
    // renumbered ControllerRevision); compare once both have settled alike.
    let start = Instant::now();
    loop {
        let theirs = state(sim, kind, by_kubectl);
        let ours = state(sim, kind, by_us);
        if theirs == ours {
            return;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "{kind:?} after rollback: kubectl's\n{theirs:#?}\nours\n{ours:#?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn revisions_list_numbers_images_and_change_causes_newest_first() {
    let Some(sim) = start() else {
        return;
    };
    three_revisions(&sim, KubeKind::Deployment, "rb-history");
    let revisions = sim.revisions(KubeKind::Deployment, "rb-history");
    let numbers: Vec<i64> = revisions.iter().map(|r| r.number).collect();
    assert_eq!(numbers, [3, 2, 1]);
    let images: Vec<&[String]> = revisions.iter().map(|r| r.images.as_slice()).collect();
    assert_eq!(
        images,
        [
            [format!("{IMAGE}:1.2")],
            [format!("{IMAGE}:1.1")],
            [format!("{IMAGE}:1.0")]
        ]
    );
    let causes: Vec<Option<&str>> = revisions
        .iter()
        .map(|r| r.change_cause.as_deref())
        .collect();
    assert_eq!(
        causes,
        [
            Some("set image 1.2"),
            Some("set image 1.1"),
            Some("create 1.0")
        ]
    );
    let current: Vec<bool> = revisions.iter().map(|r| r.current).collect();
    assert_eq!(current, [true, false, false]);
    assert!(revisions.iter().all(|r| r.created.is_some()));
    for r in &revisions {
        assert_eq!(
            r.template["metadata"]["labels"],
            json!({"app": "rb-history"})
        );
        assert_eq!(r.template["spec"]["containers"][0]["image"], r.images[0]);
    }
    // The same history kubectl shows.
    let mut ours: Vec<(i64, Option<String>)> = revisions
        .iter()
        .map(|r| (r.number, r.change_cause.clone()))
        .collect();
    ours.reverse();
    assert_eq!(ours, sim.history("deployment/rb-history"));

    // The plan's diff between the running template and revision 1 is the image.
    let diff = rollback::template_diff(&revisions[0].template, &revisions[2].template);
    let changed: Vec<String> = diff
        .iter()
        .filter(|l| l.kind != rollback::DiffKind::Context && l.kind != rollback::DiffKind::Hunk)
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        changed,
        [
            format!("-  - image: {IMAGE}:1.2"),
            format!("+  - image: {IMAGE}:1.0")
        ]
    );
}

#[test]
fn a_deployment_rolls_back_as_kubectl_rolls_it_back() {
    let Some(sim) = start() else {
        return;
    };
    let kind = KubeKind::Deployment;
    three_revisions(&sim, kind, "rb-kubectl");
    three_revisions(&sim, kind, "rb-ours");
    assert_eq!(
        state(&sim, kind, "rb-kubectl"),
        state(&sim, kind, "rb-ours")
    );

    undo_both(&sim, kind, "rb-kubectl", "rb-ours", 1);
    same_state(&sim, kind, "rb-kubectl", "rb-ours");
    assert_eq!(image(&sim, kind, "rb-ours"), format!("{IMAGE}:1.0"));
    let (_, annotations) = state(&sim, kind, "rb-ours");
    assert_eq!(annotations["team"], "shop", "revision 1's annotations");
    assert_eq!(annotations["kubernetes.io/change-cause"], "create 1.0");
    assert!(annotations["kubectl.kubernetes.io/last-applied-configuration"].is_string());
    wait_for("revision 4", || {
        sim.json("deployment/rb-ours")["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
            == "4"
    });

    // Revision 0: the one before the newest (3, at 1.2).
    undo_both(&sim, kind, "rb-kubectl", "rb-ours", 0);
    same_state(&sim, kind, "rb-kubectl", "rb-ours");
    assert_eq!(image(&sim, kind, "rb-ours"), format!("{IMAGE}:1.2"));

    // To the revision it runs: skipped, with kubectl's message.
    wait_for("revision 5", || {
        sim.revisions(kind, "rb-ours")
            .first()
            .is_some_and(|r| r.number == 5 && r.current)
    });
    let outcome = sim.undo(kind, "rb-ours", 5);
    assert_eq!(
        outcome,
        UndoOutcome::Skipped {
            revision: 5,
            requested: 5
        }
    );
    undo_both(&sim, kind, "rb-kubectl", "rb-ours", 5);
}

#[test]
fn statefulsets_and_daemonsets_roll_back_as_kubectl_rolls_them_back() {
    let Some(sim) = start() else {
        return;
    };
    for kind in [KubeKind::StatefulSet, KubeKind::DaemonSet] {
        let (theirs, ours) = match kind {
            KubeKind::StatefulSet => ("sts-kubectl", "sts-ours"),
            _ => ("ds-kubectl", "ds-ours"),
        };
        three_revisions(&sim, kind, theirs);
        three_revisions(&sim, kind, ours);

        let revisions = sim.revisions(kind, ours);
        let numbers: Vec<(i64, bool)> = revisions.iter().map(|r| (r.number, r.current)).collect();
        assert_eq!(numbers, [(3, true), (2, false), (1, false)], "{kind:?}");
        assert_eq!(revisions[2].images, [format!("{IMAGE}:1.0")]);
        let mut listed: Vec<(i64, Option<String>)> = revisions
            .iter()
            .map(|r| (r.number, r.change_cause.clone()))
            .collect();
        listed.reverse();
        assert_eq!(listed, sim.history(&target(kind, ours)), "{kind:?}");

        undo_both(&sim, kind, theirs, ours, 1);
        same_state(&sim, kind, theirs, ours);
        assert_eq!(image(&sim, kind, ours), format!("{IMAGE}:1.0"));

        // Revision 1 comes back as revision 4: rolling back to 0 restores 1.2.
        wait_for("revision 4", || {
            sim.revisions(kind, ours)
                .first()
                .is_some_and(|r| r.number == 4 && r.current)
        });
        undo_both(&sim, kind, theirs, ours, 0);
        same_state(&sim, kind, theirs, ours);
        assert_eq!(image(&sim, kind, ours), format!("{IMAGE}:1.2"));

        let current = sim.revisions(kind, ours)[0].number;
        assert!(matches!(
            sim.undo(kind, ours, current),
            UndoOutcome::Skipped { .. }
        ));
    }
}

#[test]
fn a_dry_run_is_checked_by_the_server_and_changes_nothing() {
    let Some(sim) = start() else {
        return;
    };
    for kind in [KubeKind::Deployment, KubeKind::StatefulSet] {
        let name = format!("rb-dry-{}", kind.short());
        let name = name.as_str();
        three_revisions(&sim, kind, name);
        let before = sim.json(&target(kind, name));
        let outcome = sim
            .undo_as("sim-prod", kind, name, 1, true)
            .expect("dry run");
        assert_eq!(
            outcome,
            UndoOutcome::RolledBack {
                revision: 1,
                dry_run: true
            }
        );
        // kubectl says the same of its own server-side dry run.
        let said = sim.ok(&[
            "rollout",
            "undo",
            &target(kind, name),
            "--to-revision=1",
            "--dry-run=server",
        ]);
        assert_eq!(
            said.trim(),
            format!("{}.apps/{name} {outcome}", resource(kind))
        );
        std::thread::sleep(Duration::from_millis(500));
        let after = sim.json(&target(kind, name));
        assert_eq!(before["metadata"], after["metadata"], "{kind:?}");
        assert_eq!(before["spec"], after["spec"], "{kind:?}");
        assert_eq!(sim.revisions(kind, name)[0].number, 3);
        // A dry run the server refuses is refused here too.
        assert!(matches!(
            sim.undo_as("sim-prod-viewer", kind, name, 1, true),
            Err(OpError::Forbidden(_))
        ));
    }
}

#[test]
fn refusals_say_what_kubectl_says() {
    let Some(sim) = start() else {
        return;
    };
    let kind = KubeKind::Deployment;
    three_revisions(&sim, kind, "rb-refused");
    three_revisions(&sim, KubeKind::StatefulSet, "rb-refused-sts");

    // A revision that is not in the history.
    for (kind, name) in [
        (KubeKind::Deployment, "rb-refused"),
        (KubeKind::StatefulSet, "rb-refused-sts"),
    ] {
        let said = sim.error(&["rollout", "undo", &target(kind, name), "--to-revision=9"]);
        assert_eq!(said, "unable to find specified revision 9 in history");
        assert_eq!(
            sim.undo_as("sim-prod", kind, name, 9, false),
            Err(OpError::Refused(said))
        );
    }

    // The viewer may read the history but not change it.
    let viewer = sim.client("sim-prod-viewer");
    let history = sim
        .runtime
        .block_on(rollback::revisions(&viewer, kind, NAMESPACE, "rb-refused"))
        .expect("the viewer reads revisions");
    assert_eq!(history.len(), 3);
    for dry_run in [false, true] {
        let refused = sim.undo_as("sim-prod-viewer", kind, "rb-refused", 1, dry_run);
        let Err(OpError::Forbidden(message)) = &refused else {
            panic!("the viewer is not forbidden: {refused:?}");
        };
        assert!(message.contains("sim-viewer"), "{message}");
    }
    assert_eq!(image(&sim, kind, "rb-refused"), format!("{IMAGE}:1.2"));

    // A paused Deployment.
    sim.ok(&["rollout", "pause", "deployment/rb-refused"]);
    let said = sim.error(&[
        "rollout",
        "undo",
        "deployment/rb-refused",
        "--to-revision=1",
    ]);
    assert!(
        said.starts_with("you cannot rollback a paused deployment"),
        "{said}"
    );
    for dry_run in [false, true] {
        assert_eq!(
            sim.undo_as("sim-prod", kind, "rb-refused", 1, dry_run),
            Err(OpError::Refused(said.clone()))
        );
    }
    assert_eq!(image(&sim, kind, "rb-refused"), format!("{IMAGE}:1.2"));

    // Kinds without a rollout history.
    assert!(matches!(
        sim.undo_as("sim-prod", KubeKind::CronJob, "postgres-backup", 0, false),
        Err(OpError::Refused(_))
    ));
    // A workload that does not exist.
    assert!(matches!(
        sim.undo_as("sim-prod", kind, "no-such-deployment", 0, false),
        Err(OpError::Refused(_))
    ));
}
