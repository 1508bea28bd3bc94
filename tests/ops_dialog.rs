//! The operation dialog end to end, in-process (DESIGN.md §6, §9): the app with its real
//! ops runner and Kubernetes source against the simulated API server, driven by keys and
//! palette commands. Each test reads the result back through the API with a second client,
//! and the read-only test counts the requests the sim answered.
//!
//! The dialog's 300 ms guard is tested through its clock (`OpDialog::answerable_since`):
//! set into the past the guard is over, set into the future it has just begun, so no test
//! depends on how fast it presses keys.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossterm::event::KeyCode;
use k8s_openapi::api::apps::v1::Deployment;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client};
use pilothouse::app::{Action, App};
use pilothouse::config::{Config, Keymap, Theme};
use pilothouse::model::{KubeId, KubeKind, SourceHealth, SourceKey, SourceKind};
use pilothouse::ops::docker::ContainerAction;
use pilothouse::ops::policy::Tier;
use pilothouse::ops::runner::{self, OpRequest, OpUpdate, OpsControl, OpsSettings};
use pilothouse::ops::{ContainerRef, OpError, Operation, ScheduleRef};
use pilothouse::sim::clock::SimClock;
use pilothouse::sim::kube::KubeSim;
use pilothouse::sim::scenario::Scenario;
use pilothouse::sources::EventSink;
use pilothouse::sources::kube::{self as source, KubeControl, KubeInterest, KubeOptions};
use pilothouse::store::SourceEvent;
use pilothouse::ui::confirm::{Field, Phase};
use pilothouse::ui::state::ViewKind;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How long any condition may take (real time).
const DEADLINE: Duration = Duration::from_secs(60);

