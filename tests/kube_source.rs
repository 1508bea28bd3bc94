//! The Kubernetes source against the simulated API server, in-process: a real kube-rs
//! client on one side, the sim on the other, the app's fleet in the middle. Each test
//! compares what the app holds with what the API says (read with a second kube-rs client).

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use pilothouse::app::{Action, App, KeyAction};
use pilothouse::config::{Keymap, Theme};
use pilothouse::logs::StreamKey;
use pilothouse::model::{KubeKind, SourceHealth, SourceKey, SourceKind};
use pilothouse::sim::clock::SimClock;
use pilothouse::sim::scenario::Scenario;
use pilothouse::sources::EventSink;
use pilothouse::sources::kube::{self as source, KubeControl, KubeInterest, KubeOptions};
use pilothouse::store::SourceEvent;
use pilothouse::ui::state::ViewKind;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How long any condition may take (real time).
const DEADLINE: Duration = Duration::from_secs(60);

struct Harness {
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
    kubeconfig: PathBuf,
    app: App,
    rx: mpsc::Receiver<SourceEvent>,
    control: Option<KubeControl>,
    cancel: CancellationToken,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn app() -> App {
    let theme = Theme::builtin("dark").expect("theme");
    let keymap = Keymap::builtin("default").expect("keymap");
    let chrome = pilothouse::ui::chrome_text(&keymap, &[]);
    App::new(theme, keymap, chrome, 64 << 20, jiff::Timestamp::now())
}

impl Harness {
    /// Start the sim's `scenario` at `speed` (unless `listen_later`), with no source yet.
    fn sim(scenario: &str, speed: f64) -> Harness {
        let runtime = runtime();
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("kubeconfig");
        let scenario = Scenario::load(scenario).expect("scenario");
        let sim = runtime
            .block_on(pilothouse::sim::kube::start_sim(
                "127.0.0.1:0".parse().expect("address"),
                &scenario.kubernetes,
                SimClock::new(speed),
                7,
                Some(&out),
            ))
            .expect("sim starts");
        let (_tx, rx) = mpsc::channel(1);
        Harness {
            runtime,
            _dir: dir,
            kubeconfig: sim.kubeconfig,
            app: app(),
            rx,
            control: None,
            cancel: CancellationToken::new(),
        }
    }

    /// Connect the source to `contexts` in `namespace` (None: all).
    fn connect(&mut self, contexts: &[&str], namespace: Option<&str>) {
        let (set, problems) = source::load_kubeconfig(std::slice::from_ref(&self.kubeconfig), true);
        assert!(problems.is_empty(), "{problems:?}");
        let set = set.expect("kubeconfig");
        let (tx, rx) = mpsc::channel(4096);
        self.rx = rx;
        let interest = KubeInterest {
            contexts: contexts.iter().map(|c| c.to_string()).collect(),
            namespace: namespace.map(str::to_string),
            logs: Default::default(),
        };
        self.app.fleet.available_contexts = set.contexts();
        self.app.kube.active = interest.contexts.clone();
        self.app.ui.scope.namespace = interest.namespace.clone();
        let _guard = self.runtime.enter();
        self.control = Some(source::spawn(
            set.kubeconfig,
            interest,
            KubeOptions::default(),
            EventSink::new(tx),
            &self.cancel,
        ));
    }

    /// Apply source events to the app (telling the source what the app wants after each
    /// burst, as the event loop does) until `done` holds. False at the deadline.
    fn until(&mut self, what: &str, done: impl Fn(&App) -> bool) {
        let start = Instant::now();
        loop {
            self.app.prepare_frame();
            if let Some(control) = &self.control {
                control.set_interest(self.app.kube_interest());
            }
            if done(&self.app) {
                return;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for: {what}\nsources: {:?}",
                self.app.fleet.sources
            );
            let rx = &mut self.rx;
            let events = self.runtime.block_on(async {
                let mut out = Vec::new();
                if let Ok(Some(e)) =
                    tokio::time::timeout(Duration::from_millis(100), rx.recv()).await
                {
                    out.push(e);
                    while let Ok(e) = rx.try_recv() {
                        out.push(e);
                    }
                }
                out
            });
            for event in events {
                self.app.update(Action::Source(event));
            }
        }
    }

