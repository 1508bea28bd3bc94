//! The incident view's keys and commands on the fixture estate, without services: declare
//! by hand, skip with a reason, a wait that times out and is retried, the note editor,
//! the timeline's filters, attaching a runbook, an action step whose dialog never
//! confirmed — and after every change, the file on disk says the same as the screen.

mod common;

use common::{fixture_app, key, press, type_text};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::SignedDuration;
use pilothouse::app::{Action, App, KeyAction};
use pilothouse::incident::{EntryKind, StepStatus, load};
use pilothouse::runbook::Library;
use pilothouse::ui::incident::state::DeskPane;
use pilothouse::ui::state::ViewKind;

/// A user runbook: a wait for an alert that never fires (1 s timeout, then the note), an
/// action, and a check.
const DRILL: &str = r#"
id: drill
title: Drill
applies_to:
  severities: [P3]
steps:
  - id: wait-alert
    kind: wait
    title: Wait for a page
    until: "alert NeverFires firing"
    timeout: 1s
    on_failure: after-wait
  - {id: after-wait, kind: note, title: After the wait, text: "The page did not come."}
  - {id: restart, kind: action, title: Restart api, command: "restart deploy/api -n shop"}
  - {id: look, kind: check, title: Look, items: ["one", "two"]}
"#;

struct Desk {
    app: App,
    _dir: tempfile::TempDir,
    data: std::path::PathBuf,
}

/// The fixture app with a data directory and the shipped runbooks plus `drill`, an
/// incident declared by hand at P3 with only `drill` attached.
fn desk() -> Desk {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config");
    std::fs::create_dir_all(config.join("runbooks")).unwrap();
    std::fs::write(config.join("runbooks/drill.yaml"), DRILL).unwrap();
    let library = Library::load(Some(&config));
    assert!(library.problems().is_empty(), "{:?}", library.problems());
    let mut app = fixture_app("dark");
    app.data_dir = Some(dir.path().join("data"));
    app.incidents = pilothouse::app::incident_glue::IncidentGlue::new(library);
    app.update(Action::Command("declare checkout is slow".into()));
    let dialog = app.ui.declare.as_mut().expect("the declare dialog");
    assert_eq!(dialog.title.lines()[0], "checkout is slow");
    // P3, and only the drill chosen.
    while app.ui.declare.as_ref().unwrap().severity != pilothouse::incident::Severity::P3 {
        key(&mut app, KeyCode::Down);
    }
    let dialog = app.ui.declare.as_mut().unwrap();
    for choice in dialog.runbooks.iter_mut() {
        choice.2 = choice.0 == "drill";
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.ui.view, ViewKind::Incident);
    let data = dir.path().join("data");
    Desk {
        app,
        _dir: dir,
        data,
    }
}

impl Desk {
    fn incident(&self) -> &pilothouse::incident::Incident {
        &self.app.ui.incident.as_ref().expect("an incident").incident
    }

    fn status(&self, step: &str) -> StepStatus {
        self.incident()
            .runbook("drill")
            .and_then(|r| r.step(step))
            .map_or(StepStatus::Pending, |s| s.status.clone())
    }

    /// The clock moves on by `seconds` and a frame is prepared.
    fn later(&mut self, seconds: i64) {
        let now = self.app.ui.now + SignedDuration::from_secs(seconds);
        self.app.update(Action::Tick(now));
        self.app.prepare_frame();
    }

    /// What is on disk is what is on screen.
    fn saved(&self) {
        let on_disk = load(&self.data, &self.incident().id).expect("saved");
        assert_eq!(&on_disk, self.incident(), "the file lags the screen");
    }
}

#[test]
fn a_wait_times_out_to_its_on_failure_step_and_can_be_retried() {
    let mut d = desk();
    d.later(0);
    assert_eq!(d.status("wait-alert"), StepStatus::InProgress);
    let condition = &d.app.ui.incident.as_ref().unwrap().condition;
    assert!(
        matches!(
            condition,
            Some(pilothouse::runbook::ConditionState::NotYet(_))
        ),
        "{condition:?}"
    );
    d.later(2);
    match d.status("wait-alert") {
        StepStatus::Failed { reason } => assert!(reason.contains("timed out"), "{reason}"),
        other => panic!("not timed out: {other:?}"),
    }
    d.saved();
    // on_failure: the note is current; Enter reads it; then `r` retries the failed wait.
    press(&mut d.app, KeyAction::StepDo);
    assert_eq!(d.status("after-wait"), StepStatus::Done);
    press(&mut d.app, KeyAction::StepRetry);
    d.later(0);
    assert_eq!(
        d.status("wait-alert"),
        StepStatus::InProgress,
        "waiting again"
    );
    d.saved();
}

