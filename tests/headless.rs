//! Drive `App` with actions and keys, no terminal, and assert on its state and screen.

mod common;

use common::{draw, fixture_app, key, press, screen_text, type_text};
use crossterm::event::KeyCode;
use pilothouse::app::{Action, KeyAction};
use pilothouse::store::SourceEvent;
use pilothouse::ui::state::{PromptKind, ViewKind};

#[test]
fn digits_and_tab_switch_views_and_esc_goes_back() {
    let mut app = fixture_app("dark");
    assert_eq!(app.ui.view, ViewKind::Overview);
    type_text(&mut app, "3");
    assert_eq!(app.ui.view, ViewKind::Pods);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.ui.view, ViewKind::Nodes);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.ui.view, ViewKind::Pods);
}

#[test]
fn palette_aliases_jump_and_set_namespace_scope() {
    let mut app = fixture_app("dark");
    type_text(&mut app, ":");
    assert!(matches!(
        app.ui.prompt.as_ref().map(|p| &p.kind),
        Some(PromptKind::Palette)
    ));
    type_text(&mut app, "deploy");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.ui.view, ViewKind::Workloads);
    app.update(Action::Command("ns payments".into()));
    app.prepare_frame();
    let table = app.ui.table(ViewKind::Workloads);
    assert_eq!(table.rows.len(), 2, "payments has two deployments");
    let text = screen_text(&draw(&mut app, 200, 50));
    assert!(text.contains("ns:payments"));
    assert!(!text.contains("frontend"));
    app.update(Action::Command("ns all".into()));
    app.prepare_frame();
    assert!(app.ui.table(ViewKind::Workloads).rows.len() > 10);
}

#[test]
fn unknown_palette_command_is_reported_not_ignored() {
    let mut app = fixture_app("dark");
    app.update(Action::Command("frobnicate".into()));
    let status = app.ui.status.clone().expect("a status message");
    assert!(status.error);
    assert!(status.text.contains("frobnicate"));
}

#[test]
fn fuzzy_filter_narrows_the_pods_table_as_you_type() {
    let mut app = fixture_app("dark");
    press(&mut app, KeyAction::ViewPods);
    app.prepare_frame();
    let all = app.ui.table(ViewKind::Pods).rows.len();
    type_text(&mut app, "/led");
    app.prepare_frame();
    let rows = app.ui.table(ViewKind::Pods).rows.len();
    assert!(rows >= 1 && rows < all, "{rows} of {all}");
    let text = screen_text(&draw(&mut app, 200, 50));
    assert!(text.contains("ImagePullBackOff"));
    assert!(!text.contains("CrashLoopBackOff"));
    // Esc cancels the prompt and the filter with it.
    key(&mut app, KeyCode::Esc);
    app.prepare_frame();
    assert_eq!(app.ui.table(ViewKind::Pods).rows.len(), all);
}

#[test]
fn sorting_by_restarts_puts_the_crash_looping_pod_first() {
    let mut app = fixture_app("dark");
    press(&mut app, KeyAction::ViewPods);
    // Columns: CONTEXT NAMESPACE NAME STATUS READY RESTARTS ...; RESTARTS is index 5.
    for _ in 0..5 {
        press(&mut app, KeyAction::SortNext);
    }
    app.prepare_frame();
    let first = app.ui.table(ViewKind::Pods).rows[0]
        .item()
        .expect("an item row");
    let pod = app.fleet.pods.get_index(first as usize).expect("pod");
    assert_eq!(pod.id.name, "api-7d9f8b6c5d-x2k4q");
    assert!(
        app.ui
            .status
            .as_ref()
            .is_some_and(|s| s.text.contains("RESTARTS"))
    );
}

#[test]
fn selection_follows_its_item_when_rows_move() {
    let mut app = fixture_app("dark");
    press(&mut app, KeyAction::ViewPods);
    app.prepare_frame();
    press(&mut app, KeyAction::Bottom);
    let state = app.ui.table(ViewKind::Pods);
    let selected = state.selected_item().expect("selection");
    let name = app
        .fleet
        .pods
        .get_index(selected as usize)
        .expect("pod")
        .id
        .name
        .clone();
    // A new pod that sorts first arrives; the selection must stay on the same pod.
    let mut newcomer = app.fleet.pods.get_index(0).expect("a pod").clone();
    newcomer.id.context = "aaa-first".into();
    newcomer.id.name = "aaa".into();
    app.update(Action::Source(SourceEvent::UpsertPod(newcomer)));
    app.prepare_frame();
    let state = app.ui.table(ViewKind::Pods);
    let now_selected = state.selected_item().expect("selection");
    assert_eq!(
        app.fleet
            .pods
            .get_index(now_selected as usize)
            .expect("pod")
            .id
            .name,
        name
    );
}

