//! An incident walked end to end, headless (issue 8): the app with its real Kubernetes
//! and Alertmanager sources and ops runner against the simulated estate's `incident-db`
//! scenario, driven by keys as an on-call engineer would. HighErrorRate fires → a P1 is
//! declared from it → the database-failure runbook is suggested and walked (observe,
//! check, a restart confirmed by typing the name, a wait that holds once the database is
//! back, a decision) → the postmortem holds the alert, the operation with its outcome and
//! the notes, in order. A second test stops the console mid-runbook and resumes it.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossterm::event::KeyCode;
use pilothouse::app::{Action, App};
use pilothouse::config::{Config, Keymap, Theme};
use pilothouse::incident::{StepStatus, load};
use pilothouse::model::AlertState;
use pilothouse::ops::runner::{self, OpsSettings};
use pilothouse::runbook::Library;
use pilothouse::sources::EventSink;
use pilothouse::sources::alertmanager::{self, AlertOptions, AlertSources};
use pilothouse::sources::kube::{self as source, KubeControl, KubeInterest, KubeOptions};
use pilothouse::store::SourceEvent;
use pilothouse::ui::confirm::Phase;
use pilothouse::ui::incident::state::DeclareField;
use pilothouse::ui::state::ViewKind;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How long any condition may take (real time, on a loaded CI machine).
const DEADLINE: Duration = Duration::from_secs(90);
/// The scenario's only cluster.
const CONTEXT: &str = "sim-prod";

struct Estate {
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
    data: PathBuf,
    kubeconfig: PathBuf,
    alertmanager: reqwest::Url,
    cancel: CancellationToken,
}

impl Drop for Estate {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// The incident-db scenario at speed 20: the database crash-loops 3 s in, HighErrorRate
/// fires 6 s in.
fn estate() -> Estate {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let sim = runtime
        .block_on(pilothouse::sim::start(pilothouse::sim::SimOptions {
            scenario: "incident-db".into(),
            seed: 3,
            speed: 20.0,
            listen: "127.0.0.1:0".parse().unwrap(),
            kubeconfig_out: Some(dir.path().join("kubeconfig")),
            docker_listen: pilothouse::sim::launch::DockerListen::Tcp(
                "127.0.0.1:0".parse().unwrap(),
            ),
            alertmanager_listen: "127.0.0.1:0".parse().unwrap(),
            ready_file: None,
        }))
        .expect("the simulated estate starts");
    Estate {
        runtime,
        data: dir.path().join("data"),
        _dir: dir,
        kubeconfig: sim.kubeconfig,
        alertmanager: sim.alertmanager_url.parse().expect("url"),
        cancel: CancellationToken::new(),
    }
}

/// A console on the estate: the app with its sources and runner, as `main` wires them.
struct Console<'e> {
    estate: &'e Estate,
    app: App,
    rx: mpsc::Receiver<SourceEvent>,
    kube: KubeControl,
    _alerts: alertmanager::AlertControl,
}

