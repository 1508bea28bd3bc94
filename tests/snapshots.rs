//! Snapshots of every view, dialog and overlay at 80x24 and 200x50, in `dark` and `mono`.
//!
//! The snapshot is the buffer's debug form: text plus styles, so a theme change shows up.
//! Update with `INSTA_UPDATE=always cargo test --test snapshots` and review the diff.

mod common;

use common::{draw, fixture_app, key, press, type_text};
use crossterm::event::KeyCode;
use pilothouse::app::{App, KeyAction};
use pilothouse::ui::state::{Overlay, ViewKind};

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];
const THEMES: [&str; 2] = ["dark", "mono"];

/// Draw `setup`'s screen in every size and theme and compare with the stored snapshots.
fn snapshot_all(name: &str, setup: impl Fn(&mut App)) {
    for theme in THEMES {
        for (w, h) in SIZES {
            let mut app = fixture_app(theme);
            app.update(pilothouse::app::Action::Resize {
                width: w,
                height: h,
            });
            setup(&mut app);
            let terminal = draw(&mut app, w, h);
            let snapshot = format!("{:?}", terminal.backend().buffer());
            insta::assert_snapshot!(format!("{name}_{theme}_{w}x{h}"), snapshot);
        }
    }
}

#[test]
fn overview() {
    snapshot_all("overview", |_| {});
}

#[test]
fn workloads() {
    snapshot_all("workloads", |app| press(app, KeyAction::ViewWorkloads));
}

#[test]
fn pods() {
    snapshot_all("pods", |app| press(app, KeyAction::ViewPods));
}

#[test]
fn pods_filtered() {
    snapshot_all("pods_filtered", |app| {
        press(app, KeyAction::ViewPods);
        type_text(app, "/api");
    });
}

#[test]
fn nodes_and_hosts() {
    snapshot_all("nodes", |app| press(app, KeyAction::ViewNodes));
}

#[test]
fn containers_grouped_by_compose_project() {
    snapshot_all("containers", |app| press(app, KeyAction::ViewContainers));
}

#[test]
fn alerts() {
    snapshot_all("alerts", |app| press(app, KeyAction::ViewAlerts));
}

#[test]
fn events() {
    snapshot_all("events", |app| press(app, KeyAction::ViewEvents));
}

#[test]
fn backups() {
    snapshot_all("backups", |app| press(app, KeyAction::ViewBackups));
}

#[test]
fn logs_without_a_stream() {
    snapshot_all("logs_empty", |app| press(app, KeyAction::ViewLogs));
}

#[test]
fn logs_of_a_pod() {
    snapshot_all("logs_pod", |app| {
        press(app, KeyAction::ViewPods);
        let state = app.ui.table_mut(ViewKind::Pods);
        state.filter = "x2k4q".into();
        state.invalidate();
        app.prepare_frame();
        press(app, KeyAction::OpenLogs);
        while app.has_background_work() {
            app.do_background_work();
        }
    });
}

#[test]
fn help_overlay() {
    snapshot_all("help", |app| press(app, KeyAction::Help));
}

#[test]
fn command_palette() {
    snapshot_all("palette", |app| type_text(app, ":p"));
}

#[test]
fn config_problems_dialog() {
    snapshot_all("problems", |app| {
        app.chrome.problems = vec![
            "/home/op/.config/pilothouse/themes/night.toml:3:7: unknown color `grey42x`".into(),
            "/home/op/.config/pilothouse/keymaps/mine.toml:12:10: unknown action `jump`".into(),
        ];
        app.ui.overlay = Some(Overlay::Problems);
    });
}

#[test]
fn status_error_message() {
    snapshot_all("status_error", |app| {
        type_text(app, ":nope");
        key(app, KeyCode::Enter);
    });
}

/// The operation dialog, built directly in each of its phases (no runner, no clock in the
/// text), so each tier and phase is drawn the same on every run.
mod op_dialogs {
    use std::time::{Duration, Instant};

    use pilothouse::app::App;
    use pilothouse::model::{KubeId, KubeKind};
    use pilothouse::ops::kube::{KubePlan, Progress};
    use pilothouse::ops::policy;
    use pilothouse::ops::rollback::{DiffKind, DiffLine, Revision};
    use pilothouse::ops::runner::Stage;
    use pilothouse::ops::{OpError, Operation};
    use pilothouse::ui::confirm::{Field, OpDialog, Phase};

    use super::common::fixed_now;
    use super::snapshot_all;

    fn target(context: &str, name: &str) -> KubeId {
        KubeId {
            context: context.into(),
            namespace: "shop".into(),
            kind: KubeKind::Deployment,
            name: name.into(),
        }
    }

