//! Incidents in the app (issue 8): declaring one, attaching runbooks, notes, the
//! postmortem, and keeping the timeline and the file up to date. Beside it:
//! `incident_steps` walks the steps, `incident_observe` opens what observe steps show,
//! `incident_commands` has the view's keys and the palette's commands, `incident_keys`
//! the dialogs' keys.
//!
//! The incident's state is saved after every change (`save_incident`), so a console that
//! stops resumes it where it was (`--resume ID`). Action steps go through the same
//! operation dialog as any operation (`ask_operation`); the dialog carries the step, and
//! the runner's outcome settles it.

use std::collections::HashMap;
use std::path::PathBuf;

use jiff::Timestamp;

use super::App;
use crate::incident::{
    self, Incident, Severity, StepStatus, attach_runbook, merge_audit, observe_alerts_from,
    record_note, record_step,
};
use crate::model::Alert;
use crate::ops::audit::{self, AUDIT_FILE_NAME, AuditFilter};
use crate::ops::runner::OpId;
use crate::runbook::{Library, Runbook, walk};
use crate::ui::incident::state::{
    DeclareDialog, DeclareField, IncidentDesk, NoteEditor, RunbookPicker, single_line,
};
use crate::ui::state::ViewKind;

/// A step of an attached runbook, by ids (they survive a reload of the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRef {
    pub runbook: String,
    pub step: String,
}

/// What the app keeps for incidents besides what the screen shows.
#[derive(Debug, Default)]
pub struct IncidentGlue {
    /// Shipped and user runbooks.
    pub library: Library,
    /// Action steps whose operation is executing, by the runner's operation id.
    pub(super) running: HashMap<OpId, StepRef>,
}

impl IncidentGlue {
    pub fn new(library: Library) -> IncidentGlue {
        IncidentGlue {
            library,
            running: HashMap::new(),
        }
    }
}

/// The incident severity an alert suggests: critical pages are P1 (a core function is
/// down) until someone says the whole system is; warnings P2; the rest P3.
pub fn severity_for(alert: &Alert) -> Severity {
    match alert.severity() {
        crate::model::alert::Severity::Critical => Severity::P1,
        crate::model::alert::Severity::Warning => Severity::P2,
        _ => Severity::P3,
    }
}

/// The runbook an alert's `runbook_url` names, when its last path segment is the id of a
/// runbook in the library (`https://runbooks.example.com/ops/high-error-rate`).
pub fn runbook_of_url<'a>(library: &'a Library, url: &str) -> Option<&'a Runbook> {
    let last = url
        .trim_end_matches('/')
        .rsplit('/')
        .next()?
        .trim_end_matches(".md")
        .trim_end_matches(".html");
    library.get(last)
}

impl App {
    pub(super) fn author(&self) -> String {
        audit::local_user()
    }

    /// Open the declare dialog: from `alert` (prefilled), or by hand with `title`.
    pub(super) fn open_declare(&mut self, alert: Option<Alert>, title: &str) {
        if let Some(desk) = &self.ui.incident
            && desk.incident.status != incident::Status::Resolved
        {
            self.set_status(
                format!(
                    "incident {} is open in this console: resolve it first (:resolve)",
                    desk.incident.id
                ),
                true,
            );
            return;
        }
        let severity = alert.as_ref().map_or(Severity::P2, severity_for);
        let title = match &alert {
            Some(a) => incident::title_from_alert(a),
            None => title.to_string(),
        };
        let labels = alert.as_ref().map(|a| a.labels.clone()).unwrap_or_default();
        let url = alert.as_ref().and_then(|a| a.runbook_url());
        let runbooks = self.runbook_choices(&labels, url, severity);
        self.ui.declare = Some(DeclareDialog {
            alert,
            title: single_line(&title),
            severity,
            commander: single_line(&self.author()),
            runbooks,
            selected: 0,
            field: if title.is_empty() {
                DeclareField::Title
            } else {
                DeclareField::Severity
            },
            hint: None,
        });
    }

