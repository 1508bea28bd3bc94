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
