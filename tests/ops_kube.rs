//! Kubernetes operations through the ops runner against the simulated API, in-process:
//! plan (dry-run), execute, verify and audit, with the result read back through the API
//! by a second client — the way a colleague's kubectl would see it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Event, Node, Pod};
use kube::api::ListParams;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client};
use pilothouse::config::Config;
use pilothouse::model::{KubeId, KubeKind};
use pilothouse::ops::kube::KubePlan;
use pilothouse::ops::runner::{self, OpRequest, OpUpdate, OpsControl, OpsSettings};
use pilothouse::ops::{OpError, Operation};
use pilothouse::sim::clock::SimClock;
use pilothouse::sim::scenario::Scenario;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

struct Sim {
    _dir: tempfile::TempDir,
    data: PathBuf,
    kubeconfig: Kubeconfig,
    cancel: CancellationToken,
}

async fn sim(speed: f64) -> Sim {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("kubeconfig");
    let scenario = Scenario::load("default").expect("scenario");
    let sim = pilothouse::sim::kube::start_sim(
        "127.0.0.1:0".parse().expect("address"),
        &scenario.kubernetes,
        SimClock::new(speed),
        7,
        Some(&out),
    )
    .await
    .expect("sim starts");
    let kubeconfig = Kubeconfig::read_from(&sim.kubeconfig).expect("kubeconfig");
    let data = dir.path().join("data");
    Sim {
        _dir: dir,
        data,
        kubeconfig,
        cancel: CancellationToken::new(),
    }
}

impl Sim {
    fn runner(&self, config: Config) -> OpsControl {
        runner::spawn(
            OpsSettings {
                kubeconfig: Some(self.kubeconfig.clone()),
                kube_options: Default::default(),
                config,
                data_dir: self.data.clone(),
                docker: Default::default(),
                alertmanagers: Vec::new(),
            },
            None,
            &self.cancel,
        )
    }

    async fn client(&self, context: &str) -> Client {
        let config = kube::Config::from_custom_kubeconfig(
            self.kubeconfig.clone(),
            &KubeConfigOptions {
                context: Some(context.into()),
                ..Default::default()
            },
        )
        .await
        .expect("client config");
        Client::try_from(config).expect("client")
    }

    fn audit(&self) -> Vec<Value> {
        read_audit(&self.data)
    }
}

fn read_audit(data: &Path) -> Vec<Value> {
    std::fs::read_to_string(data.join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("audit line is JSON"))
        .collect()
}

fn id(context: &str, namespace: &str, kind: KubeKind, name: &str) -> KubeId {
    KubeId {
        context: context.into(),
        namespace: namespace.into(),
        kind,
        name: name.into(),
    }
}

async fn plan(control: &mut OpsControl, op: &Operation) -> Result<KubePlan, OpError> {
    control.send(OpRequest::Plan {
        id: 1,
        op: op.clone(),
    });
    loop {
        match tokio::time::timeout(Duration::from_secs(30), control.recv()).await {
            Ok(Some(OpUpdate::Planned { result, .. })) => return result,
            Ok(Some(_)) => continue,
            other => panic!("no plan: {other:?}"),
        }
    }
}

