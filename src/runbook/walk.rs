//! Where an engineer is in a runbook, from its steps' progress: the step to work on now,
//! and the path that led there.
//!
//! Nothing here is stored: the position is recomputed from the progress every time, so a
//! resumed incident is exactly where it was, and a decision answered differently (or a
//! step retried) moves the walk without anything else to update.

use std::collections::BTreeSet;

use super::model::{NextStep, Runbook, StepBody};
use crate::incident::{RunbookProgress, StepStatus};

/// Where the walk is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walk {
    /// The steps passed through, in order, the current one last (if any).
    pub path: Vec<usize>,
    /// The step to work on now; `None` when the walk has reached the end.
    pub current: Option<usize>,
}

impl Walk {
    pub fn is_complete(&self) -> bool {
        self.current.is_none()
    }

    /// Whether step `index` lies on the way taken so far (a branch not taken does not).
    pub fn passed(&self, index: usize) -> bool {
        self.path.contains(&index)
    }
}

/// Follow `runbook` from its first step through what `progress` says: a done or skipped
/// step leads on (a decision by its answer), a failed step to its `on_failure` step if it
/// has one, else it stays current to be retried or skipped. A step reached twice (a
/// decision that loops back) is current again: the engineer walks it once more.
pub fn walk(runbook: &Runbook, progress: &RunbookProgress) -> Walk {
    let mut path = Vec::new();
    let mut seen = BTreeSet::new();
    let mut at = match runbook.steps.is_empty() {
        true => NextStep::End,
        false => NextStep::Step(0),
    };
    while let NextStep::Step(index) = at {
        path.push(index);
        if !seen.insert(index) {
            return Walk {
                path,
                current: Some(index),
            };
        }
        let status = progress
            .step(&runbook.steps[index].id)
            .map_or(&StepStatus::Pending, |s| &s.status);
        at = match status {
            StepStatus::Done | StepStatus::Skipped { .. } => after(runbook, progress, index),
            StepStatus::Failed { .. } => match runbook.on_failure(index) {
                Some(next) => next,
                None => {
                    return Walk {
                        path,
                        current: Some(index),
                    };
                }
            },
            StepStatus::Pending | StepStatus::InProgress => {
                return Walk {
                    path,
                    current: Some(index),
                };
            }
        };
    }
    Walk {
        path,
        current: None,
    }
}

/// The step after a settled step `index`: a decision's chosen option, else its `next`.
fn after(runbook: &Runbook, progress: &RunbookProgress, index: usize) -> NextStep {
    let step = &runbook.steps[index];
    if let StepBody::Decision { options, .. } = &step.body
        && let Some(answer) = progress.step(&step.id).and_then(|s| s.answer.as_deref())
        && let Some(option) = options.iter().find(|o| o.label == answer)
    {
        return runbook.target(&option.next);
    }
    runbook.next_after(index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::{Incident, Severity, attach_runbook, record_answer, record_step};
    use crate::runbook::parse_runbook;

    const RUNBOOK: &str = r#"
id: t
title: T
steps:
  - {id: look, kind: check, title: Look, items: [a]}
  - {id: fix, kind: action, title: Fix, command: "restart deploy/api -n shop", on_failure: other}
  - id: ok
    kind: decision
    title: OK?
    question: Better?
    options:
      - {label: "Yes", next: end}
      - {label: "No", next: other}
  - {id: other, kind: note, title: Other, text: "x"}
"#;

    fn setup() -> (Runbook, Incident) {
        let runbook = parse_runbook(
            RUNBOOK,
            std::path::Path::new("t.yaml"),
            crate::runbook::Origin::User,
        )
        .unwrap();
        let now = jiff::Timestamp::UNIX_EPOCH;
        let mut inc = Incident::declare("x", Severity::P2, Some("al".into()), None, now);
        let ids = runbook.steps.iter().map(|s| s.id.clone());
        attach_runbook(&mut inc, "t", "T", ids, "al", now).unwrap();
        (runbook, inc)
    }

    fn set(inc: &mut Incident, step: &str, status: StepStatus) {
        let now = jiff::Timestamp::UNIX_EPOCH;
        record_step(inc, "t", step, status, "al", now).unwrap();
    }

    #[test]
    fn the_walk_follows_statuses_answers_and_failures() {
        let (rb, mut inc) = setup();
        let at = |inc: &Incident| walk(&rb, inc.runbook("t").unwrap());
        assert_eq!(at(&inc).current, Some(0));
        set(&mut inc, "look", StepStatus::Done);
        assert_eq!(at(&inc).current, Some(1));
        let failed = StepStatus::Failed {
            reason: "403".into(),
        };
        set(&mut inc, "fix", failed);
        assert_eq!(at(&inc).current, Some(3), "on_failure leads to `other`");
        assert!(!at(&inc).passed(2));
        set(&mut inc, "fix", StepStatus::Done);
        assert_eq!(at(&inc).current, Some(2));
        set(&mut inc, "ok", StepStatus::Done);
        let now = jiff::Timestamp::UNIX_EPOCH;
        record_answer(&mut inc, "t", "ok", "Yes", "al", now).unwrap();
        assert!(at(&inc).is_complete());
        record_answer(&mut inc, "t", "ok", "No", "al", now).unwrap();
        assert_eq!(at(&inc).current, Some(3));
        set(
            &mut inc,
            "other",
            StepStatus::Skipped {
                reason: "n/a".into(),
            },
        );
        assert!(at(&inc).is_complete());
        assert_eq!(at(&inc).path, [0, 1, 2, 3]);
    }

    #[test]
    fn a_failed_step_without_on_failure_stays_current() {
        let (rb, mut inc) = setup();
        let failed = StepStatus::Failed { reason: "x".into() };
        set(&mut inc, "look", failed);
        assert_eq!(walk(&rb, inc.runbook("t").unwrap()).current, Some(0));
    }
}