struct Harness {
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
    data: PathBuf,
    kubeconfig: PathBuf,
    _sim: KubeSim,
    app: App,
    rx: mpsc::Receiver<SourceEvent>,
    source: Option<KubeControl>,
    source_cancel: CancellationToken,
    cancel: CancellationToken,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl Harness {
    /// The default scenario at speed 20, the app with `config`, the ops runner attached
    /// (with the same config, as `main` does) and the Kubernetes source on `contexts`.
    fn start(config: Config, contexts: &[&str]) -> Harness {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("kubeconfig");
        let scenario = Scenario::load("default").expect("scenario");
        let sim = runtime
            .block_on(pilothouse::sim::kube::start_sim(
                "127.0.0.1:0".parse().expect("address"),
                &scenario.kubernetes,
                SimClock::new(20.0),
                7,
                Some(&out),
            ))
            .expect("sim starts");
        let theme = Theme::builtin("dark").expect("theme");
        let keymap = Keymap::builtin("default").expect("keymap");
        let chrome = pilothouse::ui::chrome_text(&keymap, &[]);
        let mut app = App::new(theme, keymap, chrome, 64 << 20, jiff::Timestamp::now());
        app.config = config;
        let (_tx, rx) = mpsc::channel(1);
        let mut h = Harness {
            runtime,
            data: dir.path().join("data"),
            _dir: dir,
            kubeconfig: sim.kubeconfig.clone(),
            _sim: sim,
            app,
            rx,
            source: None,
            source_cancel: CancellationToken::new(),
            cancel: CancellationToken::new(),
        };
        let control = h.runner(h.app.config.clone());
        h.app.ops.attach(control);
        h.connect(contexts);
        h
    }

    /// A new ops runner with `config`, as `main` spawns it.
    fn runner(&self, config: Config) -> OpsControl {
        let _guard = self.runtime.enter();
        runner::spawn(
            OpsSettings {
                kubeconfig: Some(Kubeconfig::read_from(&self.kubeconfig).expect("kubeconfig")),
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

    fn connect(&mut self, contexts: &[&str]) {
        let (set, problems) = source::load_kubeconfig(std::slice::from_ref(&self.kubeconfig), true);
        assert!(problems.is_empty(), "{problems:?}");
        let set = set.expect("kubeconfig");
        let (tx, rx) = mpsc::channel(4096);
        self.rx = rx;
        let interest = KubeInterest {
            contexts: contexts.iter().map(|c| c.to_string()).collect(),
            namespace: None,
            logs: Default::default(),
        };
        self.app.fleet.available_contexts = set.contexts();
        self.app.kube.active = interest.contexts.clone();
        let _guard = self.runtime.enter();
        self.source = Some(source::spawn(
            set.kubeconfig,
            interest,
            KubeOptions::default(),
            EventSink::new(tx),
            &self.source_cancel,
        ));
    }

    /// Stop the Kubernetes source and wait until its last sender is gone, so that from
    /// here on the sim's request counters move only for the ops runner.
    fn stop_source(&mut self) {
        self.source_cancel.cancel();
        self.source = None;
        let rx = &mut self.rx;
        let closed = self.runtime.block_on(async {
            tokio::time::timeout(DEADLINE, async {
                while let Some(event) = rx.recv().await {
                    drop(event);
                }
            })
            .await
        });
        assert!(closed.is_ok(), "the source did not stop");
    }

    /// Apply source events and runner updates to the app until `done` holds.
    fn until(&mut self, what: &str, done: impl Fn(&App) -> bool) {
        let start = Instant::now();
        loop {
            self.app.prepare_frame();
            if let Some(control) = &self.source {
                control.set_interest(self.app.kube_interest());
            }
            if done(&self.app) {
                return;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for: {what}\nstatus: {:?}\ndialog: {:?}",
                self.app.ui.status,
                self.app.ui.operation.as_ref().map(|d| &d.phase)
            );
            let rx = &mut self.rx;
            let events = self.runtime.block_on(async {
                let mut out = Vec::new();
                match tokio::time::timeout(Duration::from_millis(50), rx.recv()).await {
                    Ok(Some(e)) => {
                        out.push(e);
                        while let Ok(e) = rx.try_recv() {
                            out.push(e);
                        }
                    }
                    // The source is stopped: only the runner's updates can still come.
                    Ok(None) => tokio::time::sleep(Duration::from_millis(20)).await,
                    Err(_) => {}
                }
                out
            });
            for event in events {
                self.app.update(Action::Source(event));
            }
        }
    }

    fn client(&self, context: &str) -> Client {
        self.runtime.block_on(async {
            let kubeconfig = Kubeconfig::read_from(&self.kubeconfig).expect("read");
            let config = kube::Config::from_custom_kubeconfig(
                kubeconfig,
                &KubeConfigOptions {
                    context: Some(context.to_string()),
                    ..Default::default()
                },
            )
            .await
            .expect("config");
            Client::try_from(config).expect("client")
        })
    }

    /// `spec.replicas` of a Deployment, as the API has it.
    fn replicas(&self, context: &str, namespace: &str, name: &str) -> i32 {
        let api: Api<Deployment> = Api::namespaced(self.client(context), namespace);
        self.runtime
            .block_on(api.get(name))
            .expect("get deployment")
            .spec
            .replicas
            .unwrap_or_default()
    }

    /// `GET /sim/v1/status` of the cluster behind `context`: (requests, mutations).
    fn sim_counts(&self, context: &str) -> (u64, u64) {
        let client = self.client(context);
        let request = http::Request::get("/sim/v1/status")
            .body(Vec::new())
            .expect("request");
        let status: Value = self
            .runtime
            .block_on(client.request(request))
            .expect("sim status");
        (
            status["requests"].as_u64().expect("requests"),
            status["mutations"].as_u64().expect("mutations"),
        )
    }

    fn audit(&self) -> Vec<Value> {
        std::fs::read_to_string(self.data.join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("audit line is JSON"))
            .collect()
    }

    fn key(&mut self, code: KeyCode) {
        common::key(&mut self.app, code);
    }

    fn type_text(&mut self, text: &str) {
        common::type_text(&mut self.app, text);
    }

    /// Run a palette command (what `:` + the line + Enter does) and, if it opened a
    /// dialog, wait for its plan.
    fn command(&mut self, line: &str) {
        self.app.ui.status = None;
        self.app.update(Action::Command(line.to_string()));
        if self.app.ui.operation.is_some() {
            self.until(&format!("the plan of `{line}`"), |app| {
                !matches!(phase(app), Some(Phase::Planning))
            });
        }
    }

    /// The guard is over: the dialog became answerable a second ago.
    fn guard_over(&mut self) {
        let dialog = self.app.ui.operation.as_mut().expect("a dialog");
        dialog.answerable_since = Instant::now() - Duration::from_secs(1);
    }

    /// The guard has just begun, and cannot run out while the test presses keys.
    fn guard_fresh(&mut self) {
        let dialog = self.app.ui.operation.as_mut().expect("a dialog");
        dialog.answerable_since = Instant::now() + Duration::from_secs(3600);
    }

    /// Wait for the open dialog's operation to finish and return its result.
    fn finished(&mut self) -> Result<String, OpError> {
        self.until("the operation to finish", |app| {
            matches!(phase(app), Some(Phase::Finished { .. }))
        });
        match phase(&self.app) {
            Some(Phase::Finished { result, .. }) => result.clone(),
            _ => unreachable!(),
        }
    }

    /// Select the first row of `view` filtered to `filter`.
    fn select(&mut self, view: ViewKind, filter: &str) {
        self.app.go(view);
        let state = self.app.ui.table_mut(view);
        state.filter = filter.to_string();
        state.selected = 0;
        state.invalidate();
        self.app.prepare_frame();
        let state = self.app.ui.table_mut(view);
        // Group rows (a Compose project) are not items; take the first item.
        let first = state
            .rows
            .iter()
            .position(|r| r.item().is_some())
            .unwrap_or_else(|| panic!("no row of {view:?} matches `{filter}`"));
        state.selected = first;
    }

    fn status(&self) -> String {
        self.app
            .ui
            .status
            .as_ref()
            .map(|s| s.text.clone())
            .unwrap_or_default()
    }
}

fn phase(app: &App) -> Option<&Phase> {
    app.ui.operation.as_ref().map(|d| &d.phase)
}

fn live(app: &App, context: &str) -> bool {
    app.fleet
        .sources
        .get(&SourceKey::new(SourceKind::Kubernetes, context))
        == Some(&SourceHealth::Live)
}

fn has_workload(app: &App, context: &str, kind: KubeKind, name: &str) -> bool {
    app.fleet
        .workloads
        .values()
        .any(|w| w.id.context == context && w.id.kind == kind && w.id.name == name)
}

/// Low tier (a staging context): `n`, Esc and Enter on the default No cancel; `y` inside
/// the guard does nothing; `y` after it executes, and the API shows the new count.
#[test]
fn low_tier_defaults_to_no_ignores_keys_in_the_guard_and_confirms_with_y() {
    let mut h = Harness::start(Config::default(), &["sim-staging"]);
    h.until("staging live with its worker", |app| {
        live(app, "sim-staging") && has_workload(app, "sim-staging", KubeKind::Deployment, "worker")
    });
    assert_eq!(h.replicas("sim-staging", "shop", "worker"), 1);
    let line = "scale deploy/worker 3 -n shop @sim-staging";

    for cancel in [KeyCode::Char('n'), KeyCode::Esc, KeyCode::Enter] {
        h.command(line);
        let dialog = h.app.ui.operation.as_ref().expect("a dialog opens");
        assert!(
            matches!(dialog.phase, Phase::Confirming(_)),
            "{:?}",
            dialog.phase
        );
        assert_eq!(dialog.confirmation.tier, Tier::Low);
        assert!(!dialog.confirmation.protected);
        assert!(!dialog.yes_selected, "the dialog starts on No");
        h.guard_over();
        h.key(cancel);
        assert!(h.app.ui.operation.is_none(), "{cancel:?} closes the dialog");
        assert!(
            h.status().contains("cancelled"),
            "{cancel:?}: {}",
            h.status()
        );
    }
    assert_eq!(h.replicas("sim-staging", "shop", "worker"), 1);
    assert!(
        h.audit().is_empty(),
        "nothing was executed, nothing audited"
    );

    // Inside the guard neither `y` nor Tab + Enter (Yes highlighted) answers it.
    h.command(line);
    h.guard_fresh();
    h.key(KeyCode::Char('y'));
    h.key(KeyCode::Tab);
    h.key(KeyCode::Enter);
    let dialog = h.app.ui.operation.as_ref().expect("still open");
    assert!(matches!(dialog.phase, Phase::Confirming(_)));
    assert!(!dialog.yes_selected, "keys in the guard are ignored");
    assert_eq!(h.replicas("sim-staging", "shop", "worker"), 1);
    assert!(h.audit().is_empty());

    // After it, `y` goes ahead.
    h.guard_over();
    h.key(KeyCode::Char('y'));
    assert!(matches!(phase(&h.app), Some(Phase::Running { .. })));
    let result = h.finished();
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(h.replicas("sim-staging", "shop", "worker"), 3);
    let audit = h.audit();
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert_eq!(audit[0]["phase"], "intent");
    assert_eq!(audit[1]["ok"], true);
    h.key(KeyCode::Enter);
    assert!(
        h.app.ui.operation.is_none(),
        "Enter closes the finished dialog"
    );
}

/// High tier (prod is protected): a wrong name does not confirm and says why; the right
/// name without a reason does not either; Esc cancels whenever; name and reason confirm.
#[test]
fn high_tier_needs_the_exact_name_and_a_reason_and_esc_always_cancels() {
    let mut h = Harness::start(Config::default(), &["sim-prod"]);
    h.until("prod live with its worker", |app| {
        live(app, "sim-prod") && has_workload(app, "sim-prod", KubeKind::Deployment, "worker")
    });
    assert_eq!(h.replicas("sim-prod", "shop", "worker"), 3);
    let line = "scale deploy/worker 5 -n shop @sim-prod";

    // Esc while planning.
    h.app.update(Action::Command(line.to_string()));
    assert!(matches!(phase(&h.app), Some(Phase::Planning)));
    h.key(KeyCode::Esc);
    assert!(h.app.ui.operation.is_none());

    h.command(line);
    let c = &h.app.ui.operation.as_ref().expect("a dialog").confirmation;
    assert_eq!(c.tier, Tier::High);
    assert!(c.protected && c.reason_required);
    assert_eq!(c.name.as_deref(), Some("worker"));

    // Typed inside the guard: nothing reaches the field.
    h.guard_fresh();
    h.type_text("worker");
    let dialog = h.app.ui.operation.as_ref().expect("open");
    assert_eq!(dialog.name.lines()[0], "");

    // A wrong name: Enter does not confirm, and the hint says what is wrong.
    h.guard_over();
    h.type_text("wroker");
    h.key(KeyCode::Tab);
    h.type_text("load test");
    h.key(KeyCode::Enter);
    let dialog = h.app.ui.operation.as_ref().expect("still open");
    assert!(matches!(dialog.phase, Phase::Confirming(_)));
    let hint = dialog.hint.clone().unwrap_or_default();
    assert!(hint.contains("does not match"), "{hint}");
    assert_eq!(dialog.field, Field::Name, "back on the name");
    let screen = common::screen_text(&common::draw(&mut h.app, 100, 30));
    assert!(screen.contains("the name does not match"), "{screen}");

    // Esc with a name typed cancels.
    h.key(KeyCode::Esc);
    assert!(h.app.ui.operation.is_none());
    assert_eq!(h.replicas("sim-prod", "shop", "worker"), 3);

    // The right name without a reason: not confirmed, the reason field is next.
    h.command(line);
    h.guard_over();
    h.type_text("worker");
    h.key(KeyCode::Enter);
    let dialog = h.app.ui.operation.as_ref().expect("still open");
    assert!(matches!(dialog.phase, Phase::Confirming(_)));
    assert!(
        dialog
            .hint
            .as_deref()
            .unwrap_or_default()
            .contains("reason"),
        "{:?}",
        dialog.hint
    );
    assert_eq!(dialog.field, Field::Reason);
    // A blank reason is no reason.
    h.type_text("   ");
    h.key(KeyCode::Enter);
    assert!(matches!(phase(&h.app), Some(Phase::Confirming(_))));
    // Esc with name and part of a reason typed cancels too.
    h.key(KeyCode::Esc);
    assert!(h.app.ui.operation.is_none());
    assert_eq!(h.replicas("sim-prod", "shop", "worker"), 3);
    assert!(
        h.audit().is_empty(),
        "nothing was executed, nothing audited"
    );

    // Name, Tab, reason, Enter: it runs, and the API has the new count.
    h.command(line);
    h.guard_over();
    h.type_text("worker");
    h.key(KeyCode::Tab);
    h.type_text("black friday load");
    h.key(KeyCode::Enter);
    assert!(matches!(phase(&h.app), Some(Phase::Running { .. })));
    let result = h.finished();
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(h.replicas("sim-prod", "shop", "worker"), 5);
    let audit = h.audit();
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert_eq!(audit[0]["reason"], "black friday load");
    assert_eq!(audit[1]["ok"], true);
}

/// A high-tier dialog without a reason field (a rollback in staging): Tab must not type
/// a tab into the name, which would then never match.
#[test]
fn tab_in_a_high_tier_dialog_without_a_reason_does_not_spoil_the_name_and_the_rollback_records_its_revision()
 {
    let mut h = Harness::start(Config::default(), &["sim-staging"]);
    h.until("staging live with its frontend", |app| {
        live(app, "sim-staging")
            && has_workload(app, "sim-staging", KubeKind::Deployment, "frontend")
    });
    h.command("rollback deploy/frontend -n shop @sim-staging");
    let dialog = h.app.ui.operation.as_ref().expect("a dialog");
    let Phase::Confirming(plan) = &dialog.phase else {
        panic!("{:?}", dialog.phase);
    };
    assert!(!plan.revisions.is_empty(), "the revisions are listed");
    let chosen = plan
        .chosen_revision
        .expect("the previous revision resolved");
    assert_eq!(dialog.confirmation.tier, Tier::High);
    assert!(!dialog.confirmation.reason_required);
    h.guard_over();
    h.type_text("front");
    h.key(KeyCode::Tab);
    h.type_text("end");
    let dialog = h.app.ui.operation.as_ref().expect("open");
    assert_eq!(dialog.name.lines()[0], "frontend");
    // Confirmed, the rollback goes to the revision the plan showed, by number, and the
    // audit says which.
    h.key(KeyCode::Enter);
    let result = h.finished();
    assert!(result.is_ok(), "{result:?}");
    let audit = h.audit();
    assert_eq!(audit[0]["operation"], "rollback");
    assert_eq!(audit[0]["parameters"]["toRevision"], chosen);
}

/// Every kind of operation, as a palette command.
fn palette_lines(pod: &str, node: &str) -> Vec<String> {
    vec![
        "scale deploy/worker 4 -n shop @sim-prod".into(),
        "restart deploy/api -n shop @sim-prod".into(),
        "rollback deploy/api -n shop @sim-prod".into(),
        "backup cronjob/postgres-backup -n shop @sim-prod".into(),
        "backup schedule/daily-full -n velero @sim-prod".into(),
        format!("delete pod/{pod} -n shop @sim-prod"),
        format!("cordon node/{node} @sim-prod"),
        format!("uncordon node/{node} @sim-prod"),
        "scale deploy/worker 2 -n shop @sim-staging".into(),
        "restart ctr/shop-app-1 @sim-docker".into(),
        "stop ctr/shop-app-1 @sim-docker".into(),
    ]
}

/// Every kind of operation, typed.
fn operations(pod: &str, node: &str) -> Vec<Operation> {
    let id = |kind, name: &str| KubeId {
        context: "sim-prod".into(),
        namespace: if kind == KubeKind::Node {
            String::new()
        } else {
            "shop".into()
        },
        kind,
        name: name.into(),
    };
    let container = ContainerRef {
        host: "sim-docker".into(),
        id: "0123456789ab".into(),
        name: "shop-app-1".into(),
    };
    vec![
        Operation::Scale {
            target: id(KubeKind::Deployment, "worker"),
            from: 3,
            to: 4,
        },
        Operation::Restart {
            target: id(KubeKind::Deployment, "api"),
        },
        Operation::Rollback {
            target: id(KubeKind::Deployment, "api"),
            to_revision: 0,
        },
        Operation::RunCronJob {
            target: id(KubeKind::CronJob, "postgres-backup"),
        },
        Operation::RunSchedule {
            target: ScheduleRef {
                context: "sim-prod".into(),
                namespace: "velero".into(),
                name: "daily-full".into(),
            },
        },
        Operation::DeletePod {
            target: id(KubeKind::Pod, pod),
        },
        Operation::Cordon {
            target: id(KubeKind::Node, node),
            cordon: true,
        },
        Operation::Cordon {
            target: id(KubeKind::Node, node),
            cordon: false,
        },
        Operation::Container {
            target: container.clone(),
            action: ContainerAction::Restart,
        },
        Operation::ContainerBackup {
            target: container,
            backup: "shop-db".into(),
        },
    ]
}

/// The fixture's `shop-app-1` container, moved to a host named like the sim's contexts so
/// `[contexts."sim-*"]` covers it too.
fn a_container() -> SourceEvent {
    fn find(events: Vec<SourceEvent>) -> Option<SourceEvent> {
        events.into_iter().find_map(|e| match e {
            SourceEvent::UpsertContainer(mut c) if c.name == "shop-app-1" => {
                c.id.host = "sim-docker".into();
                Some(SourceEvent::UpsertContainer(c))
            }
            SourceEvent::Batch(inner) => find(inner),
            _ => None,
        })
    }
    find(pilothouse::fixture::embedded(common::fixed_now())).expect("the fixture's container")
}

/// Read-only, globally and per context: every operation kind is refused with a message,
/// by key and by palette, no dialog opens, and the sim answered no request from the
/// runner — which refuses on its own too, when asked directly.
#[test]
fn read_only_refuses_every_operation_before_any_request() {
    let mut h = Harness::start(Config::default(), &["sim-prod", "sim-staging"]);
    h.until(
        "both contexts live, with pods, nodes and the worker",
        |app| {
            live(app, "sim-prod")
                && live(app, "sim-staging")
                && has_workload(app, "sim-prod", KubeKind::Deployment, "worker")
                && has_workload(app, "sim-prod", KubeKind::CronJob, "postgres-backup")
                && app.fleet.pods.values().any(|p| p.id.context == "sim-prod")
                && app.fleet.nodes.values().any(|n| n.context == "sim-prod")
        },
    );
    h.app.update(Action::Source(a_container()));
    h.stop_source();
    let pod = h
        .app
        .fleet
        .pods
        .values()
        .find(|p| p.id.context == "sim-prod" && p.id.namespace == "shop")
        .expect("a shop pod")
        .id
        .name
        .clone();
    let node = h
        .app
        .fleet
        .nodes
        .values()
        .find(|n| n.context == "sim-prod")
        .expect("a prod node")
        .name
        .clone();

    let mut global = Config::default();
    global.read_only = true;
    let (per_context, problems) = Config::parse(
        "[contexts.\"sim-*\"]\nread_only = true\n",
        std::path::Path::new("config.toml"),
    );
    assert!(problems.is_empty(), "{problems:?}");
    assert!(per_context.is_read_only("sim-prod") && !per_context.read_only);

    for (name, config) in [("global", global), ("per context", per_context)] {
        h.app.config = config.clone();
        let control = h.runner(config.clone());
        h.app.ops.attach(control);
        let before = [h.sim_counts("sim-prod"), h.sim_counts("sim-staging")];

        for line in palette_lines(&pod, &node) {
            h.command(&line);
            assert!(
                h.app.ui.operation.is_none(),
                "{name}: `{line}` opened a dialog"
            );
            let status = h.status();
            assert!(
                status.starts_with("read-only:") && status.contains("refused"),
                "{name}: `{line}` says {status:?}"
            );
        }
        // The keys on a selected row, in every view that has them.
        let keys: [(ViewKind, &str, char); 9] = [
            (ViewKind::Workloads, "sim-prod shop deploy worker", 's'),
            (ViewKind::Workloads, "sim-prod shop deploy worker", 'r'),
            (ViewKind::Workloads, "sim-prod shop deploy worker", 'u'),
            (ViewKind::Workloads, "sim-prod shop cj postgres-backup", 'b'),
            (ViewKind::Pods, &pod, 'D'),
            (ViewKind::Nodes, &node, 'c'),
            (ViewKind::Containers, "shop-app-1", 'r'),
            (ViewKind::Containers, "shop-app-1", 'x'),
            (ViewKind::Workloads, "sim-staging shop deploy worker", 'r'),
        ];
        for (view, filter, key) in keys {
            h.select(view, filter);
            h.app.ui.status = None;
            h.key(KeyCode::Char(key));
            assert!(
                h.app.ui.operation.is_none() && h.app.ui.prompt.is_none(),
                "{name}: `{key}` on {view:?} `{filter}` opened a dialog or prompt"
            );
            let status = h.status();
            assert!(
                status.starts_with("read-only:"),
                "{name}: `{key}` on {view:?} `{filter}` says {status:?}"
            );
        }

        // The runner itself, asked directly, refuses every kind and sends nothing.
        let mut direct = h.runner(config.clone());
        let ops = operations(&pod, &node);
        for (i, op) in ops.iter().enumerate() {
            let i = i as u64;
            direct.send(OpRequest::Plan {
                id: i,
                op: op.clone(),
            });
            direct.send(OpRequest::Execute {
                id: 1000 + i,
                op: op.clone(),
                reason: Some("test".into()),
                dry_run: "passed".into(),
            });
        }
        let mut answers = 0;
        while answers < 2 * ops.len() {
            let update = h
                .runtime
                .block_on(async { tokio::time::timeout(DEADLINE, direct.recv()).await })
                .expect("an answer in time")
                .expect("the runner runs");
            let result = match update {
                OpUpdate::Planned { result, .. } => result.map(|_| String::new()),
                OpUpdate::Finished { result, .. } => result,
                OpUpdate::Progress { id, .. } => panic!("{name}: op {id} made progress"),
            };
            assert!(
                matches!(result, Err(OpError::ReadOnly(_))),
                "{name}: {result:?}"
            );
            answers += 1;
        }

        let after = [h.sim_counts("sim-prod"), h.sim_counts("sim-staging")];
        assert_eq!(
            before, after,
            "{name}: the sim answered requests (requests, mutations) per cluster"
        );
        assert!(h.audit().is_empty(), "{name}: nothing audited");
    }
}

/// A viewer context: once the SelfSubjectAccessReviews are in, the operation keys say
/// RBAC does not allow them and open nothing; with no answer cached, a palette command
/// opens the dialog, whose dry-run gets the 403, shown as a refusal.
#[test]
fn a_viewer_is_refused_by_rbac_before_and_by_the_api_server_in_the_dialog() {
    let mut h = Harness::start(Config::default(), &["sim-prod-viewer"]);
    let viewer = "sim-prod-viewer";
    h.until("the viewer's workloads and grants", |app| {
        has_workload(app, viewer, KubeKind::Deployment, "worker")
            && has_workload(app, viewer, KubeKind::CronJob, "postgres-backup")
            && app.fleet.pods.values().any(|p| p.id.context == viewer)
            && app
                .fleet
                .access
                .allowed(viewer, Some("shop"), "patch", "deployments/scale")
                .is_some()
            && app
                .fleet
                .access
                .allowed(viewer, Some("shop"), "create", "jobs")
                .is_some()
    });
    let pod = h
        .app
        .fleet
        .pods
        .values()
        .find(|p| p.id.context == viewer && p.id.namespace == "shop")
        .expect("a shop pod")
        .id
        .name
        .clone();
    let keys: [(ViewKind, &str, char, &str); 5] = [
        (
            ViewKind::Workloads,
            "shop deploy worker",
            's',
            "deployments/scale",
        ),
        (
            ViewKind::Workloads,
            "shop deploy worker",
            'r',
            "deployments",
        ),
        (
            ViewKind::Workloads,
            "shop deploy worker",
            'u',
            "deployments",
        ),
        (ViewKind::Workloads, "shop cj postgres-backup", 'b', "jobs"),
        (ViewKind::Pods, &pod, 'D', "pods"),
    ];
    for (view, filter, key, resource) in keys {
        h.select(view, filter);
        h.app.ui.status = None;
        h.key(KeyCode::Char(key));
        assert!(
            h.app.ui.operation.is_none() && h.app.ui.prompt.is_none(),
            "`{key}` on `{filter}` opened a dialog or prompt"
        );
        let status = h.status();
        assert!(
            status.starts_with("forbidden: RBAC does not allow")
                && status.contains(resource)
                && status.contains(viewer),
            "`{key}` on `{filter}`: {status:?}"
        );
    }

    // No answer cached (they were never asked, say): the palette opens the dialog, and
    // the server's 403 on the dry-run is the dialog's refusal.
    h.app.fleet.access.forget(viewer);
    h.command("scale deploy/worker 5 -n shop @sim-prod-viewer");
    match phase(&h.app) {
        Some(Phase::Refused(OpError::Forbidden(message))) => {
            assert!(message.contains("forbidden"), "{message}")
        }
        other => panic!("expected a 403 refusal, got {other:?}"),
    }
    let screen = common::screen_text(&common::draw(&mut h.app, 120, 30));
    assert!(
        screen.contains("refused, nothing was changed: forbidden:"),
        "{screen}"
    );
    h.key(KeyCode::Esc);
    assert!(h.app.ui.operation.is_none());
    assert_eq!(h.replicas("sim-prod", "shop", "worker"), 3);
    assert!(h.audit().is_empty());
}
