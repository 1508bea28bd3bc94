//! How far each attached runbook has got: per-step status, checklist ticks and decision
//! answers. Steps are named by string ids, so this module does not depend on the runbook
//! format; the runbook view maps its steps onto these ids.

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::model::Incident;
use super::timeline::{self, EntryKind, TimelineEntry};
use crate::ops::audit::timestamp_text;

/// Where a step is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    InProgress,
    Done,
    Skipped { reason: String },
    Failed { reason: String },
}

impl StepStatus {
    pub fn label(&self) -> &'static str {
        match self {
            StepStatus::Pending => "pending",
            StepStatus::InProgress => "in progress",
            StepStatus::Done => "done",
            StepStatus::Skipped { .. } => "skipped",
            StepStatus::Failed { .. } => "failed",
        }
    }

    /// Why it was skipped or failed.
    pub fn reason(&self) -> Option<&str> {
        match self {
            StepStatus::Skipped { reason } | StepStatus::Failed { reason } => Some(reason),
            _ => None,
        }
    }

    /// `done`, `skipped: standby not ready`.
    pub fn describe(&self) -> String {
        match self.reason() {
            Some(reason) if !reason.is_empty() => format!("{}: {reason}", self.label()),
            _ => self.label().to_string(),
        }
    }

    /// Whether the step needs nothing more (done or skipped); a failed step can be retried.
    pub fn is_settled(&self) -> bool {
        matches!(self, StepStatus::Done | StepStatus::Skipped { .. })
    }
}

/// One step of an attached runbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepProgress {
    pub step_id: String,
    /// Flattened, so a step reads `"status": "skipped", "reason": "…"` in the file.
    #[serde(flatten)]
    pub status: StepStatus,
    /// Checklist items ticked (their ids), for `check` steps.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub ticked: BTreeSet<String>,
    /// The answer chosen, for `decision` steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// When its status last changed.
    #[serde(
        default,
        with = "super::time_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub changed_at: Option<Timestamp>,
}

impl StepProgress {
    fn pending(step_id: String) -> StepProgress {
        StepProgress {
            step_id,
            status: StepStatus::Pending,
            ticked: BTreeSet::new(),
            answer: None,
            changed_at: None,
        }
    }
}

/// A runbook attached to an incident, and its steps in the runbook's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunbookProgress {
    pub runbook_id: String,
    pub title: String,
    #[serde(with = "timestamp_text")]
    pub attached_at: Timestamp,
    /// The values its `{{param}}` placeholders are filled with (from the alert's labels,
    /// defaults, or typed), kept so a resumed walk runs what was shown before.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub params: std::collections::BTreeMap<String, String>,
    pub steps: Vec<StepProgress>,
}

impl RunbookProgress {
    pub fn step(&self, step_id: &str) -> Option<&StepProgress> {
        self.steps.iter().find(|s| s.step_id == step_id)
    }

    /// How many steps are settled (done or skipped), of how many.
    pub fn settled(&self) -> (usize, usize) {
        let settled = self.steps.iter().filter(|s| s.status.is_settled()).count();
        (settled, self.steps.len())
    }

    fn step_mut(&mut self, step_id: &str) -> &mut StepProgress {
        // A step the runbook did not list when attached (the runbook file changed since)
        // is added at the end rather than refused: progress is never lost.
        let index = match self.steps.iter().position(|s| s.step_id == step_id) {
            Some(index) => index,
            None => {
                self.steps.push(StepProgress::pending(step_id.to_string()));
                self.steps.len() - 1
            }
        };
        &mut self.steps[index]
    }
}

/// Why a progress change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProgressError {
    #[error("runbook `{0}` is not attached to this incident")]
    UnknownRunbook(String),
    #[error("runbook `{0}` is already attached to this incident")]
    AlreadyAttached(String),
}

/// Attach a runbook with its steps (all pending), in the runbook's order.
pub fn attach_runbook(
    incident: &mut Incident,
    runbook_id: &str,
    title: &str,
    step_ids: impl IntoIterator<Item = String>,
    author: &str,
    now: Timestamp,
) -> Result<(), ProgressError> {
    if incident.runbook(runbook_id).is_some() {
        return Err(ProgressError::AlreadyAttached(runbook_id.to_string()));
    }
    incident.runbooks.push(RunbookProgress {
        runbook_id: runbook_id.to_string(),
        title: title.to_string(),
        attached_at: now,
        params: Default::default(),
        steps: step_ids.into_iter().map(StepProgress::pending).collect(),
    });
    let text = format!("attached runbook {runbook_id}: {title}");
    timeline::push(
        incident,
        TimelineEntry::new(now, EntryKind::RunbookAttached, text).by(author),
    );
    Ok(())
}