    /// Apply whatever the source sends for `for_how_long`.
    fn pump(&mut self, for_how_long: Duration) {
        let start = Instant::now();
        self.until("pumping", |_| false_after(start, for_how_long));
    }

    fn client(&self, context: &str) -> Client {
        self.runtime.block_on(async {
            let kubeconfig = kube::config::Kubeconfig::read_from(&self.kubeconfig).expect("read");
            let config = kube::Config::from_custom_kubeconfig(
                kubeconfig,
                &kube::config::KubeConfigOptions {
                    context: Some(context.to_string()),
                    ..Default::default()
                },
            )
            .await
            .expect("config");
            Client::try_from(config).expect("client")
        })
    }

    /// Pod names in `namespace` as the API lists them.
    fn api_pods(&self, context: &str, namespace: &str) -> BTreeSet<String> {
        let api: Api<Pod> = Api::namespaced(self.client(context), namespace);
        self.runtime
            .block_on(api.list(&ListParams::default()))
            .expect("list pods")
            .items
            .into_iter()
            .filter_map(|p| p.metadata.name)
            .collect()
    }
}

/// False until `how_long` after `start`: a condition that makes `until` pump for a while.
fn false_after(start: Instant, how_long: Duration) -> bool {
    start.elapsed() >= how_long
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn fleet_pods(app: &App, context: &str, namespace: &str) -> BTreeSet<String> {
    app.fleet
        .pods
        .values()
        .filter(|p| p.id.context == context && p.id.namespace == namespace)
        .map(|p| p.id.name.clone())
        .collect()
}

fn health(app: &App, context: &str) -> Option<SourceHealth> {
    app.fleet
        .sources
        .get(&SourceKey::new(SourceKind::Kubernetes, context))
        .cloned()
}

fn workload<'a>(
    app: &'a App,
    context: &str,
    kind: KubeKind,
    name: &str,
) -> Option<&'a pilothouse::model::Workload> {
    app.fleet
        .workloads
        .values()
        .find(|w| w.id.context == context && w.id.kind == kind && w.id.name == name)
}

