//! Walking a runbook's steps in the app (issue 8): doing the current step (its action
//! through the operation dialog, its decision, its check), skipping and retrying, and the
//! steps that move by themselves — a wait settled by the store, an action settled by the
//! runner's outcome.

use jiff::Timestamp;

use super::App;
use super::incident_glue::StepRef;
use crate::incident::{StepStatus, link_operation, record_answer, record_check};
use crate::ops::runner::OpId;
use crate::runbook::{ConditionState, StepBody, evaluate, walk};

impl App {
    /// A wait step that is current: start it, and settle it when its condition holds or
    /// its timeout passes.
    pub(super) fn settle_wait(&mut self, now: Timestamp) -> bool {
        // Runs every frame: look before cloning the runbook.
        if !self.current_step_is(|b| matches!(b, StepBody::Wait { .. })) {
            if let Some(desk) = self.ui.incident.as_mut() {
                desk.condition = None;
            }
            return false;
        }
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
            .and_then(|d| d.incident.step(&runbook.id, &step.id))
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
    pub(super) fn release_unconfirmed_action(&mut self, now: Timestamp) -> bool {
        // Runs every frame: look before cloning the runbook.
        if !self.current_step_is(|b| matches!(b, StepBody::Action { .. })) {
            return false;
        }
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
            .and_then(|d| d.incident.step(&runbook.id, &step.id))
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
                    .and_then(|d| d.incident.step(&runbook.id, &step.id))
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
            .step(&runbook.id, &step.id)
            .is_some_and(|p| p.ticked.contains(&key));
        let _ = record_check(&mut desk.incident, &runbook.id, &step.id, &key, !ticked);
        // Ticking moves to the next item, as a check list is walked down.
        if !ticked && item + 1 < items.len() {
            desk.item = item + 1;
        }
        let pending = desk
            .incident
            .step(&runbook.id, &step.id)
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

    /// Put the cursor on the current check step's first unticked item, so the next space
    /// ticks what is left rather than unticking what was done (after a resume).
    pub(super) fn cursor_to_first_unticked(&mut self) {
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
    pub(super) fn step_items(&self) -> usize {
        match self.current_step() {
            Some((runbook, index)) => match &runbook.steps[index].body {
                StepBody::Check { items } => items.len(),
                StepBody::Decision { options, .. } => options.len(),
                _ => 0,
            },
            None => 0,
        }
    }
}