    fn open(app: &mut App, op: Operation, phase: Phase) -> &mut OpDialog {
        let confirmation = policy::confirmation(&op, &app.config);
        let mut dialog = OpDialog::new(1, op, confirmation);
        dialog.phase = phase;
        app.ui.operation.insert(dialog)
    }

    fn scale_plan(from: u32, to: u32) -> Phase {
        Phase::Confirming(Box::new(KubePlan {
            lines: vec![format!(
                "replicas: {from} → {to} (spec.replicas via /scale)"
            )],
            dry_run: "passed".into(),
            ..KubePlan::default()
        }))
    }

    #[test]
    fn low_tier_staging_scale() {
        snapshot_all("op_low_scale", |app| {
            let op = Operation::Scale {
                target: target("shop-staging", "api"),
                from: 1,
                to: 2,
            };
            let dialog = open(app, op, scale_plan(1, 2));
            dialog.context_lines = vec![
                "now: 1 desired, 1 ready, 1 pods".into(),
                "  api-6c9d8f7b5-k2m4n Running 1/1 restarts 0".into(),
            ];
        });
    }

    #[test]
    fn high_tier_rollback_with_revisions_and_diff() {
        snapshot_all("op_high_rollback", |app| {
            let op = Operation::Rollback {
                target: target("shop-staging", "frontend"),
                to_revision: 0,
            };
            let revision = |number: i64, tag: &str, hours: i64, current: bool| Revision {
                number,
                images: vec![format!("registry.local/shop/frontend:{tag}")],
                created: Some(fixed_now() - jiff::SignedDuration::from_hours(hours)),
                change_cause: Some(format!("deploy {tag}")),
                current,
                template: serde_json::Value::Null,
            };
            let line = |kind, text: &str| DiffLine {
                kind,
                text: text.into(),
            };
            let plan = KubePlan {
                lines: vec!["revision 19 → 18 (registry.local/shop/frontend:2.4.1)".into()],
                revisions: vec![
                    revision(19, "2.5.0-rc2", 3, true),
                    revision(18, "2.4.1", 50, false),
                    revision(17, "2.4.0", 200, false),
                ],
                diff: vec![
                    line(DiffKind::Hunk, "@@ -8,7 +8,7 @@"),
                    line(DiffKind::Context, "  containers:"),
                    line(DiffKind::Context, "  - name: frontend"),
                    line(
                        DiffKind::Removed,
                        "    image: registry.local/shop/frontend:2.5.0-rc2",
                    ),
                    line(
                        DiffKind::Added,
                        "    image: registry.local/shop/frontend:2.4.1",
                    ),
                    line(DiffKind::Context, "    ports:"),
                    line(DiffKind::Hunk, "@@ -21,6 +21,5 @@"),
                    line(DiffKind::Context, "    env:"),
                    line(DiffKind::Removed, "    - name: FEATURE_NEW_CHECKOUT"),
                    line(DiffKind::Removed, "      value: \"true\""),
                    line(DiffKind::Context, "    - name: API_URL"),
                ],
                chosen_revision: Some(18),
                dry_run: "passed".into(),
            };
            let dialog = open(app, op, Phase::Confirming(Box::new(plan)));
            dialog.name.insert_str("front");
        });
    }

    #[test]
    fn high_tier_protected_scale_with_name_and_reason() {
        snapshot_all("op_high_protected_scale", |app| {
            let op = Operation::Scale {
                target: target("shop-prod", "api"),
                from: 4,
                to: 6,
            };
            let dialog = open(app, op, scale_plan(4, 6));
            dialog.name.insert_str("api");
            dialog.field = Field::Reason;
            dialog.hint = Some("a reason is required on a protected context".into());
        });
    }

    #[test]
    fn refused() {
        snapshot_all("op_refused", |app| {
            let op = Operation::Scale {
                target: target("shop-prod", "api"),
                from: 4,
                to: 6,
            };
            open(
                app,
                op,
                Phase::Refused(OpError::Forbidden(
                    "deployments.apps \"api\" is forbidden: User \"sim-viewer\" cannot patch \
                     resource \"deployments/scale\" in API group \"apps\" in the namespace \"shop\""
                        .into(),
                )),
            );
        });
    }

    #[test]
    fn running_with_a_progress_bar() {
        snapshot_all("op_running", |app| {
            let op = Operation::Restart {
                target: target("shop-staging", "api"),
            };
            open(
                app,
                op,
                Phase::Running {
                    stage: Stage::Verifying,
                    progress: Some(Progress {
                        fraction: Some(0.5),
                        text: "rollout: 1 of 2 pods updated, 1 available".into(),
                    }),
                    started: Instant::now(),
                },
            );
        });
    }