#[test]
fn a_step_is_skipped_with_the_reason_typed_in_the_palette() {
    let mut d = desk();
    press(&mut d.app, KeyAction::StepSkip);
    // Without a reason nothing is skipped.
    key(&mut d.app, KeyCode::Enter);
    assert_eq!(d.status("wait-alert"), StepStatus::Pending);
    press(&mut d.app, KeyAction::StepSkip);
    type_text(&mut d.app, "no pager in the drill");
    key(&mut d.app, KeyCode::Enter);
    assert_eq!(
        d.status("wait-alert"),
        StepStatus::Skipped {
            reason: "no pager in the drill".into()
        }
    );
    // Skipped leads to the next step, not to on_failure.
    press(&mut d.app, KeyAction::StepDo);
    assert_eq!(d.status("after-wait"), StepStatus::Done);
    d.saved();
}

#[test]
fn an_action_whose_dialog_closed_unconfirmed_is_pending_again() {
    let mut d = desk();
    for step in ["wait-alert", "after-wait"] {
        d.app
            .update(Action::Command(format!("skip drilling {step}")));
    }
    // Two contexts have deploy/api in shop: ambiguous until the scope names one.
    press(&mut d.app, KeyAction::StepDo);
    let said = d.app.ui.status.as_ref().map(|s| s.text.clone());
    assert!(
        said.as_deref().is_some_and(|s| s.contains(":ctx NAME")),
        "{said:?}"
    );
    d.app.update(Action::Command("ctx shop-prod".into()));
    // This console has no runner: the action is refused and the step stays pending.
    press(&mut d.app, KeyAction::StepDo);
    assert_eq!(d.status("restart"), StepStatus::Pending);
    let said = d.app.ui.status.as_ref().map(|s| s.text.clone());
    assert!(
        said.as_deref().is_some_and(|s| s.contains("not available")),
        "{said:?}"
    );
    // A step left in progress with no dialog and nothing running (a dialog closed with
    // Esc) is put back.
    let now = d.app.ui.now;
    let incident = &mut d.app.ui.incident.as_mut().unwrap().incident;
    pilothouse::incident::record_step(
        incident,
        "drill",
        "restart",
        StepStatus::InProgress,
        "me",
        now,
    )
    .unwrap();
    d.later(0);
    assert_eq!(d.status("restart"), StepStatus::Pending);
    d.saved();
}

#[test]
fn notes_are_written_in_the_editor_and_the_timeline_filters_them() {
    let mut d = desk();
    // From another view: ctrl-n.
    press(&mut d.app, KeyAction::ViewPods);
    d.app.update(Action::Key(KeyEvent::new(
        KeyCode::Char('n'),
        KeyModifiers::CONTROL,
    )));
    assert!(
        d.app.ui.note.is_some(),
        "the note editor opens from any view"
    );
    type_text(&mut d.app, "first line");
    d.app.update(Action::Key(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::ALT,
    )));
    type_text(&mut d.app, "second line");
    key(&mut d.app, KeyCode::Enter);
    assert!(d.app.ui.note.is_none());
    // Esc discards.
    press(&mut d.app, KeyAction::AddNote);
    type_text(&mut d.app, "never mind");
    key(&mut d.app, KeyCode::Esc);
    let notes: Vec<&str> = d.incident().notes().map(|e| e.text.as_str()).collect();
    assert_eq!(notes, ["first line\nsecond line"]);
    d.saved();

    press(&mut d.app, KeyAction::ViewIncident);
    press(&mut d.app, KeyAction::TimelineKinds);
    let desk = d.app.ui.incident.as_ref().unwrap();
    assert_eq!(desk.pane, DeskPane::Timeline);
    assert_eq!(desk.timeline_filter.kinds, [EntryKind::Declared]);
    // Cycle through every kind back to all.
    for _ in 0..EntryKind::ALL.len() {
        press(&mut d.app, KeyAction::TimelineKinds);
    }
    assert!(
        d.app
            .ui
            .incident
            .as_ref()
            .unwrap()
            .timeline_filter
            .kinds
            .is_empty()
    );
    press(&mut d.app, KeyAction::Filter);
    type_text(&mut d.app, "second");
    key(&mut d.app, KeyCode::Enter);
    let desk = d.app.ui.incident.as_ref().unwrap();
    let shown = pilothouse::incident::timeline(&desk.incident, &desk.timeline_filter);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0].kind, EntryKind::Note);
}