/// The fleet's pods in `shop` are exactly the API's, and none is terminating.
fn settled(h: &mut Harness, what: &str) {
    let mut api = h.api_pods("sim-prod", "shop");
    for _ in 0..20 {
        let expected = api.clone();
        let start = Instant::now();
        let mut matched = false;
        while start.elapsed() < Duration::from_secs(5) {
            h.pump(Duration::from_millis(100));
            if fleet_pods(&h.app, "sim-prod", "shop") == expected {
                matched = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let again = h.api_pods("sim-prod", "shop");
        if matched && again == expected {
            return;
        }
        api = again;
    }
    panic!(
        "{what}: fleet pods {:?} never matched the API's {:?}",
        fleet_pods(&h.app, "sim-prod", "shop"),
        api
    );
}

#[test]
fn views_match_the_api_after_scale_delete_rollout_and_cronjob_run() {
    let mut h = Harness::sim("default", 20.0);
    h.connect(&["sim-prod"], None);
    h.until("prod live with api pods", |app| {
        health(app, "sim-prod") == Some(SourceHealth::Live)
            && workload(app, "sim-prod", KubeKind::Deployment, "api").is_some_and(|w| w.ready == 4)
    });
    settled(&mut h, "initial list");
    let client = h.client("sim-prod");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "shop");

    // Scale up: the workload row and the pods follow.
    let scale = serde_json::json!({"spec": {"replicas": 6}});
    h.runtime
        .block_on(deployments.patch_scale("api", &PatchParams::default(), &Patch::Merge(&scale)))
        .expect("scale");
    h.until("api scaled to 6 and ready", |app| {
        workload(app, "sim-prod", KubeKind::Deployment, "api")
            .is_some_and(|w| w.desired == 6 && w.ready == 6)
    });
    settled(&mut h, "after scale-up");

    // Delete a pod: its row goes, the replacement appears.
    let victim = h
        .app
        .fleet
        .pods
        .values()
        .find(|p| p.id.name.starts_with("api-"))
        .expect("an api pod")
        .id
        .name
        .clone();
    let pods: Api<Pod> = Api::namespaced(client.clone(), "shop");
    h.runtime
        .block_on(pods.delete(&victim, &DeleteParams::default()))
        .expect("delete pod");
    h.until("victim gone", |app| {
        !fleet_pods(app, "sim-prod", "shop").contains(&victim)
    });
    settled(&mut h, "after delete");

    // Rollout restart: a new revision, and the pods are all new ones.
    let before: BTreeSet<String> = fleet_pods(&h.app, "sim-prod", "shop")
        .into_iter()
        .filter(|p| p.starts_with("api-"))
        .collect();
    let revision = workload(&h.app, "sim-prod", KubeKind::Deployment, "api")
        .and_then(|w| w.revision)
        .expect("revision");
    let restart = serde_json::json!({"spec": {"template": {"metadata": {"annotations": {
        "kubectl.kubernetes.io/restartedAt": "2026-11-22T03:00:00Z"}}}}});
    h.runtime
        .block_on(deployments.patch("api", &PatchParams::default(), &Patch::Merge(&restart)))
        .expect("restart");
    h.until("rollout finished", |app| {
        workload(app, "sim-prod", KubeKind::Deployment, "api").is_some_and(|w| {
            w.revision == Some(revision + 1) && w.updated == 6 && w.ready == 6 && w.available == 6
        }) && {
            let now: BTreeSet<String> = fleet_pods(app, "sim-prod", "shop")
                .into_iter()
                .filter(|p| p.starts_with("api-"))
                .collect();
            now.len() == 6 && now.is_disjoint(&before)
        }
    });
    settled(&mut h, "after rollout");

    // A CronJob run (as `kubectl create job --from=cronjob/redis-backup`): the Job appears,
    // runs, succeeds, and its pod comes and goes in the fleet.
    let cronjobs: Api<CronJob> = Api::namespaced(client.clone(), "shop");
    let cj = h
        .runtime
        .block_on(cronjobs.get("redis-backup"))
        .expect("cronjob");
    let template = cj.spec.job_template.spec.expect("job spec");
    let job = Job {
        metadata: kube::api::ObjectMeta {
            name: Some("redis-backup-manual".into()),
            annotations: Some(
                [(
                    "cronjob.kubernetes.io/instantiate".to_string(),
                    "manual".to_string(),
                )]
                .into(),
            ),
            ..Default::default()
        },
        spec: Some(template),
        ..Default::default()
    };
    let jobs: Api<Job> = Api::namespaced(client, "shop");
    h.runtime
        .block_on(jobs.create(&PostParams::default(), &job))
        .expect("create job");
    h.until("manual job succeeded", |app| {
        workload(app, "sim-prod", KubeKind::Job, "redis-backup-manual")
            .and_then(|w| w.job.clone())
            .is_some_and(|j| j.succeeded >= 1 && j.active == 0)
    });
    settled(&mut h, "after the job");
}

#[test]
fn dropped_watches_resume_without_ghosts_and_expired_versions_relist() {
    let mut h = Harness::sim("default", 20.0);
    h.connect(&["sim-prod"], Some("shop"));
    h.until("live", |app| {
        health(app, "sim-prod") == Some(SourceHealth::Live)
    });
    settled(&mut h, "initial");
    let client = h.client("sim-prod");
    // Watches dropped every second while the deployment scales up and down.
    fault(
        &h,
        &client,
        serde_json::json!({"kind": "drop_watches", "every": "1s"}),
    );
    let deployments: Api<Deployment> = Api::namespaced(h.client("sim-prod"), "shop");
    for replicas in [7, 2, 5] {
        let scale = serde_json::json!({"spec": {"replicas": replicas}});
        h.runtime
            .block_on(deployments.patch_scale(
                "frontend",
                &PatchParams::default(),
                &Patch::Merge(&scale),
            ))
            .expect("scale");
        h.until("frontend scaled", |app| {
            workload(app, "sim-prod", KubeKind::Deployment, "frontend")
                .is_some_and(|w| w.desired == replicas && w.ready == replicas)
        });
    }
    settled(&mut h, "after dropped watches");
    // History compacted: resuming watches get 410 Gone and must list again.
    fault(
        &h,
        &client,
        serde_json::json!({"kind": "expire_resource_versions"}),
    );
    let scale = serde_json::json!({"spec": {"replicas": 3}});
    h.runtime
        .block_on(deployments.patch_scale(
            "frontend",
            &PatchParams::default(),
            &Patch::Merge(&scale),
        ))
        .expect("scale");
    h.until("frontend at 3", |app| {
        workload(app, "sim-prod", KubeKind::Deployment, "frontend")
            .is_some_and(|w| w.desired == 3 && w.ready == 3)
    });
    settled(&mut h, "after expired resource versions");
    // No object appears twice: the fleet is keyed, but say it plainly.
    let names: Vec<String> = h
        .app
        .fleet
        .pods
        .values()
        .map(|p| p.id.name.clone())
        .collect();
    let unique: BTreeSet<&String> = names.iter().collect();
    assert_eq!(names.len(), unique.len());
}

/// Add a fault through the sim's control API.
fn fault(h: &Harness, client: &Client, spec: serde_json::Value) {
    let request = http::Request::post("/sim/v1/faults")
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&spec).expect("json"))
        .expect("request");
    h.runtime
        .block_on(client.request_text(request))
        .expect("fault accepted");
}