    #[test]
    fn finished() {
        snapshot_all("op_finished", |app| {
            let op = Operation::Scale {
                target: target("shop-staging", "api"),
                from: 1,
                to: 2,
            };
            open(
                app,
                op,
                Phase::Finished {
                    result: Ok("scaled deploy/api to 2; 2/2 replicas ready".into()),
                    elapsed: Duration::from_millis(4200),
                },
            );
        });
    }
}

/// An incident declared from the fixture's HighErrorRate twelve minutes before the fixed
/// clock, with high-error-rate and database-failure attached, the database runbook shown
/// at its health check (two items ticked), and a note — built at fixed times so the
/// snapshot never changes.
fn with_incident(app: &mut App) {
    use pilothouse::incident::{
        Incident, Severity, StepStatus, attach_runbook, record_check, record_note, record_step,
    };
    let library = pilothouse::runbook::Library::load(None);
    let at = |minutes: i64| common::fixed_now() - jiff::SignedDuration::from_mins(minutes);
    let alert = app
        .fleet
        .alerts
        .values()
        .find(|a| a.name() == "HighErrorRate")
        .cloned()
        .expect("the fixture's HighErrorRate");
    let title = pilothouse::incident::title_from_alert(&alert);
    let mut incident = Incident::declare(
        title,
        Severity::P1,
        Some("oncall".into()),
        Some(&alert),
        at(12),
    );
    incident.id = "INC-20261122-0300-ab12".into();
    let mut runbooks = Vec::new();
    for id in ["high-error-rate", "database-failure"] {
        let runbook = library.get(id).expect("shipped runbook").clone();
        let steps = runbook.steps.iter().map(|s| s.id.clone());
        attach_runbook(&mut incident, id, &runbook.title, steps, "oncall", at(11)).unwrap();
        let params = runbook.fill_parameters(&alert.labels);
        incident.runbooks.last_mut().unwrap().params = params;
        runbooks.push(Some(runbook));
    }
    let db = "database-failure";
    record_note(
        &mut incident,
        "api 5xx at 34%; postgres-0 CrashLoopBackOff",
        "oncall",
        at(10),
    );
    record_step(
        &mut incident,
        db,
        "primary-logs",
        StepStatus::Done,
        "oncall",
        at(9),
    )
    .unwrap();
    record_step(
        &mut incident,
        db,
        "check-health",
        StepStatus::InProgress,
        "oncall",
        at(8),
    )
    .unwrap();
    let items = match &runbooks[1].as_ref().unwrap().steps[1].body {
        pilothouse::runbook::StepBody::Check { items } => items.clone(),
        _ => unreachable!("check-health is a check"),
    };
    let params = incident.runbooks[1].params.clone();
    for item in &items[..2] {
        let text = pilothouse::runbook::fill(item, &params);
        record_check(&mut incident, db, "check-health", &text, true).unwrap();
    }
    let mut desk = pilothouse::ui::incident::state::IncidentDesk::new(incident, runbooks);
    desk.selected_runbook = 1;
    desk.item = 2;
    app.ui.incident = Some(Box::new(desk));
    press(app, KeyAction::ViewIncident);
}

#[test]
fn incident_runbook() {
    snapshot_all("incident_runbook", with_incident);
}

#[test]
fn incident_timeline() {
    snapshot_all("incident_timeline", |app| {
        with_incident(app);
        press(app, KeyAction::ToggleTimeline);
    });
}

#[test]
fn incident_note_editor() {
    snapshot_all("incident_note", |app| {
        with_incident(app);
        press(app, KeyAction::AddNote);
        type_text(app, "failover not needed: restart fixed it");
    });
}

#[test]
fn incident_none_open() {
    snapshot_all("incident_none", |app| press(app, KeyAction::ViewIncident));
}

#[test]
fn incident_declare_dialog_from_an_alert() {
    snapshot_all("incident_declare", |app| {
        app.incidents = pilothouse::app::incident_glue::IncidentGlue::new(
            pilothouse::runbook::Library::load(None),
        );
        common::select_first(app, ViewKind::Alerts, "HighErrorRate");
        press(app, KeyAction::DeclareIncident);
        // The commander defaults to the local user, which differs between machines.
        let dialog = app.ui.declare.as_mut().expect("the declare dialog");
        dialog.commander = pilothouse::ui::incident::state::single_line("oncall");
    });
}