#[test]
fn another_runbook_is_attached_from_the_picker_and_walked_separately() {
    let mut d = desk();
    press(&mut d.app, KeyAction::AttachRunbook);
    let picker = d
        .app
        .ui
        .incident
        .as_ref()
        .unwrap()
        .attach
        .clone()
        .expect("picker");
    assert!(
        picker.choices.iter().all(|c| c.0 != "drill"),
        "attached ones are not offered"
    );
    let daily = picker
        .choices
        .iter()
        .position(|c| c.0 == "daily-checklist")
        .expect("the daily check list is offered");
    for _ in 0..daily {
        key(&mut d.app, KeyCode::Down);
    }
    key(&mut d.app, KeyCode::Enter);
    let desk = d.app.ui.incident.as_ref().unwrap();
    let ids: Vec<&str> = desk
        .incident
        .runbooks
        .iter()
        .map(|r| r.runbook_id.as_str())
        .collect();
    assert_eq!(ids, ["drill", "daily-checklist"]);
    assert_eq!(
        desk.shown().unwrap().0.id,
        "daily-checklist",
        "the new one is shown"
    );
    press(&mut d.app, KeyAction::NextRunbook);
    assert_eq!(
        d.app.ui.incident.as_ref().unwrap().shown().unwrap().0.id,
        "drill"
    );
    d.saved();
}

#[test]
fn severity_and_status_changes_are_on_the_timeline_and_resolving_frees_the_console() {
    let mut d = desk();
    d.app.update(Action::Command("severity P1".into()));
    d.app.update(Action::Command("resolve".into()));
    let kinds: Vec<EntryKind> = d.incident().timeline.iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&EntryKind::SeverityChanged));
    assert!(kinds.contains(&EntryKind::StatusChanged));
    assert!(d.incident().resolved_at.is_some());
    d.saved();
    // A resolved incident no longer blocks declaring the next one.
    d.app.update(Action::Command("declare next one".into()));
    assert!(d.app.ui.declare.is_some());
}

#[test]
fn an_alerts_runbook_url_naming_a_shipped_runbook_is_offered_first() {
    let mut app = fixture_app("dark");
    app.incidents = pilothouse::app::incident_glue::IncidentGlue::new(Library::load(None));
    // The fixture's HighErrorRate, its runbook_url pointed at the release rollback.
    let id = app
        .fleet
        .alerts
        .values()
        .find(|a| a.name() == "HighErrorRate")
        .map(|a| a.id.clone())
        .expect("the fixture's HighErrorRate");
    let mut alert = app.fleet.alerts.get(&id).cloned().unwrap();
    alert.annotations.insert(
        "runbook_url".into(),
        "https://wiki.example.com/runbooks/release-rollback".into(),
    );
    app.update(Action::Source(pilothouse::store::SourceEvent::UpsertAlert(
        alert,
    )));
    common::select_first(&mut app, ViewKind::Alerts, "HighErrorRate");
    // Enter says where the runbook is and that I walks it.
    press(&mut app, KeyAction::Open);
    let said = app
        .ui
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    assert!(said.contains("runbook release-rollback"), "{said}");
    press(&mut app, KeyAction::ViewAlerts);
    press(&mut app, KeyAction::DeclareIncident);
    let dialog = app.ui.declare.as_ref().expect("the declare dialog");
    assert_eq!(dialog.runbooks[0].0, "release-rollback");
    assert!(dialog.runbooks[0].2, "and chosen");
    assert_eq!(
        dialog.runbooks[1].0, "high-error-rate",
        "then the matchers'"
    );
}