#[test]
fn an_api_server_down_at_start_is_picked_up_when_it_comes_back() {
    let runtime = runtime();
    // A port nobody listens on yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let dir = tempfile::tempdir().expect("dir");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: late\nclusters:\n- name: late\n  cluster:\n    server: http://127.0.0.1:{port}\nusers:\n- name: late\n  user: {{}}\ncontexts:\n- name: late\n  context:\n    cluster: late\n    user: late\n"
        ),
    )
    .expect("write kubeconfig");
    let mut h = Harness {
        runtime,
        _dir: dir,
        kubeconfig,
        app: app(),
        rx: mpsc::channel(1).1,
        control: None,
        cancel: CancellationToken::new(),
    };
    h.connect(&["late"], None);
    h.until("late is unavailable", |app| {
        matches!(health(app, "late"), Some(SourceHealth::Unavailable { .. }))
    });
    assert!(h.app.fleet.pods.is_empty());
    // The API server comes up on that port.
    let scenario = Scenario::load("default").expect("scenario");
    h.runtime
        .block_on(pilothouse::sim::kube::start_sim(
            format!("127.0.0.1:{port}").parse().expect("address"),
            &scenario.kubernetes,
            SimClock::new(20.0),
            7,
            Some(&h._dir.path().join("sim-kubeconfig")),
        ))
        .expect("sim starts late");
    h.until("late is live with pods", |app| {
        health(app, "late") == Some(SourceHealth::Live)
            && fleet_pods(app, "late", "shop").len() >= 10
    });
}

