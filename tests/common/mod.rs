//! Shared set-up for tests that drive `App` without a terminal.
#![allow(dead_code)] // each test binary uses a different part of this module

use jiff::Timestamp;
use pilothouse::app::{Action, App, KeyAction};
use pilothouse::config::{Keymap, Theme};
use pilothouse::ui::{self, Screen};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// The fixed clock every snapshot is drawn at, so ages never change between runs.
pub fn fixed_now() -> Timestamp {
    "2026-11-22T03:12:10Z".parse().expect("valid timestamp")
}

/// An app holding the embedded fixture estate, drawn with `theme`.
pub fn fixture_app(theme: &str) -> App {
    let theme = Theme::builtin(theme).expect("built-in theme");
    let keymap = Keymap::builtin("default").expect("built-in keymap");
    let chrome = ui::chrome_text(&keymap, &[]);
    let mut app = App::new(theme, keymap, chrome, 16 << 20, fixed_now());
    for event in pilothouse::fixture::embedded(fixed_now()) {
        app.update(Action::Source(event));
    }
    app
}

pub fn press(app: &mut App, action: KeyAction) {
    app.update(Action::Do(action));
}

/// Type keys as a user would: each char is a key press.
pub fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, crossterm::event::KeyCode::Char(c));
    }
}

pub fn key(app: &mut App, code: crossterm::event::KeyCode) {
    app.update(Action::Key(crossterm::event::KeyEvent::new(
        code,
        crossterm::event::KeyModifiers::NONE,
    )));
}

/// Draw one frame at `width`x`height` and return the terminal for inspection.
pub fn draw(app: &mut App, width: u16, height: u16) -> Terminal<TestBackend> {
    app.update(Action::Resize { width, height });
    app.prepare_frame();
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    let screen = Screen {
        fleet: &app.fleet,
        logs: &app.logs,
        log_pane: app.log_pane.as_ref(),
        ui: &app.ui,
        theme: &app.theme,
        chrome: &app.chrome,
    };
    terminal
        .draw(|frame| ui::render(&screen, frame))
        .expect("draw");
    terminal
}

/// The screen's text, one line per row, trailing spaces trimmed.
pub fn screen_text(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let width = buffer.area.width as usize;
    buffer
        .content
        .chunks(width)
        .map(|row| {
            let line: String = row.iter().map(|c| c.symbol()).collect();
            line.trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}
pub mod kubectl_sim;

/// Filter `view` to `filter`, prepare a frame, and select its first item row (group
/// headings are not items): the row a user would pick after typing the filter.
pub fn select_first(app: &mut App, view: pilothouse::ui::state::ViewKind, filter: &str) {
    app.go(view);
    let state = app.ui.table_mut(view);
    state.filter = filter.to_string();
    state.selected = 0;
    state.invalidate();
    app.prepare_frame();
    let state = app.ui.table_mut(view);
    state.selected = state
        .rows
        .iter()
        .position(|r| r.item().is_some())
        .unwrap_or_else(|| panic!("no row of {view:?} matches `{filter}`"));
}