/// Execute and wait for the outcome, collecting progress texts on the way.
async fn execute(
    control: &mut OpsControl,
    op: &Operation,
    reason: Option<&str>,
) -> (Result<String, OpError>, Vec<String>) {
    control.send(OpRequest::Execute {
        id: 2,
        op: op.clone(),
        reason: reason.map(str::to_string),
        dry_run: "passed".into(),
    });
    let mut progress = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(90), control.recv()).await {
            Ok(Some(OpUpdate::Finished { result, .. })) => return (result, progress),
            Ok(Some(OpUpdate::Progress {
                progress: Some(p), ..
            })) => progress.push(p.text),
            Ok(Some(_)) => continue,
            other => panic!("no outcome: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_is_dry_run_first_then_applied_verified_audited_and_recorded_as_an_event() {
    let sim = sim(20.0).await;
    let mut control = sim.runner(Config::default());
    let client = sim.client("sim-prod").await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "shop");
    let op = Operation::Scale {
        target: id("sim-prod", "shop", KubeKind::Deployment, "worker"),
        from: 3,
        to: 5,
    };

    let planned = plan(&mut control, &op).await.expect("plan");
    assert!(
        planned.lines.iter().any(|l| l.contains("replicas: 3 → 5")),
        "{planned:?}"
    );
    assert_eq!(planned.dry_run, "passed");
    let after_plan = deployments.get("worker").await.expect("worker");
    assert_eq!(after_plan.spec.replicas, Some(3), "a plan changes nothing");
    assert!(
        sim.audit().is_empty(),
        "a plan is not audited as an operation"
    );

    let (result, progress) = execute(&mut control, &op, Some("load test")).await;
    let words = result.expect("scaled");
    assert!(words.contains("rolled out"), "{words}");
    assert!(
        !progress.is_empty(),
        "progress was reported while verifying"
    );
    let worker = deployments.get("worker").await.expect("worker");
    assert_eq!(worker.spec.replicas, Some(5));
    assert_eq!(worker.status.unwrap().ready_replicas, Some(5));

    let records = sim.audit();
    assert_eq!(records.len(), 2, "{records:#?}");
    assert_eq!(records[0]["phase"], "intent");
    assert_eq!(records[1]["phase"], "outcome");
    assert_eq!(records[0]["id"], records[1]["id"]);
    assert_eq!(records[0]["operation"], "scale");
    assert_eq!(records[0]["target"], "sim-prod/shop/deploy/worker");
    assert_eq!(records[0]["parameters"]["to"], 5);
    assert_eq!(records[0]["reason"], "load test");
    assert_eq!(records[0]["context"], "sim-prod");
    assert!(records[0]["identity"].is_string(), "the kubeconfig user");
    assert_eq!(records[1]["ok"], true);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(sim.data.join("audit.jsonl"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let events: Api<Event> = Api::namespaced(client, "shop");
    let mine: Vec<Event> = events
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.reason.as_deref() == Some("PilothouseScale"))
        .collect();
    assert_eq!(mine.len(), 1, "one event records the scale");
    assert_eq!(mine[0].involved_object.name.as_deref(), Some("worker"));
    assert!(mine[0].message.as_deref().unwrap().contains("load test"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_sets_restarted_at_like_kubectl_and_waits_for_the_rollout() {
    let sim = sim(20.0).await;
    let mut control = sim.runner(Config::default());
    let client = sim.client("sim-prod").await;
    for (kind, name) in [
        (KubeKind::Deployment, "worker"),
        (KubeKind::StatefulSet, "redis"),
    ] {
        let op = Operation::Restart {
            target: id("sim-prod", "shop", kind, name),
        };
        plan(&mut control, &op).await.expect("plan");
        let (result, _) = execute(&mut control, &op, None).await;
        result.unwrap_or_else(|e| panic!("restart {name}: {e}"));
    }
    let annotation = |t: &k8s_openapi::api::core::v1::PodTemplateSpec| {
        t.metadata
            .as_ref()
            .and_then(|m| m.annotations.as_ref())
            .and_then(|a| a.get("kubectl.kubernetes.io/restartedAt").cloned())
    };
    let d: Deployment = Api::namespaced(client.clone(), "shop")
        .get("worker")
        .await
        .unwrap();
    let at = annotation(&d.spec.template).expect("restartedAt on the deployment's template");
    assert!(at.parse::<jiff::Timestamp>().is_ok(), "RFC 3339: {at}");
    let s: StatefulSet = Api::namespaced(client, "shop").get("redis").await.unwrap();
    assert!(annotation(&s.spec.template).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_deployment_is_refused_with_the_reason() {
    let sim = sim(20.0).await;
    let mut control = sim.runner(Config::default());
    let client = sim.client("sim-prod").await;
    let deployments: Api<Deployment> = Api::namespaced(client, "shop");
    deployments
        .patch(
            "worker",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(serde_json::json!({"spec": {"paused": true}})),
        )
        .await
        .unwrap();
    let op = Operation::Restart {
        target: id("sim-prod", "shop", KubeKind::Deployment, "worker"),
    };
    let refused = plan(&mut control, &op).await.unwrap_err();
    assert!(
        matches!(&refused, OpError::Refused(m) if m.contains("paused")),
        "{refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_from_a_cronjob_is_the_job_kubectl_makes_and_runs_to_completion() {
    let sim = sim(20.0).await;
    let mut control = sim.runner(Config::default());
    let client = sim.client("sim-prod").await;
    let op = Operation::RunCronJob {
        target: id("sim-prod", "shop", KubeKind::CronJob, "redis-backup"),
    };
    let planned = plan(&mut control, &op).await.expect("plan");
    assert!(
        planned.lines[0].contains("redis-backup-manual-"),
        "{planned:?}"
    );
    let jobs: Api<Job> = Api::namespaced(client, "shop");
    let manual = |list: &[Job]| {
        list.iter()
            .filter(|j| {
                j.metadata
                    .name
                    .as_deref()
                    .unwrap_or("")
                    .contains("-manual-")
            })
            .cloned()
            .collect::<Vec<_>>()
    };
    let before = jobs.list(&ListParams::default()).await.unwrap().items;
    assert!(manual(&before).is_empty(), "the dry-run created no Job");

    let (result, _) = execute(&mut control, &op, None).await;
    let words = result.expect("backup ran");
    assert!(words.contains("succeeded"), "{words}");
    let after = manual(&jobs.list(&ListParams::default()).await.unwrap().items);
    assert_eq!(after.len(), 1);
    let job = &after[0];
    assert_eq!(
        job.metadata.annotations.as_ref().unwrap()["cronjob.kubernetes.io/instantiate"],
        "manual"
    );
    let owner = &job.metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str()),
        ("CronJob", "redis-backup")
    );
    assert_eq!(owner.controller, Some(true));
    let conditions = job.status.as_ref().unwrap().conditions.clone().unwrap();
    assert!(
        conditions
            .iter()
            .any(|c| c.type_ == "Complete" && c.status == "True")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_pod_waits_for_it_to_go_and_cordon_round_trips() {
    let sim = sim(20.0).await;
    let mut control = sim.runner(Config::default());
    let client = sim.client("sim-prod").await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "shop");
    let victim = pods
        .list(&ListParams::default().labels("app=worker"))
        .await
        .unwrap()
        .items
        .into_iter()
        .next()
        .expect("a worker pod");
    let name = victim.metadata.name.clone().unwrap();
    let op = Operation::DeletePod {
        target: id("sim-prod", "shop", KubeKind::Pod, &name),
    };
    let planned = plan(&mut control, &op).await.expect("plan");
    assert!(planned.lines[0].contains("ReplicaSet"), "{planned:?}");
    assert!(
        pods.get_opt(&name).await.unwrap().is_some(),
        "dry-run deleted nothing"
    );
    let (result, _) = execute(&mut control, &op, Some("stuck")).await;
    result.expect("deleted");
    assert!(pods.get_opt(&name).await.unwrap().is_none());

    let nodes: Api<Node> = Api::all(client);
    let node = nodes.list(&ListParams::default()).await.unwrap().items[0]
        .metadata
        .name
        .clone()
        .unwrap();
    for cordon in [true, false] {
        let op = Operation::Cordon {
            target: id("sim-prod", "", KubeKind::Node, &node),
            cordon,
        };
        plan(&mut control, &op).await.expect("plan");
        let (result, _) = execute(&mut control, &op, None).await;
        result.expect("cordon");
        let now = nodes.get(&node).await.unwrap();
        assert_eq!(now.spec.unwrap().unschedulable.unwrap_or(false), cordon);
    }
    let events: Api<Event> = Api::namespaced(sim.client("sim-prod").await, "default");
    let reasons: Vec<String> = events
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|e| e.reason)
        .collect();
    assert!(
        reasons.contains(&"PilothouseCordon".to_string()),
        "{reasons:?}"
    );
    assert!(reasons.contains(&"PilothouseUncordon".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_viewer_is_forbidden_cleanly_and_the_failure_is_audited() {
    let sim = sim(20.0).await;
    let mut control = sim.runner(Config::default());
    let op = Operation::Scale {
        target: id("sim-prod-viewer", "shop", KubeKind::Deployment, "worker"),
        from: 3,
        to: 4,
    };
    let refused = plan(&mut control, &op).await.unwrap_err();
    assert!(matches!(refused, OpError::Forbidden(_)), "{refused:?}");
    // Forced past the plan: the 403 comes back as words, and both records are written.
    let (result, _) = execute(&mut control, &op, None).await;
    let error = result.unwrap_err();
    assert!(matches!(error, OpError::Forbidden(_)), "{error:?}");
    let records = sim.audit();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1]["ok"], false);
    assert!(
        records[1]["outcome"]
            .as_str()
            .unwrap()
            .starts_with("forbidden"),
        "{records:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_change_is_refused_by_the_dry_run_before_the_prompt() {
    let sim = sim(20.0).await;
    let mut control = sim.runner(Config::default());
    let op = Operation::Scale {
        target: id("sim-prod", "shop", KubeKind::Deployment, "no-such-thing"),
        from: 0,
        to: 2,
    };
    let refused = plan(&mut control, &op).await.unwrap_err();
    assert!(
        matches!(&refused, OpError::Refused(m) if m.contains("not found")),
        "{refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_velero_backup_is_made_from_its_schedule_and_verified_completed() {
    use kube::api::{ApiResource, DynamicObject};
    let sim = sim(20.0).await;
    let mut control = sim.runner(Config::default());
    let op = Operation::RunSchedule {
        target: pilothouse::ops::ScheduleRef {
            context: "sim-prod".into(),
            namespace: "velero".into(),
            name: "daily-full".into(),
        },
    };
    let planned = plan(&mut control, &op).await.expect("plan");
    assert!(planned.lines[0].contains("daily-full-"), "{planned:?}");
    let (result, _) = execute(&mut control, &op, Some("before the migration")).await;
    let words = result.expect("backup");
    assert!(words.contains("completed"), "{words}");

    let resource = ApiResource {
        group: "velero.io".into(),
        version: "v1".into(),
        api_version: "velero.io/v1".into(),
        kind: "Backup".into(),
        plural: "backups".into(),
    };
    let backups: Api<DynamicObject> =
        Api::namespaced_with(sim.client("sim-prod").await, "velero", &resource);
    let name = words
        .split_whitespace()
        .find_map(|w| w.strip_prefix("backup/"))
        .expect("the backup's name")
        .trim_end_matches(';')
        .to_string();
    let backup = backups.get(&name).await.expect("the Backup exists");
    assert_eq!(
        backup.metadata.labels.as_ref().unwrap()["velero.io/schedule-name"],
        "daily-full"
    );
    assert_eq!(backup.data["status"]["phase"], "Completed");
    assert_eq!(
        backup.data["spec"]["ttl"], "168h0m0s",
        "the schedule's template"
    );

    // A cluster without Velero refuses before the prompt, saying so.
    let staging = Operation::RunSchedule {
        target: pilothouse::ops::ScheduleRef {
            context: "sim-staging".into(),
            namespace: "velero".into(),
            name: "daily-full".into(),
        },
    };
    let refused = plan(&mut control, &staging).await.unwrap_err();
    assert!(refused.to_string().contains("Velero"), "{refused}");
}