#[test]
fn the_viewer_context_shows_forbidden_resources_as_forbidden() {
    let mut h = Harness::sim("default", 20.0);
    h.connect(&["sim-prod-viewer"], None);
    h.until(
        "viewer sees pods, nodes forbidden, grants answered",
        |app| {
            !fleet_pods(app, "sim-prod-viewer", "shop").is_empty()
                && app.fleet.access.read_forbidden("sim-prod-viewer", "nodes")
                && app
                    .fleet
                    .access
                    .allowed("sim-prod-viewer", None, "patch", "deployments/scale")
                    .is_some()
        },
    );
    assert!(!h.app.fleet.access.read_forbidden("sim-prod-viewer", "pods"));
    assert!(
        h.app
            .fleet
            .nodes
            .values()
            .all(|n| n.context != "sim-prod-viewer")
    );
    assert_eq!(
        h.app
            .fleet
            .access
            .allowed("sim-prod-viewer", None, "patch", "deployments/scale"),
        Some(false)
    );
    assert_eq!(
        h.app
            .fleet
            .access
            .allowed("sim-prod-viewer", None, "get", "pods/log"),
        Some(true)
    );
    // The nodes view says so instead of showing an empty table.
    h.app.update(Action::Do(KeyAction::ViewNodes));
    let text = render(&mut h.app);
    assert!(text.contains("forbidden"), "{text}");

    // The admin's answers differ.
    let mut admin = Harness::sim("default", 20.0);
    admin.connect(&["sim-prod"], None);
    admin.until("admin grants", |app| {
        app.fleet
            .access
            .allowed("sim-prod", None, "patch", "deployments/scale")
            .is_some()
            && !app.fleet.nodes.is_empty()
    });
    assert_eq!(
        admin
            .app
            .fleet
            .access
            .allowed("sim-prod", None, "patch", "deployments/scale"),
        Some(true)
    );
}

/// The backups view's targets as `reference@place`, with their last success.
fn backup_targets(app: &App) -> std::collections::BTreeMap<String, Option<jiff::Timestamp>> {
    pilothouse::store::backups::targets(&app.fleet)
        .map(|(_, t)| {
            (
                format!("{}@{}", t.reference(), t.place(&app.fleet)),
                t.last_success(),
            )
        })
        .collect()
}

#[test]
fn backups_view_lists_velero_schedules_and_backup_cronjobs_where_velero_is_served() {
    let mut h = Harness::sim("default", 1.0);
    h.connect(&["sim-prod", "sim-staging"], None);
    let with_success = [
        "schedule/daily-full@velero@sim-prod",
        "schedule/hourly-incremental@velero@sim-prod",
        "cronjob/postgres-backup@shop@sim-prod",
        "cronjob/redis-backup@shop@sim-prod",
    ];
    h.until(
        "prod's schedules and both contexts' backup CronJobs",
        |app| {
            let targets = backup_targets(app);
            with_success
                .iter()
                .all(|t| targets.get(*t).is_some_and(Option::is_some))
                && targets.contains_key("cronjob/postgres-backup@shop@sim-staging")
                && health(app, "sim-staging") == Some(SourceHealth::Live)
                && health(app, "sim-prod") == Some(SourceHealth::Live)
        },
    );
    // Staging serves no velero.io: no schedules there, and that is neither an error nor a
    // refusal. Pumping a while longer shows it stays so (no retry turns it into one).
    h.pump(Duration::from_secs(2));
    let targets = backup_targets(&h.app);
    assert!(
        h.app
            .fleet
            .schedules
            .values()
            .all(|s| s.context == "sim-prod"),
        "{targets:?}"
    );
    assert_eq!(health(&h.app, "sim-staging"), Some(SourceHealth::Live));
    assert!(
        !h.app
            .fleet
            .access
            .read_forbidden("sim-staging", "schedules")
    );
    // Only backups count: the shop's other CronJobs and workloads are not targets.
    assert_eq!(targets.len(), 5, "{targets:?}");

    h.app.ui.now = jiff::Timestamp::now();
    h.app.update(Action::Do(KeyAction::ViewBackups));
    let text = render(&mut h.app);
    for wanted in [
        "schedule/daily-full",
        "schedule/hourly-incremental",
        "cronjob/redis-backup",
    ] {
        assert!(text.contains(wanted), "{wanted} missing:\n{text}");
    }
    assert!(text.contains("0 1 * * *"), "{text}");
    assert!(!text.contains("forbidden"), "{text}");
    assert!(
        !text.contains("NEVER"),
        "every target has succeeded:\n{text}"
    );
}

