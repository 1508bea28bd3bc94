//! Runbooks (issue 8): YAML files of steps an engineer walks through during an incident —
//! checks to tick, operations to run (through the ops layer's Plan → Confirm → Execute →
//! Verify → Audit), views to open, conditions to wait for, decisions, and notes.
//!
//! - [`parse`] reads and checks a file, every problem at its file:line:column;
//! - [`model`] is the checked runbook the console walks;
//! - [`template`] fills `{{param}}` placeholders;
//! - [`command`] checks what an `action` may run;
//! - [`condition`] and [`evaluate`] are the `wait` steps' condition language;
//! - [`library`] holds the shipped and user runbooks and finds those matching an alert;
//! - [`check`] backs `pilothouse runbooks check|list`;
//! - [`markdown`] draws notes;
//! - [`walk`] finds the step to work on from an incident's progress.
//!
//! The format is described in the README (section Runbooks) and by the shipped runbooks
//! in `assets/runbooks/`.

pub mod check;
pub mod command;
pub mod condition;
pub mod evaluate;
pub mod library;
mod locate;
pub mod markdown;
pub mod model;
pub mod parse;
mod raw;
pub mod template;
pub mod walk;

/// The severities a runbook applies to are the incidents' own (P0–P3).
pub use crate::incident::Severity as IncidentSeverity;
pub use check::{check_runbooks, list_runbooks};
pub use command::{ActionCommand, parse_action};
pub use condition::Condition;
pub use evaluate::{ConditionState, evaluate};
pub use library::{Library, matching};
pub use markdown::render_markdown;
pub use model::{
    AlertMatcher, AppliesTo, DecisionOption, END, NextStep, ObserveView, Origin, Parameter,
    Runbook, Step, StepBody,
};
pub use parse::parse_runbook;
pub use template::{Params, Template};
pub use walk::{Walk, walk};

/// `text` with its `{{param}}` placeholders filled, for titles, check items, questions,
/// confirm notes and notes; a text that is not a valid template (impossible in a checked runbook) is
/// returned as written.
pub fn fill(text: &str, params: &Params) -> String {
    Template::parse(text).map_or_else(|_| text.to_string(), |t| t.render(params))
}