impl<'e> Console<'e> {
    fn open(estate: &'e Estate) -> Console<'e> {
        let theme = Theme::builtin("dark").expect("theme");
        let keymap = Keymap::builtin("default").expect("keymap");
        let chrome = pilothouse::ui::chrome_text(&keymap, &[]);
        let mut app = App::new(theme, keymap, chrome, 64 << 20, jiff::Timestamp::now());
        app.data_dir = Some(estate.data.clone());
        app.incidents = pilothouse::app::incident_glue::IncidentGlue::new(Library::load(None));
        let _guard = estate.runtime.enter();
        let (set, problems) =
            source::load_kubeconfig(std::slice::from_ref(&estate.kubeconfig), true);
        assert!(problems.is_empty(), "{problems:?}");
        let set = set.expect("kubeconfig");
        let kubeconfig = set.kubeconfig.clone();
        let (tx, rx) = mpsc::channel(4096);
        let interest = KubeInterest {
            contexts: [CONTEXT.to_string()].into(),
            namespace: None,
            logs: Default::default(),
        };
        app.fleet.available_contexts = set.contexts();
        app.kube.active = interest.contexts.clone();
        let kube = source::spawn(
            set.kubeconfig,
            interest,
            KubeOptions::default(),
            EventSink::new(tx.clone()),
            &estate.cancel,
        );
        let mut config = Config::default();
        config.alertmanager.interval = Duration::from_millis(250);
        let alerts = alertmanager::spawn_with(
            &config,
            AlertSources {
                alertmanagers: vec![estate.alertmanager.clone()],
                ..AlertSources::default()
            },
            AlertOptions::default(),
            EventSink::new(tx),
            &estate.cancel,
        );
        let control = runner::spawn(
            OpsSettings {
                kubeconfig: Some(kubeconfig),
                kube_options: Default::default(),
                config: Config::default(),
                data_dir: estate.data.clone(),
                docker: Default::default(),
                alertmanagers: Vec::new(),
            },
            None,
            &estate.cancel,
        );
        app.ops.attach(control);
        Console {
            estate,
            app,
            rx,
            kube,
            _alerts: alerts,
        }
    }

    /// Apply source events and runner updates, with the clock moving, until `done`.
    fn until(&mut self, what: &str, done: impl Fn(&App) -> bool) {
        let start = Instant::now();
        loop {
            self.app.update(Action::Tick(jiff::Timestamp::now()));
            self.app.prepare_frame();
            self.kube.set_interest(self.app.kube_interest());
            if done(&self.app) {
                return;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for: {what}\nstatus: {:?}\ndialog: {:?}\nincident: {:#?}",
                self.app.ui.status,
                self.app.ui.operation.as_ref().map(|d| &d.phase),
                self.app.ui.incident.as_ref().map(|d| &d.incident.runbooks)
            );
            let rx = &mut self.rx;
            let events = self.estate.runtime.block_on(async {
                let mut out = Vec::new();
                if let Ok(Some(e)) =
                    tokio::time::timeout(Duration::from_millis(50), rx.recv()).await
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

    fn key(&mut self, code: KeyCode) {
        common::key(&mut self.app, code);
    }

    fn type_text(&mut self, text: &str) {
        common::type_text(&mut self.app, text);
    }

    /// The status of `step` of `runbook` in the open incident.
    fn step(&self, runbook: &str, step: &str) -> StepStatus {
        step_of(&self.app, runbook, step)
    }

    fn incident_id(&self) -> String {
        let desk = self.app.ui.incident.as_ref().expect("an incident");
        desk.incident.id.clone()
    }

    fn current_title(&self) -> String {
        let desk = self.app.ui.incident.as_ref().expect("an incident");
        let (runbook, progress) = desk.shown().expect("a runbook shown");
        match pilothouse::runbook::walk(runbook, progress).current {
            Some(i) => runbook.steps[i].id.clone(),
            None => "(complete)".into(),
        }
    }
}

fn step_of(app: &App, runbook: &str, step: &str) -> StepStatus {
    app.ui
        .incident
        .as_ref()
        .and_then(|d| d.incident.runbook(runbook))
        .and_then(|r| r.step(step))
        .map_or(StepStatus::Pending, |s| s.status.clone())
}

/// Declare a P1 from HighErrorRate with the database-failure runbook attached (besides
/// the suggested high-error-rate one), and show it.
fn declare_from_high_error_rate(console: &mut Console) {
    console.until("HighErrorRate firing", |app| {
        app.fleet
            .alerts
            .values()
            .any(|a| a.name() == "HighErrorRate" && a.state == AlertState::Firing)
    });
    console.until("the database crash-looping", |app| {
        app.fleet
            .pods
            .values()
            .any(|p| p.id.name == "postgres-0" && p.containers.iter().any(|c| c.restarts > 0))
    });
    common::select_first(&mut console.app, ViewKind::Alerts, "HighErrorRate");
    console.key(KeyCode::Char('I'));
    let dialog = console.app.ui.declare.as_ref().expect("the declare dialog");
    assert_eq!(
        dialog.severity,
        pilothouse::incident::Severity::P1,
        "a critical page suggests P1"
    );
    assert!(dialog.title.lines()[0].starts_with("HighErrorRate"));
    let ids: Vec<&str> = dialog.runbooks.iter().map(|r| r.0.as_str()).collect();
    let db = ids
        .iter()
        .position(|id| *id == "database-failure")
        .expect("database-failure offered");
    assert!(
        dialog.runbooks[db].1.contains("suggested"),
        "database-failure is suggested for a P1: {:?}",
        dialog.runbooks
    );
    assert_eq!(
        ids[0], "high-error-rate",
        "the alert's runbook_url names high-error-rate, which comes first and is chosen"
    );
    assert!(dialog.runbooks[0].2);
    // Tab to the runbook list, down to database-failure, space chooses it.
    while console.app.ui.declare.as_ref().unwrap().field != DeclareField::Runbooks {
        console.key(KeyCode::Tab);
    }
    for _ in 0..db {
        console.key(KeyCode::Down);
    }
    console.key(KeyCode::Char(' '));
    console.key(KeyCode::Enter);
    assert!(console.app.ui.declare.is_none(), "declared");
    assert_eq!(console.app.ui.view, ViewKind::Incident);
    let desk = console.app.ui.incident.as_ref().expect("incident");
    let attached: Vec<&str> = desk
        .incident
        .runbooks
        .iter()
        .map(|r| r.runbook_id.as_str())
        .collect();
    assert_eq!(attached, ["high-error-rate", "database-failure"]);
    // R: to the second runbook.
    console.key(KeyCode::Char('R'));
    let desk = console.app.ui.incident.as_ref().expect("incident");
    assert_eq!(desk.shown().unwrap().0.id, "database-failure");
    assert_eq!(
        desk.incident.runbooks[1]
            .params
            .get("namespace")
            .map(String::as_str),
        Some("shop"),
        "parameters filled from the alert's labels"
    );
}

/// Observe the primary's logs, then tick every item of the health check and finish it.
fn observe_and_check(console: &mut Console) {
    assert_eq!(console.current_title(), "primary-logs");
    console.key(KeyCode::Enter);
    assert_eq!(
        console.step("database-failure", "primary-logs"),
        StepStatus::Done
    );
    assert!(
        console
            .app
            .log_pane
            .as_ref()
            .is_some_and(|p| p.title().contains("postgres-0")),
        "the observe step opened the primary's logs beside the runbook"
    );
    assert_eq!(console.current_title(), "check-health");
    // Enter with items unticked does not pass the check.
    console.key(KeyCode::Enter);
    assert_eq!(
        console.step("database-failure", "check-health"),
        StepStatus::Pending
    );
    for _ in 0..5 {
        console.key(KeyCode::Char(' '));
    }
    assert_eq!(
        console.step("database-failure", "check-health"),
        StepStatus::InProgress
    );
    assert_eq!(
        desk_ticks(&console.app, "check-health"),
        5,
        "{:?}",
        console.app.ui.status
    );
    console.key(KeyCode::Enter);
    assert_eq!(
        console.step("database-failure", "check-health"),
        StepStatus::Done
    );
}

#[test]
fn an_incident_from_high_error_rate_is_walked_through_the_database_runbook_and_exported() {
    let estate = estate();
    let mut console = Console::open(&estate);
    declare_from_high_error_rate(&mut console);
    console.key(KeyCode::Char('n'));
    console.type_text("api 5xx at 34%, postgres-0 in CrashLoopBackOff");
    console.key(KeyCode::Enter);
    observe_and_check(&mut console);

    // The action: restart sts/postgres, planned, confirmed by typing the name (prod is
    // protected: a reason too).
    assert_eq!(console.current_title(), "restart-database");
    console.key(KeyCode::Enter);
    assert_eq!(
        console.step("database-failure", "restart-database"),
        StepStatus::InProgress
    );
    console.until("the restart's plan", |app| {
        matches!(
            app.ui.operation.as_ref().map(|d| &d.phase),
            Some(Phase::Confirming(_) | Phase::Refused(_))
        )
    });
    let dialog = console.app.ui.operation.as_mut().expect("the dialog");
    assert!(
        matches!(dialog.phase, Phase::Confirming(_)),
        "{:?}",
        dialog.phase
    );
    assert_eq!(dialog.confirmation.name.as_deref(), Some("postgres"));
    dialog.answerable_since = Instant::now() - Duration::from_secs(1);
    console.type_text("postgres");
    console.key(KeyCode::Tab);
    console.type_text("primary crash-looping, INC");
    console.key(KeyCode::Enter);
    console.until("the restart to finish", |app| {
        matches!(
            app.ui.operation.as_ref().map(|d| &d.phase),
            Some(Phase::Finished { .. })
        )
    });
    if let Some(Phase::Finished { result, .. }) =
        console.app.ui.operation.as_ref().map(|d| &d.phase)
    {
        assert!(result.is_ok(), "the restart: {result:?}");
    }
    console.key(KeyCode::Enter);
    assert_eq!(
        console.step("database-failure", "restart-database"),
        StepStatus::Done
    );

    // The wait holds once the database is back (the restart healed the crash loop).
    console.until("the wait to hold", |app| {
        step_of(app, "database-failure", "wait-database") == StepStatus::Done
    });
    let db_ready = console
        .app
        .fleet
        .workloads
        .values()
        .find(|w| w.id.name == "postgres")
        .map(|w| (w.ready, w.desired));
    assert_eq!(db_ready, Some((2, 2)));

    // The decision: the first option, "Yes: the primary is back", leads to notify.
    assert_eq!(console.current_title(), "recovered");
    console.key(KeyCode::Enter);
    assert_eq!(console.current_title(), "notify");
    let answered = console
        .app
        .ui
        .incident
        .as_ref()
        .and_then(|d| d.incident.runbook("database-failure"))
        .and_then(|r| r.step("recovered"))
        .and_then(|s| s.answer.clone());
    assert_eq!(answered.as_deref(), Some("Yes: the primary is back"));
    for _ in 0..2 {
        console.key(KeyCode::Char(' '));
    }
    console.key(KeyCode::Enter);
    console.key(KeyCode::Enter); // the record note
    assert_eq!(console.current_title(), "(complete)");
    assert_eq!(
        console.step("database-failure", "fail-over"),
        StepStatus::Pending,
        "the branch not taken stays untouched"
    );
    common::press(&mut console.app, pilothouse::app::KeyAction::AddNote);
    console.type_text("primary back after restart");
    console.key(KeyCode::Enter);

    // E: the postmortem.
    console.key(KeyCode::Char('E'));
    let id = console.incident_id();
    let path = estate.data.join("incidents").join(format!("{id}.md"));
    let markdown = std::fs::read_to_string(&path).expect("the postmortem was written");
    let at = |needle: &str| {
        markdown
            .find(needle)
            .unwrap_or_else(|| panic!("`{needle}` is not in the postmortem:\n{markdown}"))
    };
    assert!(markdown.contains("P1"));
    let timeline = at("## Timeline");
    let in_timeline = |needle: &str| timeline + markdown[timeline..].find(needle).expect(needle);
    let (a, n1, op, n2) = (
        in_timeline("**alert firing** — HighErrorRate firing"),
        in_timeline("api 5xx at 34%"),
        in_timeline("sts/postgres"),
        in_timeline("primary back after restart"),
    );
    assert!(
        a < n1 && n1 < op && op < n2,
        "timeline in order:\n{markdown}"
    );
    assert!(
        markdown[op..].contains("restart sim-prod/shop/sts/postgres: succeeded"),
        "the operation's outcome is on the timeline:\n{markdown}"
    );
    assert!(
        markdown.contains("The standby postgres-1 is Running and ready"),
        "ticked items are named in the runbook progress:\n{markdown}"
    );
    // The operation with its outcome, from the audit log.
    let incident = load(&estate.data, &id).expect("the incident file");
    let restart = incident
        .operations
        .iter()
        .find(|o| o.operation == "restart")
        .expect("the restart is the incident's");
    assert_eq!(restart.ok, Some(true), "{restart:?}");
    assert!(incident.linked_operations.contains(&restart.audit_id));
    assert!(markdown.contains("## Follow-ups") || markdown.contains("Follow-up"));
}

#[test]
fn a_console_stopped_mid_runbook_resumes_the_incident_where_it_was() {
    let estate = estate();
    let id;
    {
        let mut console = Console::open(&estate);
        declare_from_high_error_rate(&mut console);
        observe_and_check(&mut console);
        // A note, and a tick in the other runbook.
        console.key(KeyCode::Char('n'));
        console.type_text("before the crash");
        console.key(KeyCode::Enter);
        id = console.incident_id();
        // The console goes away without any goodbye: nothing but what was saved remains.
    }
    let before = load(&estate.data, &id).expect("saved");
    let mut console = Console::open(&estate);
    console.app.resume_incident(&id).expect("resumes");
    assert_eq!(console.app.ui.view, ViewKind::Incident);
    let desk = console.app.ui.incident.as_ref().unwrap();
    assert_eq!(
        desk.incident.runbooks, before.runbooks,
        "runbook progress intact"
    );
    assert_eq!(desk.incident.timeline, before.timeline, "timeline intact");
    console.key(KeyCode::Char('R'));
    assert_eq!(console.current_title(), "restart-database");
    let ticked = desk_ticks(&console.app, "check-health");
    assert_eq!(ticked, 5);
}

fn desk_ticks(app: &App, step: &str) -> usize {
    app.ui
        .incident
        .as_ref()
        .and_then(|d| d.incident.runbook("database-failure"))
        .and_then(|r| r.step(step))
        .map_or(0, |s| s.ticked.len())
}