fn runbook_mut<'a>(
    incident: &'a mut Incident,
    runbook_id: &str,
) -> Result<&'a mut RunbookProgress, ProgressError> {
    incident
        .runbooks
        .iter_mut()
        .find(|r| r.runbook_id == runbook_id)
        .ok_or_else(|| ProgressError::UnknownRunbook(runbook_id.to_string()))
}

/// Move a step to `status`, with a step-transition entry; `Ok(false)` (and no entry) when
/// it already is there. Retrying a failed step is moving it back to in progress.
pub fn record_step(
    incident: &mut Incident,
    runbook_id: &str,
    step_id: &str,
    status: StepStatus,
    author: &str,
    now: Timestamp,
) -> Result<bool, ProgressError> {
    let step = runbook_mut(incident, runbook_id)?.step_mut(step_id);
    if step.status == status {
        return Ok(false);
    }
    let from = std::mem::replace(&mut step.status, status.clone());
    step.changed_at = Some(now);
    let text = format!(
        "{runbook_id} / {step_id}: {} → {}",
        from.label(),
        status.describe()
    );
    timeline::push(
        incident,
        TimelineEntry::new(now, EntryKind::StepTransition, text).by(author),
    );
    Ok(true)
}

/// Tick or untick a checklist item of a step. Ticks are state, not events: they show in
/// the runbook progress but do not clutter the timeline.
pub fn record_check(
    incident: &mut Incident,
    runbook_id: &str,
    step_id: &str,
    item: &str,
    ticked: bool,
) -> Result<bool, ProgressError> {
    let step = runbook_mut(incident, runbook_id)?.step_mut(step_id);
    Ok(if ticked {
        step.ticked.insert(item.to_string())
    } else {
        step.ticked.remove(item)
    })
}

/// Answer a decision step; the answer chooses the next step, so it goes on the timeline.
pub fn record_answer(
    incident: &mut Incident,
    runbook_id: &str,
    step_id: &str,
    answer: &str,
    author: &str,
    now: Timestamp,
) -> Result<bool, ProgressError> {
    let step = runbook_mut(incident, runbook_id)?.step_mut(step_id);
    if step.answer.as_deref() == Some(answer) {
        return Ok(false);
    }
    step.answer = Some(answer.to_string());
    let text = format!("{runbook_id} / {step_id}: answered “{answer}”");
    timeline::push(
        incident,
        TimelineEntry::new(now, EntryKind::StepTransition, text).by(author),
    );
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::Severity;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn steps_move_through_their_states_with_entries() {
        let t0 = at("2026-11-23T03:00:00Z");
        let mut inc = Incident::declare("db", Severity::P1, Some("al".into()), None, t0);
        let steps = ["check", "failover", "notify"].map(String::from);
        attach_runbook(
            &mut inc,
            "database-failure",
            "Database failure",
            steps,
            "al",
            t0,
        )
        .unwrap();
        assert_eq!(
            attach_runbook(&mut inc, "database-failure", "x", [], "al", t0),
            Err(ProgressError::AlreadyAttached("database-failure".into()))
        );
        let step = |s| record_step(&mut inc.clone(), "nope", "check", s, "al", t0);
        assert!(step(StepStatus::Done).is_err());

        record_step(
            &mut inc,
            "database-failure",
            "check",
            StepStatus::InProgress,
            "al",
            t0,
        )
        .unwrap();
        assert!(
            record_check(
                &mut inc,
                "database-failure",
                "check",
                "replication lag",
                true
            )
            .unwrap()
        );
        assert!(
            !record_check(
                &mut inc,
                "database-failure",
                "check",
                "replication lag",
                true
            )
            .unwrap()
        );
        record_step(
            &mut inc,
            "database-failure",
            "check",
            StepStatus::Done,
            "al",
            t0,
        )
        .unwrap();
        let skipped = StepStatus::Skipped {
            reason: "standby not ready".into(),
        };
        record_step(
            &mut inc,
            "database-failure",
            "failover",
            skipped.clone(),
            "al",
            t0,
        )
        .unwrap();
        assert!(
            !record_step(&mut inc, "database-failure", "failover", skipped, "al", t0).unwrap(),
            "the same status twice is one transition"
        );
        record_answer(
            &mut inc,
            "database-failure",
            "decide",
            "roll back",
            "al",
            t0,
        )
        .unwrap();

        let progress = inc.runbook("database-failure").unwrap();
        assert_eq!(progress.settled(), (2, 4), "an unknown step id is appended");
        assert_eq!(progress.steps[3].answer.as_deref(), Some("roll back"));
        let steps: Vec<&str> = inc
            .timeline
            .iter()
            .filter(|e| e.kind == EntryKind::StepTransition)
            .map(|e| e.text.as_str())
            .collect();
        assert_eq!(steps.len(), 4, "{steps:?}");
        assert!(
            steps[2].ends_with("pending → skipped: standby not ready"),
            "{steps:?}"
        );
    }
}
