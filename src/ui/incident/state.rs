//! What the incident screens show: the incident being worked (its runbooks, the walk's
//! cursor, the timeline's filter), the declare dialog and the note editor. Plain data;
//! `app::incident_glue` changes it, `ui::incident` draws it.

use ratatui_textarea::TextArea;

use crate::incident::{Incident, Severity, TimelineFilter};
use crate::model::Alert;
use crate::runbook::{ConditionState, Runbook};

/// Which half of the incident view has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeskPane {
    #[default]
    Runbook,
    Timeline,
}

/// The incident being worked in this console.
#[derive(Debug)]
pub struct IncidentDesk {
    pub incident: Incident,
    /// The attached runbooks' definitions, parallel to `incident.runbooks`; `None` when
    /// the library no longer has one (its progress is still shown).
    pub runbooks: Vec<Option<Runbook>>,
    /// Which attached runbook the view shows.
    pub selected_runbook: usize,
    /// The cursor inside the current step: a checklist item, a decision's option.
    pub item: usize,
    pub pane: DeskPane,
    pub timeline_filter: TimelineFilter,
    /// Timeline rows scrolled past from the newest end (0 shows the newest).
    pub timeline_scroll: usize,
    /// The current wait step's condition as last evaluated, for its status line.
    pub condition: Option<ConditionState>,
    /// The runbook picker of `a` (attach), when open.
    pub attach: Option<RunbookPicker>,
    /// The last save's failure, shown until a save succeeds: state that is not on disk
    /// must not look safe.
    pub save_error: Option<String>,
}

impl IncidentDesk {
    pub fn new(incident: Incident, runbooks: Vec<Option<Runbook>>) -> IncidentDesk {
        IncidentDesk {
            incident,
            runbooks,
            selected_runbook: 0,
            item: 0,
            pane: DeskPane::Runbook,
            timeline_filter: TimelineFilter::default(),
            timeline_scroll: 0,
            condition: None,
            attach: None,
            save_error: None,
        }
    }

    /// The runbook the view shows, with its progress.
    pub fn shown(&self) -> Option<(&Runbook, &crate::incident::RunbookProgress)> {
        let runbook = self.runbooks.get(self.selected_runbook)?.as_ref()?;
        let progress = self.incident.runbooks.get(self.selected_runbook)?;
        Some((runbook, progress))
    }
}

/// A choice of runbooks: suggested ones first, each with why.
#[derive(Debug, Clone, Default)]
pub struct RunbookPicker {
    /// (id, title, suggested for this incident)
    pub choices: Vec<(String, String, bool)>,
    pub selected: usize,
}

/// Which field of the declare dialog has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclareField {
    Title,
    Severity,
    Commander,
    Runbooks,
}

impl DeclareField {
    pub fn next(self) -> DeclareField {
        match self {
            DeclareField::Title => DeclareField::Severity,
            DeclareField::Severity => DeclareField::Commander,
            DeclareField::Commander => DeclareField::Runbooks,
            DeclareField::Runbooks => DeclareField::Title,
        }
    }

    pub fn previous(self) -> DeclareField {
        match self {
            DeclareField::Title => DeclareField::Runbooks,
            DeclareField::Severity => DeclareField::Title,
            DeclareField::Commander => DeclareField::Severity,
            DeclareField::Runbooks => DeclareField::Commander,
        }
    }
}

/// Declaring an incident: from an alert (prefilled) or by hand.
#[derive(Debug)]
pub struct DeclareDialog {
    /// The alert it is declared from, as it was when the dialog opened.
    pub alert: Option<Alert>,
    pub title: TextArea<'static>,
    pub severity: Severity,
    pub commander: TextArea<'static>,
    /// Runbooks to attach: those matching the alert and severity first, the first one
    /// chosen; Space toggles.
    pub runbooks: Vec<(String, String, bool)>,
    pub selected: usize,
    pub field: DeclareField,
    /// Why Enter did not declare ("a title is needed").
    pub hint: Option<String>,
}

/// A one-line text field.
pub fn single_line(text: &str) -> TextArea<'static> {
    let mut area = TextArea::new(vec![text.to_string()]);
    area.move_cursor(ratatui_textarea::CursorMove::End);
    area.set_cursor_line_style(ratatui::style::Style::default());
    area
}

/// The note editor: a text area whose lines become one note, stamped with time and author.
#[derive(Debug)]
pub struct NoteEditor {
    pub text: TextArea<'static>,
}

impl Default for NoteEditor {
    fn default() -> NoteEditor {
        let mut text = TextArea::default();
        text.set_cursor_line_style(ratatui::style::Style::default());
        NoteEditor { text }
    }
}