fn render(app: &mut App) -> String {
    common::screen_text(&common::draw(app, 160, 40))
}

#[test]
fn five_seconds_of_api_latency_leave_the_ui_responsive() {
    let mut h = Harness::sim("default", 20.0);
    let client = h.client("sim-prod");
    fault(
        &h,
        &client,
        serde_json::json!({"kind": "api_latency", "latency_ms": 5000}),
    );
    let started = Instant::now();
    h.connect(&["sim-prod"], None);
    // While every request waits, the app takes keys and commands and draws.
    let mut handled = 0;
    for (i, view) in [
        KeyAction::ViewPods,
        KeyAction::ViewWorkloads,
        KeyAction::ViewNodes,
    ]
    .into_iter()
    .enumerate()
    {
        let t = Instant::now();
        h.app.update(Action::Do(view));
        h.app.update(Action::Command(format!("ns shop{i}")));
        let _ = render(&mut h.app);
        h.pump(Duration::from_millis(200));
        // No assertion on time per action (CI machines vary): only that it was handled
        // while the source still waited.
        let _ = t.elapsed();
        handled += 1;
        assert!(h.app.fleet.pods.is_empty(), "no pod can have arrived yet");
    }
    assert_eq!(handled, 3);
    assert_eq!(h.app.ui.view, ViewKind::Nodes);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the actions did not wait for the API"
    );
    assert!(matches!(
        health(&h.app, "sim-prod"),
        Some(SourceHealth::Connecting)
    ));
    h.app.update(Action::Command("ns all".into()));
    h.until("live after the latency", |app| {
        health(app, "sim-prod") == Some(SourceHealth::Live) && !app.fleet.pods.is_empty()
    });
}

#[test]
fn a_metrics_round_in_flight_ends_when_its_context_is_cancelled() {
    // A switched-away context must not keep a metrics request open: on a big cluster the
    // API server would still build the whole answer for nobody.
    let h = Harness::sim("default", 20.0);
    let client = h.client("sim-prod");
    fault(
        &h,
        &client,
        serde_json::json!({"kind": "api_latency", "latency_ms": 5000}),
    );
    let (tx, _rx) = mpsc::channel(16);
    let cancel = CancellationToken::new();
    let (_listed_tx, listed) = tokio::sync::watch::channel(true);
    let sampler = h.runtime.spawn(source::metrics::sample(
        client,
        "sim-prod".into(),
        None,
        Duration::from_secs(15),
        listed,
        EventSink::new(tx),
        cancel.clone(),
    ));
    // Let the round's first request go out and wait on the latency.
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    cancel.cancel();
    h.runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(3), sampler).await })
        .expect("the sampler ends without waiting for the answer")
        .expect("the sampler does not panic");
    assert!(t.elapsed() < Duration::from_secs(3));
}

