//! Incidents in the app (issue 8): declaring one, walking its runbooks step by step,
//! notes, and keeping its timeline and file up to date.
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
    self, EntryKind, Incident, Severity, StepStatus, attach_runbook, link_operation, merge_audit,
    observe_alerts_from, record_answer, record_check, record_note, record_step,
};
use crate::model::Alert;
use crate::ops::audit::{self, AUDIT_FILE_NAME, AuditFilter};
use crate::ops::runner::OpId;
use crate::runbook::{ConditionState, Library, ObserveView, Runbook, StepBody, evaluate, walk};
use crate::ui::incident::observe::ObserveTarget;
use crate::ui::incident::state::{
    DeclareDialog, DeclareField, DeskPane, IncidentDesk, NoteEditor, RunbookPicker, single_line,
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
    running: HashMap<OpId, StepRef>,
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
    fn author(&self) -> String {
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
    fn runbook_choices(
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

    fn desk_id(&self) -> String {
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
    fn current_step(&self) -> Option<(Runbook, usize)> {
        let desk = self.ui.incident.as_ref()?;
        let (runbook, progress) = desk.shown()?;
        let index = walk(runbook, progress).current?;
        Some((runbook.clone(), index))
    }

    fn params(&self) -> crate::runbook::Params {
        self.ui
            .incident
            .as_ref()
            .and_then(|d| d.incident.runbooks.get(d.selected_runbook))
            .map(|p| p.params.clone())
            .unwrap_or_default()
    }

    /// Move a step of the shown runbook; saves nothing (the caller does).
    fn set_step(&mut self, runbook: &str, step: &str, status: StepStatus, now: Timestamp) -> bool {
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

    /// A wait step that is current: start it, and settle it when its condition holds or
    /// its timeout passes.
    fn settle_wait(&mut self, now: Timestamp) -> bool {
        let Some((runbook, index)) = self.current_step() else {
            return false;
        };
        let step = &runbook.steps[index];
        let StepBody::Wait { until, timeout } = &step.body else {
            if let Some(desk) = self.ui.incident.as_mut() {
                desk.condition = None;
            }
            return false;
        };
        let params = self.params();
        let state = evaluate(until, &self.fleet, &params);
        let progress = self
            .ui
            .incident
            .as_ref()
            .and_then(|d| d.incident.runbook(&runbook.id))
            .and_then(|p| p.step(&step.id))
            .cloned();
        let mut changed = false;
        let started = match progress.as_ref().map(|p| (&p.status, p.changed_at)) {
            Some((StepStatus::InProgress, Some(at))) => at,
            // Timed out with nowhere to go: it waits for a retry or a skip.
            Some((StepStatus::Failed { .. }, _)) => return false,
            _ => {
                changed |= self.set_step(&runbook.id, &step.id, StepStatus::InProgress, now);
                now
            }
        };
        let waited = now.duration_since(started).unsigned_abs();
        let outcome = match &state {
            ConditionState::Holds => Some(StepStatus::Done),
            _ if waited >= *timeout => Some(StepStatus::Failed {
                reason: format!(
                    "timed out after {}: {}",
                    crate::incident::postmortem::duration_text(
                        jiff::SignedDuration::try_from(*timeout).unwrap_or_default()
                    ),
                    match &state {
                        ConditionState::NotYet(why) | ConditionState::Unknown(why) => why,
                        ConditionState::Holds => "",
                    }
                ),
            }),
            _ => None,
        };
        if let Some(desk) = self.ui.incident.as_mut() {
            desk.condition = Some(state);
        }
        if let Some(status) = outcome {
            changed |= self.set_step(&runbook.id, &step.id, status, now);
        }
        changed
    }

    /// An action step is in progress while its dialog is open or its operation runs; a
    /// dialog closed without confirming leaves nothing done, so the step is pending again.
    fn release_unconfirmed_action(&mut self, now: Timestamp) -> bool {
        let Some((runbook, index)) = self.current_step() else {
            return false;
        };
        let step = &runbook.steps[index];
        if !matches!(step.body, StepBody::Action { .. }) {
            return false;
        }
        let in_progress = self
            .ui
            .incident
            .as_ref()
            .and_then(|d| d.incident.runbook(&runbook.id))
            .and_then(|p| p.step(&step.id))
            .is_some_and(|p| p.status == StepStatus::InProgress);
        let ours = StepRef {
            runbook: runbook.id.clone(),
            step: step.id.clone(),
        };
        let dialog_open = self
            .ui
            .operation
            .as_ref()
            .is_some_and(|d| d.step.as_ref() == Some(&ours));
        let running = self.incidents.running.values().any(|s| *s == ours);
        if in_progress && !dialog_open && !running {
            return self.set_step(&runbook.id, &step.id, StepStatus::Pending, now);
        }
        false
    }

    /// The runner's outcome of an operation: if it was an action step's, link it to the
    /// incident, settle the step and bring the audit records onto the timeline.
    pub(super) fn incident_op_finished(&mut self, id: OpId, ok: Result<(), String>) {
        let Some(step) = self.incidents.running.remove(&id) else {
            // Any operation may belong to the incident by its scope.
            if self.ui.incident.is_some() {
                self.merge_incident_audit();
            }
            return;
        };
        let now = Timestamp::now();
        if let Some(desk) = self.ui.incident.as_mut() {
            link_operation(&mut desk.incident, &crate::ops::runner::audit_id(id));
        }
        let status = match ok {
            Ok(()) => StepStatus::Done,
            Err(reason) => StepStatus::Failed { reason },
        };
        self.set_step(&step.runbook, &step.step, status, now);
        self.merge_incident_audit();
        self.save_incident();
    }

    /// The dialog of an action step was confirmed: its operation runs as `id`.
    pub(super) fn incident_op_started(&mut self, id: OpId, step: StepRef) {
        self.incidents.running.insert(id, step);
    }

    /// Enter in the runbook: do the current step — run its action, answer its decision,
    /// open what it observes, mark a check (all ticked) or a note done.
    pub(super) fn do_current_step(&mut self) {
        let Some((runbook, index)) = self.current_step() else {
            self.set_status(
                "this runbook is complete: a attaches another, :resolve ends the incident",
                false,
            );
            return;
        };
        let step = runbook.steps[index].clone();
        let params = self.params();
        let now = Timestamp::now();
        let item = self.ui.incident.as_ref().map_or(0, |d| d.item);
        let mut changed = false;
        match &step.body {
            StepBody::Note { .. } => {
                changed = self.set_step(&runbook.id, &step.id, StepStatus::Done, now);
            }
            StepBody::Check { items } => {
                let ticked = self
                    .ui
                    .incident
                    .as_ref()
                    .and_then(|d| d.incident.runbook(&runbook.id))
                    .and_then(|p| p.step(&step.id))
                    .map_or(0, |p| p.ticked.len());
                if ticked < items.len() {
                    self.set_status(
                        format!(
                            "{} of {} items ticked: tick them (space) or skip the step (s)",
                            ticked,
                            items.len()
                        ),
                        true,
                    );
                    return;
                }
                changed = self.set_step(&runbook.id, &step.id, StepStatus::Done, now);
            }
            StepBody::Decision { options, .. } => {
                let Some(option) = options.get(item) else {
                    return;
                };
                let author = self.author();
                if let Some(desk) = self.ui.incident.as_mut() {
                    changed |= record_answer(
                        &mut desk.incident,
                        &runbook.id,
                        &step.id,
                        &option.label,
                        &author,
                        now,
                    )
                    .unwrap_or(false);
                }
                changed |= self.set_step(&runbook.id, &step.id, StepStatus::Done, now);
            }
            StepBody::Action { command, .. } => {
                let missing: Vec<&str> = command
                    .names()
                    .filter(|n| params.get(*n).is_none_or(|v| v.is_empty()))
                    .collect();
                if !missing.is_empty() {
                    self.set_status(
                        format!(
                            "fill {} first: :param {} VALUE",
                            missing.join(", "),
                            missing[0]
                        ),
                        true,
                    );
                    return;
                }
                let line = command.render(&params);
                let op = match super::ops_target::parse(&line) {
                    Some(Ok(command)) => self.resolve_op_command(&command),
                    Some(Err(why)) => Err(why),
                    None => Err(format!("`{line}` is not an operation")),
                };
                match op {
                    Ok(op) => {
                        let ours = StepRef {
                            runbook: runbook.id.clone(),
                            step: step.id.clone(),
                        };
                        self.ask_operation(op);
                        if let Some(dialog) = self.ui.operation.as_mut()
                            && dialog.step.is_none()
                        {
                            dialog.step = Some(ours);
                            changed =
                                self.set_step(&runbook.id, &step.id, StepStatus::InProgress, now);
                        }
                    }
                    Err(why) if why.contains("ambiguous") => self.set_status(
                        format!("{line}: {why} — or :ctx NAME to run the runbook in one context"),
                        true,
                    ),
                    Err(why) => self.set_status(format!("{line}: {why}"), true),
                }
            }
            StepBody::Observe { .. } => {
                if let Err(why) = self.open_observed(&runbook, index, false) {
                    // Still done: the engineer looked; the status says the pane is empty.
                    self.set_status(why, true);
                }
                changed = self.set_step(&runbook.id, &step.id, StepStatus::Done, now);
            }
            StepBody::Wait { .. } => {
                self.set_status(
                    "waiting for the condition; s skips the step, r restarts the wait",
                    false,
                );
            }
        }
        if changed {
            self.save_incident();
        }
    }

    /// Space on a check step: tick or untick the item under the cursor.
    pub(super) fn tick_item(&mut self) {
        let Some((runbook, index)) = self.current_step() else {
            return;
        };
        let step = &runbook.steps[index];
        let StepBody::Check { items } = &step.body else {
            return;
        };
        let now = Timestamp::now();
        let Some(desk) = self.ui.incident.as_mut() else {
            return;
        };
        let item = desk.item.min(items.len().saturating_sub(1));
        // An item is kept by its text (placeholders filled), so the file and the
        // postmortem say what was checked.
        let params = desk
            .incident
            .runbook(&runbook.id)
            .map(|p| p.params.clone())
            .unwrap_or_default();
        let key = crate::runbook::fill(&items[item], &params);
        let ticked = desk
            .incident
            .runbook(&runbook.id)
            .and_then(|p| p.step(&step.id))
            .is_some_and(|p| p.ticked.contains(&key));
        let _ = record_check(&mut desk.incident, &runbook.id, &step.id, &key, !ticked);
        // Ticking moves to the next item, as a check list is walked down.
        if !ticked && item + 1 < items.len() {
            desk.item = item + 1;
        }
        let pending = desk
            .incident
            .runbook(&runbook.id)
            .and_then(|p| p.step(&step.id))
            .is_some_and(|p| p.status == StepStatus::Pending);
        if pending {
            self.set_step(&runbook.id, &step.id, StepStatus::InProgress, now);
        }
        self.save_incident();
    }

    /// Skip the current step, with a reason typed in the palette (`:skip REASON`).
    pub(super) fn skip_current_step(&mut self, reason: &str) {
        let Some((runbook, index)) = self.current_step() else {
            self.set_status("nothing to skip: the runbook is complete", false);
            return;
        };
        let reason = reason.trim();
        if reason.is_empty() {
            self.set_status("say why: :skip REASON", true);
            return;
        }
        let step = runbook.steps[index].id.clone();
        let status = StepStatus::Skipped {
            reason: reason.to_string(),
        };
        if self.set_step(&runbook.id, &step, status, Timestamp::now()) {
            self.save_incident();
        }
    }

    /// Retry: a failed step of the shown runbook (the last one) becomes current again;
    /// a current wait starts over.
    pub(super) fn retry_step(&mut self) {
        let now = Timestamp::now();
        let Some(desk) = self.ui.incident.as_ref() else {
            return;
        };
        let Some((runbook, progress)) = desk.shown() else {
            return;
        };
        let walked = walk(runbook, progress);
        let failed = walked.path.iter().rev().find(|i| {
            progress
                .step(&runbook.steps[**i].id)
                .is_some_and(|p| matches!(p.status, StepStatus::Failed { .. }))
        });
        let target = failed.copied().or(walked.current);
        let Some(index) = target else {
            self.set_status("nothing to retry", false);
            return;
        };
        let (runbook_id, step_id) = (runbook.id.clone(), runbook.steps[index].id.clone());
        if self.set_step(&runbook_id, &step_id, StepStatus::Pending, now) {
            self.save_incident();
        }
    }

    /// Open in full what an observe step shows (the log pane with its filter, the table
    /// filtered to its target).
    fn open_observed(&mut self, runbook: &Runbook, index: usize, full: bool) -> Result<(), String> {
        match runbook.steps[index].observed(&self.params()) {
            Some((view, target, filter)) => self.observe(view, &target, filter, full),
            None => Ok(()),
        }
    }

    /// Show what an observe step names: logs open in the log pane (drawn beside the
    /// runbook); `full` goes to the view itself, filtered to the target.
    fn observe(
        &mut self,
        view: ObserveView,
        target: &str,
        filter: Option<String>,
        full: bool,
    ) -> Result<(), String> {
        let parsed = ObserveTarget::parse(target);
        if view == ObserveView::Logs {
            let Some((title, streams, subject)) = self.streams_of(&parsed) else {
                return Err(format!("nothing to show logs of: {target}"));
            };
            self.log_pane = Some(crate::logs::LogPane::new(title, streams));
            self.log_subject = subject;
            if let Some(filter) = filter {
                self.set_log_filter(filter);
            }
            if full {
                self.go(ViewKind::Logs);
            }
            return Ok(());
        }
        if !full {
            return Ok(());
        }
        let kind = match view {
            ObserveView::Pods => ViewKind::Pods,
            ObserveView::Workloads => ViewKind::Workloads,
            ObserveView::Events => ViewKind::Events,
            ObserveView::Alerts => ViewKind::Alerts,
            ObserveView::Host | ObserveView::Logs => ViewKind::Nodes,
        };
        self.go(kind);
        let text = parsed.name.or(filter).unwrap_or_default();
        let state = self.ui.table_mut(kind);
        state.filter = text;
        state.selected = 0;
        Ok(())
    }

    /// The log streams an observe target names: a pod's containers, a workload's pods
    /// (followed as they come and go), a container.
    fn streams_of(
        &self,
        target: &ObserveTarget,
    ) -> Option<(
        String,
        Vec<crate::logs::StreamKey>,
        Option<super::kube_glue::LogSubject>,
    )> {
        let name = target.name.as_deref()?;
        let admits = |context: &str, namespace: &str| {
            target.context.as_deref().is_none_or(|c| c == context)
                && target.namespace.as_deref().is_none_or(|n| n == namespace)
        };
        match target.kind.as_deref() {
            Some("ctr") | Some("container") => {
                let c = self.fleet.containers.values().find(|c| c.name == name)?;
                let stream = crate::logs::StreamKey::Docker {
                    host: c.id.host.clone(),
                    id: c.id.id.clone(),
                };
                Some((format!("container {name}"), vec![stream], None))
            }
            Some("pod") | Some("po") | None => {
                let p = self
                    .fleet
                    .pods
                    .values()
                    .find(|p| p.id.name == name && admits(&p.id.context, &p.id.namespace))?;
                let title = format!("pod {}/{}", p.id.namespace, p.id.name);
                Some((title, super::navigate::pod_streams(p), None))
            }
            Some(_) => {
                let w = self.fleet.workloads.values().find(|w| {
                    w.id.name == name
                        && target.kind.as_deref() == Some(w.id.kind.short())
                        && admits(&w.id.context, &w.id.namespace)
                })?;
                let streams = self
                    .fleet
                    .pods_of(w)
                    .flat_map(super::navigate::pod_streams)
                    .collect();
                let title = format!("{} {}/{}", w.id.kind.short(), w.id.namespace, w.id.name);
                let subject = super::kube_glue::LogSubject::Workload(w.id.clone());
                Some((title, streams, Some(subject)))
            }
        }
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

    /// Palette commands about incidents. Returns whether the line was one.
    pub(super) fn run_incident_command(&mut self, line: &str) -> bool {
        let line = line.trim();
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        let rest = rest.trim();
        let now = Timestamp::now();
        let author = self.author();
        match word {
            "declare" => self.open_declare(None, rest),
            "note" if rest.is_empty() => self.open_note_editor(),
            "note" => self.add_note(rest),
            "skip" => self.skip_current_step(rest),
            "resume" => match self.resume_incident(rest) {
                Ok(()) => self.set_status(format!("resumed {rest}"), false),
                Err(e) => self.set_status(e, true),
            },
            "attach" if rest.is_empty() => self.open_attach_picker(),
            "attach" => {
                if self.ui.incident.is_none() {
                    self.set_status("no incident: declare one first", true);
                } else if self.attach(rest, now) {
                    self.save_incident();
                }
            }
            "param" => {
                let (name, value) = rest.split_once(' ').unwrap_or((rest, ""));
                let Some(desk) = self.ui.incident.as_mut() else {
                    self.set_status("no incident: declare one first", true);
                    return true;
                };
                let Some(progress) = desk.incident.runbooks.get_mut(desk.selected_runbook) else {
                    self.set_status("no runbook attached", true);
                    return true;
                };
                if name.is_empty() || value.trim().is_empty() {
                    self.set_status("usage: :param NAME VALUE", true);
                    return true;
                }
                progress
                    .params
                    .insert(name.to_string(), value.trim().to_string());
                self.save_incident();
                self.set_status(format!("{name} = {}", value.trim()), false);
            }
            "severity" | "sev" => match rest.parse::<Severity>() {
                Ok(severity) => {
                    if let Some(desk) = self.ui.incident.as_mut()
                        && incident::record_severity(&mut desk.incident, severity, &author, now)
                    {
                        self.save_incident();
                    }
                }
                Err(e) => self.set_status(e, true),
            },
            "resolve" | "mitigate" | "mitigated" | "reopen" => {
                let status = match word {
                    "resolve" => incident::Status::Resolved,
                    "reopen" => incident::Status::Open,
                    _ => incident::Status::Mitigated,
                };
                let Some(desk) = self.ui.incident.as_mut() else {
                    self.set_status("no incident open", true);
                    return true;
                };
                if incident::record_status(&mut desk.incident, status, &author, now) {
                    self.save_incident();
                    self.set_status(format!("incident {}", status.label()), false);
                }
            }
            "export" | "postmortem" => self.export_postmortem(),
            _ => return false,
        }
        true
    }

    /// The incident view's own keys (its layer): movement in the current step, do, tick,
    /// skip, retry, timeline, notes, attach, export.
    pub(super) fn perform_incident_action(&mut self, action: super::KeyAction) -> bool {
        use super::KeyAction as K;
        let items = self.step_items();
        let Some(desk) = self.ui.incident.as_mut() else {
            return false;
        };
        if let Some(picker) = desk.attach.as_mut() {
            match action {
                K::Up => picker.selected = picker.selected.saturating_sub(1),
                K::Down => {
                    picker.selected = (picker.selected + 1).min(picker.choices.len().max(1) - 1)
                }
                K::Open | K::StepDo => {
                    let chosen = picker.choices.get(picker.selected).map(|c| c.0.clone());
                    desk.attach = None;
                    if let Some(id) = chosen
                        && self.attach(&id, Timestamp::now())
                    {
                        self.save_incident();
                    }
                }
                _ => desk.attach = None,
            }
            return true;
        }
        match action {
            K::Up if desk.pane == DeskPane::Timeline => {
                desk.timeline_scroll = desk.timeline_scroll.saturating_add(1)
            }
            K::Down if desk.pane == DeskPane::Timeline => {
                desk.timeline_scroll = desk.timeline_scroll.saturating_sub(1)
            }
            K::Up => desk.item = desk.item.saturating_sub(1),
            K::Down => desk.item = desk.item.saturating_add(1).min(items.max(1) - 1),
            K::StepDo | K::Open => self.do_current_step(),
            K::StepTick => self.tick_item(),
            K::StepSkip => {
                self.ui.prompt = Some(super::prompt::new_prompt(
                    crate::ui::state::PromptKind::Palette,
                    "skip ",
                ));
                self.set_status(
                    "why is the step skipped? type the reason, then Enter",
                    false,
                );
            }
            K::StepRetry => self.retry_step(),
            K::NextRunbook => {
                let n = desk.incident.runbooks.len().max(1);
                desk.selected_runbook = (desk.selected_runbook + 1) % n;
                self.cursor_to_first_unticked();
            }
            K::ToggleTimeline => {
                desk.pane = match desk.pane {
                    DeskPane::Runbook => DeskPane::Timeline,
                    DeskPane::Timeline => DeskPane::Runbook,
                };
                if desk.pane == DeskPane::Timeline {
                    self.merge_incident_audit();
                }
            }
            K::TimelineKinds => {
                desk.timeline_filter.kinds = next_kind_filter(&desk.timeline_filter.kinds);
                desk.pane = DeskPane::Timeline;
                desk.timeline_scroll = 0;
            }
            K::Filter => {
                let current = desk.timeline_filter.text.clone().unwrap_or_default();
                desk.pane = DeskPane::Timeline;
                self.ui.prompt = Some(super::prompt::new_prompt(
                    crate::ui::state::PromptKind::Filter,
                    &current,
                ));
            }
            K::AddNote => self.open_note_editor(),
            K::AttachRunbook => self.open_attach_picker(),
            K::ExportPostmortem => self.export_postmortem(),
            K::OpenObserved => self.open_shown_observe(),
            _ => return false,
        }
        true
    }

    /// Put the cursor on the current check step's first unticked item, so the next space
    /// ticks what is left rather than unticking what was done (after a resume).
    fn cursor_to_first_unticked(&mut self) {
        let Some((runbook, index)) = self.current_step() else {
            return;
        };
        let StepBody::Check { items } = &runbook.steps[index].body else {
            return;
        };
        let Some(desk) = self.ui.incident.as_mut() else {
            return;
        };
        let Some(progress) = desk.incident.runbook(&runbook.id) else {
            return;
        };
        let ticked = progress
            .step(&runbook.steps[index].id)
            .map(|s| s.ticked.clone())
            .unwrap_or_default();
        let first = items
            .iter()
            .position(|item| !ticked.contains(&crate::runbook::fill(item, &progress.params)));
        desk.item = first.unwrap_or(0);
    }

    /// How many choices the current step has under its cursor (items, options).
    fn step_items(&self) -> usize {
        match self.current_step() {
            Some((runbook, index)) => match &runbook.steps[index].body {
                StepBody::Check { items } => items.len(),
                StepBody::Decision { options, .. } => options.len(),
                _ => 0,
            },
            None => 0,
        }
    }

    /// `o`: open in full the view the last observe step on the way shows.
    fn open_shown_observe(&mut self) {
        let Some(desk) = self.ui.incident.as_ref() else {
            return;
        };
        let Some((runbook, progress)) = desk.shown() else {
            return;
        };
        let runbook = runbook.clone();
        match crate::ui::incident::observed_step(&runbook, progress) {
            Some(index) => {
                if let Err(why) = self.open_observed(&runbook, index, true) {
                    self.set_status(why, true);
                }
            }
            None => self.set_status("no observe step on the way yet", false),
        }
    }

    /// The timeline filter's text (the `/` prompt in the incident view).
    pub(super) fn set_timeline_filter(&mut self, text: String) {
        if let Some(desk) = self.ui.incident.as_mut() {
            desk.timeline_filter.text = (!text.is_empty()).then_some(text);
            desk.timeline_scroll = 0;
        }
    }
}

/// The kind filters `f` cycles through: everything, then each kind alone.
fn next_kind_filter(current: &[EntryKind]) -> Vec<EntryKind> {
    match current {
        [] => vec![EntryKind::ALL[0]],
        [one] => match EntryKind::ALL.iter().position(|k| k == one) {
            Some(i) if i + 1 < EntryKind::ALL.len() => vec![EntryKind::ALL[i + 1]],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runbook_url_names_a_runbook_by_its_last_segment() {
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

    #[test]
    fn kind_filters_cycle_through_every_kind_and_back_to_all() {
        let mut kinds = Vec::new();
        let mut seen = 0;
        loop {
            kinds = next_kind_filter(&kinds);
            if kinds.is_empty() {
                break;
            }
            seen += 1;
        }
        assert_eq!(seen, EntryKind::ALL.len());
    }
}