#[test]
fn enter_on_a_workload_shows_its_pods_and_l_opens_logs() {
    let mut app = fixture_app("dark");
    press(&mut app, KeyAction::ViewWorkloads);
    type_text(&mut app, "/ledger");
    key(&mut app, KeyCode::Enter);
    app.prepare_frame();
    press(&mut app, KeyAction::Open);
    assert_eq!(app.ui.view, ViewKind::Pods);
    app.prepare_frame();
    assert_eq!(app.ui.table(ViewKind::Pods).rows.len(), 1);

    // The crash-looping api pod has fixture log lines.
    app.update(Action::Command("pods".into()));
    let state = app.ui.table_mut(ViewKind::Pods);
    state.filter = "x2k4q".into();
    state.invalidate();
    app.prepare_frame();
    press(&mut app, KeyAction::OpenLogs);
    assert_eq!(app.ui.view, ViewKind::Logs);
    while app.has_background_work() {
        app.do_background_work();
    }
    let text = screen_text(&draw(&mut app, 200, 50));
    assert!(text.contains("connection refused"), "{text}");
    assert!(text.contains("nil pointer dereference"), "{text}");
}

#[test]
fn an_open_filter_prompt_warms_the_tables_haystacks_between_keys_and_then_rests() {
    let mut app = fixture_app("dark");
    press(&mut app, KeyAction::ViewPods);
    app.prepare_frame();
    // Nothing to do with no prompt open, however cold the haystacks are.
    assert!(!app.has_background_work());
    type_text(&mut app, "/");
    app.prepare_frame();
    assert!(
        app.has_background_work(),
        "the prompt opened: haystacks to build"
    );
    let mut slices = 0;
    while app.has_background_work() {
        app.do_background_work();
        slices += 1;
        assert!(slices < 100, "the warm-up never rests");
    }
    // The filter then answers as it would have cold.
    type_text(&mut app, "x2k4q");
    app.prepare_frame();
    assert_eq!(app.ui.table(ViewKind::Pods).rows.len(), 1);
    assert!(!app.has_background_work());
    key(&mut app, KeyCode::Esc);
    assert!(!app.has_background_work());
}

#[test]
fn log_filter_keeps_only_matching_lines() {
    let mut app = fixture_app("dark");
    press(&mut app, KeyAction::ViewPods);
    let state = app.ui.table_mut(ViewKind::Pods);
    state.filter = "x2k4q".into();
    state.invalidate();
    app.prepare_frame();
    press(&mut app, KeyAction::OpenLogs);
    type_text(&mut app, "/refused");
    key(&mut app, KeyCode::Enter);
    while app.has_background_work() {
        app.do_background_work();
    }
    let text = screen_text(&draw(&mut app, 200, 50));
    assert!(text.contains("connection refused"), "{text}");
    assert!(!text.contains("request served"), "{text}");
}

#[test]
fn help_overlay_lists_bindings_from_the_keymap() {
    let mut app = fixture_app("dark");
    type_text(&mut app, "?");
    let text = screen_text(&draw(&mut app, 120, 60));
    assert!(text.contains("Help"));
    // Help lines come from the keymap file's `desc`.
    let first = &app.chrome.help[0];
    for (_, desc) in first.entries.iter().take(3) {
        assert!(text.contains(desc.as_str()), "help shows {desc:?}");
    }
    // The last section is reached by scrolling.
    let last = app.chrome.help.last().expect("sections").clone();
    for _ in 0..10 {
        key(&mut app, KeyCode::PageDown);
    }
    let text = screen_text(&draw(&mut app, 120, 60));
    assert!(text.contains(last.entries[0].1.as_str()), "{text}");
    key(&mut app, KeyCode::Esc);
    assert!(app.ui.overlay.is_none());
}

#[test]
fn source_health_shows_in_the_header() {
    use pilothouse::model::{SourceHealth, SourceKey, SourceKind};
    let mut app = fixture_app("dark");
    app.update(Action::Source(SourceEvent::Health {
        source: SourceKey::new(SourceKind::Docker, "build-01"),
        health: SourceHealth::Unavailable {
            error: "connection refused".into(),
        },
    }));
    let text = screen_text(&draw(&mut app, 200, 50));
    assert!(text.contains("docker:build-01 ✗ unavailable"), "{text}");
}

#[test]
fn read_only_badge_and_prod_environment_are_shown() {
    let mut app = fixture_app("dark");
    app.ui.read_only = true;
    let text = screen_text(&draw(&mut app, 200, 50));
    assert!(text.contains("READ-ONLY"));
    assert!(text.contains("shop-prod  prod"));
}

#[test]
fn ctrl_c_quits_from_anywhere() {
    let mut app = fixture_app("dark");
    type_text(&mut app, ":");
    app.update(Action::Key(crossterm::event::KeyEvent::new(
        KeyCode::Char('c'),
        crossterm::event::KeyModifiers::CONTROL,
    )));
    assert!(app.should_quit);
}

#[test]
fn configured_environment_overrides_the_guess_from_the_name() {
    let mut app = fixture_app("dark");
    let (config, problems) = pilothouse::config::Config::parse(
        "[contexts.\"shop-staging\"]\nenvironment = \"prod\"\n",
        std::path::Path::new("config.toml"),
    );
    assert!(problems.is_empty(), "{problems:?}");
    app.config = config;
    for event in pilothouse::fixture::embedded(common::fixed_now()) {
        app.update(Action::Source(event));
    }
    let text = screen_text(&draw(&mut app, 200, 50));
    assert!(text.contains("shop-staging  prod"), "{text}");
}