#[test]
fn workload_logs_follow_pods_across_a_rolling_restart() {
    let mut h = Harness::sim("default", 10.0);
    h.connect(&["sim-prod"], Some("shop"));
    h.until("frontend ready", |app| {
        workload(app, "sim-prod", KubeKind::Deployment, "frontend").is_some_and(|w| w.ready == 4)
            && app
                .fleet
                .pods
                .values()
                .filter(|p| p.id.name.starts_with("frontend-"))
                .count()
                == 4
    });
    // Open the frontend deployment's logs from the workloads view.
    h.app.update(Action::Do(KeyAction::ViewWorkloads));
    h.app.update(Action::Command("ns shop".into()));
    h.app.prepare_frame();
    let rows = h.app.ui.table(ViewKind::Workloads).rows.len();
    for _ in 0..rows {
        let selected = h.app.ui.table(ViewKind::Workloads).selected_item();
        let name = selected
            .and_then(|i| h.app.fleet.workloads.get_index(i as usize))
            .map(|w| w.id.name.clone());
        if name.as_deref() == Some("frontend") {
            break;
        }
        h.app.update(Action::Do(KeyAction::Down));
        h.app.prepare_frame();
    }
    h.app.update(Action::Do(KeyAction::OpenLogs));
    assert_eq!(h.app.ui.view, ViewKind::Logs);
    let first_pods: BTreeSet<String> = pods_with_lines(&h.app);
    h.until("lines from the frontend pods", |app| {
        pods_with_lines(app).len() == 4
    });
    let before = pods_with_lines(&h.app);
    assert!(first_pods.is_subset(&before));
    // Rolling restart: new pods come, their lines arrive in the same pane.
    let deployments: Api<Deployment> = Api::namespaced(h.client("sim-prod"), "shop");
    let restart = serde_json::json!({"spec": {"template": {"metadata": {"annotations": {
        "kubectl.kubernetes.io/restartedAt": "2026-11-22T04:00:00Z"}}}}});
    h.runtime
        .block_on(deployments.patch("frontend", &PatchParams::default(), &Patch::Merge(&restart)))
        .expect("restart");
    h.until("lines from four new pods", |app| {
        pods_with_lines(app).difference(&before).count() >= 4
    });
    // The old pods' lines are still in the pane.
    let pane = h.app.log_pane.as_ref().expect("pane");
    let streams: BTreeSet<&StreamKey> = pane.streams().iter().collect();
    assert!(
        streams.len() >= 8,
        "old and new pods' streams: {}",
        streams.len()
    );
}

/// Pods whose streams in the open pane have lines in the store.
fn pods_with_lines(app: &App) -> BTreeSet<String> {
    let Some(pane) = &app.log_pane else {
        return BTreeSet::new();
    };
    pane.streams()
        .iter()
        .filter(|s| {
            app.logs
                .stream_stats(s)
                .is_some_and(|st| st.retained_lines > 0)
        })
        .filter_map(|s| match s {
            StreamKey::Kube { pod, .. } => Some(pod.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn two_contexts_at_once_and_namespace_scope_changes_without_restart() {
    let mut h = Harness::sim("default", 20.0);
    h.connect(&["sim-prod", "sim-staging"], None);
    h.until("both contexts live with pods", |app| {
        health(app, "sim-prod") == Some(SourceHealth::Live)
            && health(app, "sim-staging") == Some(SourceHealth::Live)
            && !fleet_pods(app, "sim-staging", "shop").is_empty()
            && !fleet_pods(app, "sim-prod", "payments").is_empty()
    });
    // Scope to `payments`: the watches restart there, other namespaces leave the fleet.
    h.app.update(Action::Command("ns payments".into()));
    h.until("only payments pods", |app| {
        !app.fleet.pods.is_empty()
            && app
                .fleet
                .pods
                .values()
                .all(|p| p.id.namespace == "payments")
    });
    assert!(
        fleet_pods(&h.app, "sim-staging", "payments").is_empty(),
        "staging has no payments"
    );
    // Back to every namespace.
    h.app.update(Action::Command("ns all".into()));
    h.until("shop and payments again", |app| {
        !fleet_pods(app, "sim-prod", "shop").is_empty()
            && !fleet_pods(app, "sim-prod", "payments").is_empty()
    });
    // Drop one context, add it back by name.
    h.app.update(Action::Command("ctx -sim-staging".into()));
    h.until("staging forgotten", |app| {
        app.fleet
            .pods
            .values()
            .all(|p| p.id.context != "sim-staging")
    });
    h.app.update(Action::Command("ctx sim-staging".into()));
    h.until("staging back", |app| {
        !fleet_pods(app, "sim-staging", "shop").is_empty()
    });
    assert_eq!(h.app.ui.scope.context.as_deref(), Some("sim-staging"));
}