    /// Every runbook, those suggested for the alert and severity first (the best one
    /// chosen), then the rest of the library.
    pub(super) fn runbook_choices(
        &self,
        labels: &std::collections::BTreeMap<String, String>,
        runbook_url: Option<&str>,
        severity: Severity,
    ) -> Vec<(String, String, bool)> {
        let library = &self.incidents.library;
        let mut suggested: Vec<&Runbook> = Vec::new();
        // The alert's own runbook_url, when it names one of ours, beats any matcher.
        if let Some(named) = runbook_url.and_then(|url| runbook_of_url(library, url)) {
            suggested.push(named);
        }
        for runbook in library.matching(labels, Some(severity)) {
            if !suggested.iter().any(|r| r.id == runbook.id) {
                suggested.push(runbook);
            }
        }
        let mut choices: Vec<(String, String, bool)> = suggested
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), format!("{} (suggested)", r.title), i == 0))
            .collect();
        for runbook in library.runbooks() {
            if !choices.iter().any(|(id, ..)| *id == runbook.id) {
                choices.push((runbook.id.clone(), runbook.title.clone(), false));
            }
        }
        choices
    }

    /// Declare the incident the dialog describes, attach its chosen runbooks, save it and
    /// show it.
    pub(super) fn declare_from_dialog(&mut self) {
        let Some(dialog) = self.ui.declare.take() else {
            return;
        };
        let title = dialog.title.lines().join(" ").trim().to_string();
        let commander = dialog.commander.lines().join(" ").trim().to_string();
        let now = Timestamp::now();
        let incident = Incident::declare(
            title,
            dialog.severity,
            Some(commander),
            dialog.alert.as_ref(),
            now,
        );
        self.ui.incident = Some(Box::new(IncidentDesk::new(incident, Vec::new())));
        for (id, _, chosen) in &dialog.runbooks {
            if *chosen {
                self.attach(id, now);
            }
        }
        if let Some(desk) = self.ui.incident.as_mut() {
            desk.selected_runbook = 0;
        }
        self.save_incident();
        let id = self.desk_id();
        self.set_status(format!("declared {id}"), false);
        self.go(ViewKind::Incident);
    }

    pub(super) fn desk_id(&self) -> String {
        self.ui
            .incident
            .as_ref()
            .map(|d| d.incident.id.clone())
            .unwrap_or_default()
    }

    /// Attach the library's runbook `id` to the incident, its parameters filled from the
    /// incident's alert and scope labels and the runbook's defaults.
    pub(super) fn attach(&mut self, id: &str, now: Timestamp) -> bool {
        let author = self.author();
        let Some(runbook) = self.incidents.library.get(id).cloned() else {
            self.set_status(
                format!("no runbook `{id}` (pilothouse runbooks list)"),
                true,
            );
            return false;
        };
        let Some(desk) = self.ui.incident.as_mut() else {
            return false;
        };
        let mut labels = desk.incident.scope.clone();
        if let Some(alert) = &desk.incident.alert {
            labels.extend(alert.labels.clone());
        }
        let params = runbook.fill_parameters(&labels);
        let steps = runbook.steps.iter().map(|s| s.id.clone());
        if let Err(e) = attach_runbook(
            &mut desk.incident,
            &runbook.id,
            &runbook.title,
            steps,
            &author,
            now,
        ) {
            self.set_status(e.to_string(), true);
            return false;
        }
        if let Some(progress) = desk.incident.runbooks.last_mut() {
            progress.params = params.clone();
        }
        let missing: Vec<String> = runbook
            .missing_parameters(&params)
            .iter()
            .map(|p| p.name.clone())
            .collect();
        desk.runbooks.push(Some(runbook));
        desk.selected_runbook = desk.runbooks.len() - 1;
        desk.item = 0;
        if !missing.is_empty() {
            self.set_status(
                format!(
                    "the runbook needs {}: type :param NAME VALUE",
                    missing.join(", ")
                ),
                true,
            );
        }
        true
    }

    /// Write the incident to the data directory (atomically); a failure is shown and kept
    /// on screen until a save succeeds.
    pub(super) fn save_incident(&mut self) {
        self.dirty = true;
        let Some(desk) = self.ui.incident.as_mut() else {
            return;
        };
        let Some(dir) = &self.data_dir else {
            return;
        };
        desk.save_error = match incident::save(dir, &desk.incident) {
            Ok(_) => None,
            Err(e) => Some(format!("incident not saved: {e}")),
        };
    }

    /// Resume the incident `id` from the data directory (`--resume`, `:incident resume`).
    pub fn resume_incident(&mut self, id: &str) -> Result<(), String> {
        let dir = self
            .data_dir
            .clone()
            .ok_or("no data directory to resume from")?;
        let incident = incident::load(&dir, id).map_err(|e| e.to_string())?;
        let runbooks = incident
            .runbooks
            .iter()
            .map(|r| self.incidents.library.get(&r.runbook_id).cloned())
            .collect();
        self.ui.incident = Some(Box::new(IncidentDesk::new(incident, runbooks)));
        self.merge_incident_audit();
        // What the walk had open beside it (the primary's logs) opens again.
        let observed = self.ui.incident.as_ref().and_then(|d| {
            let (runbook, progress) = d.shown()?;
            let index = crate::ui::incident::observed_step(runbook, progress)?;
            Some((runbook.clone(), index))
        });
        if let Some((runbook, index)) = observed {
            // The sources have not filled the fleet yet at start: `o` opens it later.
            let _ = self.open_observed(&runbook, index, false);
        }
        self.cursor_to_first_unticked();
        self.go(ViewKind::Incident);
        Ok(())
    }

    /// Operations from the audit log onto the timeline (those linked by action steps and
    /// those in the incident's scope).
    pub(super) fn merge_incident_audit(&mut self) {
        let Some(dir) = self.data_dir.clone() else {
            return;
        };
        let Some(desk) = self.ui.incident.as_mut() else {
            return;
        };
        let filter = AuditFilter {
            since: Some(desk.incident.declared_at),
            context: None,
        };
        if let Ok((records, _)) = audit::read(&dir.join(AUDIT_FILE_NAME), &filter)
            && merge_audit(&mut desk.incident, &records) > 0
        {
            self.save_incident();
        }
    }

    /// Before each frame: alerts onto the timeline, the current wait step evaluated, an
    /// action step whose dialog was closed unconfirmed put back.
    pub(super) fn prepare_incident_frame(&mut self) {
        let now = self.ui.now;
        let Some(desk) = self.ui.incident.as_mut() else {
            return;
        };
        // Built-in rules always answer; an Alertmanager only once it is live.
        let sources = &self.fleet.sources;
        let answered = |source: &str| {
            source == "pilothouse"
                || sources.iter().any(|(key, health)| {
                    key.kind == crate::model::SourceKind::Alertmanager
                        && key.name == source
                        && *health == crate::model::SourceHealth::Live
                })
        };
        let mut changed = observe_alerts_from(
            &mut desk.incident,
            self.fleet.alerts.values(),
            now,
            &answered,
        );
        changed |= self.settle_wait(now);
        changed |= self.release_unconfirmed_action(now);
        if changed {
            self.save_incident();
        }
    }

    /// The current step of the shown runbook, by index, with the runbook.
    pub(super) fn current_step(&self) -> Option<(Runbook, usize)> {
        let desk = self.ui.incident.as_ref()?;
        let (runbook, progress) = desk.shown()?;
        let index = walk(runbook, progress).current?;
        Some((runbook.clone(), index))
    }

    /// Whether the shown runbook's current step is of the kind `is` accepts, without
    /// cloning anything (the per-frame checks use it).
    pub(super) fn current_step_is(&self, is: impl Fn(&crate::runbook::StepBody) -> bool) -> bool {
        let Some((runbook, progress)) = self.ui.incident.as_ref().and_then(|d| d.shown()) else {
            return false;
        };
        walk(runbook, progress)
            .current
            .is_some_and(|i| is(&runbook.steps[i].body))
    }

    pub(super) fn params(&self) -> crate::runbook::Params {
        self.ui
            .incident
            .as_ref()
            .and_then(|d| d.incident.runbooks.get(d.selected_runbook))
            .map(|p| p.params.clone())
            .unwrap_or_default()
    }

    /// Move a step of the shown runbook; saves nothing (the caller does).
    pub(super) fn set_step(
        &mut self,
        runbook: &str,
        step: &str,
        status: StepStatus,
        now: Timestamp,
    ) -> bool {
        let author = self.author();
        let Some(desk) = self.ui.incident.as_mut() else {
            return false;
        };
        // Starting a step keeps the cursor where the engineer is; a step settled (or put
        // back) hands the walk to another step, whose cursor starts at the top.
        let starts = status == StepStatus::InProgress;
        let moved =
            record_step(&mut desk.incident, runbook, step, status, &author, now).unwrap_or(false);
        if moved && !starts {
            desk.item = 0;
        }
        moved
    }

    /// The note editor's text as a note on the incident's timeline.
    pub(super) fn add_note(&mut self, text: &str) {
        let author = self.author();
        let Some(desk) = self.ui.incident.as_mut() else {
            self.set_status(
                "no incident: declare one first (I on an alert, :declare)",
                true,
            );
            return;
        };
        if record_note(&mut desk.incident, text, &author, Timestamp::now()) {
            self.save_incident();
            self.set_status("note added", false);
        }
    }

    /// Open the note editor (from any view, while an incident is open).
    pub(super) fn open_note_editor(&mut self) {
        if self.ui.incident.is_none() {
            self.set_status(
                "no incident: declare one first (I on an alert, :declare)",
                true,
            );
            return;
        }
        self.ui.note = Some(NoteEditor::default());
    }

    /// Write the postmortem next to the incident's file; returns its path.
    pub(super) fn export_postmortem(&mut self) {
        self.merge_incident_audit();
        let Some(desk) = self.ui.incident.as_ref() else {
            return;
        };
        let Some(dir) = &self.data_dir else {
            self.set_status("no data directory to write the postmortem to", true);
            return;
        };
        let markdown = incident::render_markdown(&desk.incident, Timestamp::now());
        let path: PathBuf =
            incident::files::incidents_dir(dir).join(format!("{}.md", desk.incident.id));
        match std::fs::write(&path, markdown) {
            Ok(()) => self.set_status(format!("postmortem written: {}", path.display()), false),
            Err(e) => self.set_status(format!("{}: {e}", path.display()), true),
        }
    }

    /// `a`: choose a runbook to attach, suggested ones first.
    pub(super) fn open_attach_picker(&mut self) {
        let Some(desk) = self.ui.incident.as_ref() else {
            return;
        };
        let labels = desk
            .incident
            .alert
            .as_ref()
            .map(|a| a.labels.clone())
            .unwrap_or_default();
        let severity = desk.incident.severity;
        let attached: Vec<String> = desk
            .incident
            .runbooks
            .iter()
            .map(|r| r.runbook_id.clone())
            .collect();
        let choices = self
            .runbook_choices(&labels, None, severity)
            .into_iter()
            .filter(|(id, ..)| !attached.contains(id))
            .map(|(id, title, _)| {
                let suggested = title.ends_with("(suggested)");
                (id, title, suggested)
            })
            .collect();
        if let Some(desk) = self.ui.incident.as_mut() {
            desk.attach = Some(RunbookPicker {
                choices,
                selected: 0,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn a_runbook_url_names_a_runbook_by_its_last_segment() {
        let library = Library::load(None);
        let found = |url: &str| runbook_of_url(&library, url).map(|r| r.id.as_str());
        assert_eq!(
            found("https://runbooks.example.com/ops/high-error-rate"),
            Some("high-error-rate")
        );
        assert_eq!(
            found("https://wiki/runbooks/database-failure.md"),
            Some("database-failure")
        );
        assert_eq!(
            found("https://runbooks.example.com/ops/high-cpu/"),
            Some("high-cpu")
        );
        assert_eq!(
            found("https://runbooks.prometheus-operator.dev/runbooks/general/watchdog"),
            None
        );
    }
}
