//! Views: pure functions of `&Fleet`, `&UiState` and `&Theme` (DESIGN.md §2). No I/O here.

pub mod chrome;
pub mod confirm;
pub mod format;
pub mod incident;
pub mod logs_view;
pub mod overlays;
pub mod state;
pub mod table;
pub mod views;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};

use crate::app::KeyAction;
use crate::config::theme::Theme;
use crate::config::{ConfigProblem, Keymap, Layer};
use crate::logs::LogStore;
use crate::store::Fleet;
use state::{UiState, ViewKind};

/// Text the screen needs that comes from configuration, computed once, not per frame.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    /// Help overlay sections: (title, [(keys, description)]), generated from the keymap.
    pub help: Vec<HelpSection>,
    /// Short key hints for the status bar on table views: (keys, what).
    pub hints: Vec<(String, String)>,
    /// The same for the log view.
    pub log_hints: Vec<(String, String)>,
    /// The same for the incident view.
    pub incident_hints: Vec<(String, String)>,
    /// Configuration problems shown once at start (file:line:column: message).
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct HelpSection {
    pub title: String,
    pub entries: Vec<(String, String)>,
}

/// Build the help sections and hints from the active keymap, so help never drifts from it.
pub fn chrome_text(keymap: &Keymap, problems: &[ConfigProblem]) -> Chrome {
    let help = Layer::ALL
        .iter()
        .map(|layer| HelpSection {
            title: match layer {
                Layer::Global => "Everywhere".to_string(),
                Layer::Table => "Tables".to_string(),
                Layer::Logs => "Logs".to_string(),
                Layer::Dialog => "Dialogs".to_string(),
                Layer::Incident => "Incident view".to_string(),
            },
            entries: keymap
                .help(*layer)
                .into_iter()
                .map(|e| (e.keys, e.desc))
                .collect(),
        })
        .filter(|s| !s.entries.is_empty())
        .collect();
    let hints = |layers: &[Layer], wanted: &[(KeyAction, &str)]| {
        wanted
            .iter()
            .filter_map(|(action, what)| {
                keymap
                    .keys_for(layers, *action)
                    .map(|k| (k, (*what).to_string()))
            })
            .collect()
    };
    Chrome {
        help,
        hints: hints(
            &[Layer::Table, Layer::Global],
            &[
                (KeyAction::Help, "help"),
                (KeyAction::Palette, "cmd"),
                (KeyAction::Filter, "filter"),
                (KeyAction::Open, "open"),
                (KeyAction::OpenLogs, "logs"),
                (KeyAction::SortNext, "sort"),
                (KeyAction::Quit, "quit"),
            ],
        ),
        log_hints: hints(
            &[Layer::Logs, Layer::Global],
            &[
                (KeyAction::Help, "help"),
                (KeyAction::ToggleFollow, "follow"),
                (KeyAction::Filter, "filter"),
                (KeyAction::Search, "search"),
                (KeyAction::ToggleWrap, "wrap"),
                (KeyAction::ToggleTimestamps, "time"),
                (KeyAction::Back, "back"),
            ],
        ),
        incident_hints: hints(
            &[Layer::Incident, Layer::Global],
            &[
                (KeyAction::StepDo, "do step"),
                (KeyAction::StepTick, "tick"),
                (KeyAction::StepSkip, "skip"),
                (KeyAction::StepRetry, "retry"),
                (KeyAction::AddNote, "note"),
                (KeyAction::ToggleTimeline, "timeline"),
                (KeyAction::AttachRunbook, "attach"),
                (KeyAction::ExportPostmortem, "postmortem"),
                (KeyAction::Help, "help"),
            ],
        ),
        problems: problems.iter().map(ToString::to_string).collect(),
    }
}

/// Everything a frame reads.
pub struct Screen<'a> {
    pub fleet: &'a Fleet,
    pub logs: &'a LogStore,
    pub log_pane: Option<&'a crate::logs::LogPane>,
    pub ui: &'a UiState,
    pub theme: &'a Theme,
    pub chrome: &'a Chrome,
}

/// Draw one frame.
pub fn render(screen: &Screen, frame: &mut Frame) {
    let area = frame.area();
    let [header, body, status] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let buf = frame.buffer_mut();
    chrome::render_header(screen, header, buf);
    render_body(screen, body, buf);
    chrome::render_status(screen, status, buf);
    overlays::render(screen, area, buf);
}

fn render_body(screen: &Screen, area: ratatui::layout::Rect, buf: &mut ratatui::buffer::Buffer) {
    use ratatui::widgets::Widget;
    let ui = screen.ui;
    match ui.view {
        ViewKind::Overview => views::overview::OverviewView {
            fleet: screen.fleet,
            scope: &ui.scope,
            theme: screen.theme,
            now: ui.now,
        }
        .render(area, buf),
        ViewKind::Logs => chrome::render_logs(screen, area, buf),
        ViewKind::Incident => incident::render(screen, area, buf),
        view => {
            let mut area = area;
            if let Some(note) = views::forbidden_note(view, screen.fleet, &ui.scope)
                && area.height > 2
            {
                // Said under the table: a refused list must never pass for an empty one.
                let line = ratatui::layout::Rect {
                    y: area.y + area.height - 1,
                    height: 1,
                    ..area
                };
                area.height -= 1;
                ratatui::widgets::Paragraph::new(note)
                    .style(screen.theme.style("source.forbidden"))
                    .render(line, buf);
            }
            if let Some(spec) = views::table_spec(view) {
                let state = ui.table(view);
                table::TableView {
                    spec,
                    fleet: screen.fleet,
                    state,
                    theme: screen.theme,
                    now: ui.now,
                    empty_message: views::empty_message(view, !state.filter.is_empty()),
                }
                .render(area, buf);
            }
        }
    }
}
