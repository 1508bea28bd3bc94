//! A checked runbook: what `runbooks check` accepted and the console walks.

use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;

use super::condition::Condition;
use super::template::Template;
use crate::incident::Severity;

/// The `next` (and decision option) target that ends the runbook.
pub const END: &str = "end";

/// A runbook, checked: every step target exists, every template names a parameter, every
/// action parses, every wait condition parses.
#[derive(Debug, Clone)]
pub struct Runbook {
    pub id: String,
    pub title: String,
    /// Markdown.
    pub description: String,
    pub applies_to: AppliesTo,
    pub parameters: Vec<Parameter>,
    pub steps: Vec<Step>,
    /// The file it was read from (`builtin:runbooks/NAME.yaml` for a shipped one).
    pub file: PathBuf,
    pub origin: Origin,
}

/// Where a runbook came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Shipped,
    User,
}

/// The incidents a runbook is suggested for.
#[derive(Debug, Clone, Default)]
pub struct AppliesTo {
    pub severities: Vec<Severity>,
    /// An alert matches when it matches any of these.
    pub alerts: Vec<AlertMatcher>,
}

/// Label matchers that must all match an alert's labels.
#[derive(Debug, Clone)]
pub struct AlertMatcher {
    pub labels: Vec<LabelMatcher>,
}

/// `label: pattern`, where the pattern is a regular expression anchored at both ends (as
/// Alertmanager's `=~`), so a plain name matches exactly itself.
#[derive(Debug, Clone)]
pub struct LabelMatcher {
    pub name: String,
    pub pattern: String,
    regex: Regex,
}

impl LabelMatcher {
    /// A matcher for `pattern`, or the regex error.
    pub fn new(name: &str, pattern: &str) -> Result<LabelMatcher, String> {
        let regex = Regex::new(&format!("^(?:{pattern})$"))
            .map_err(|e| format!("`{pattern}` is not a regular expression: {e}"))?;
        Ok(LabelMatcher {
            name: name.to_string(),
            pattern: pattern.to_string(),
            regex,
        })
    }

    /// Whether `value` (the label's value, empty when absent, as in Alertmanager) matches.
    pub fn matches(&self, value: &str) -> bool {
        self.regex.is_match(value)
    }

    /// Whether the pattern is a plain value rather than a real regular expression.
    pub fn is_literal(&self) -> bool {
        regex::escape(&self.pattern) == self.pattern
    }
}

/// A value a runbook needs (`namespace`, `deployment`), filled from the alert's labels,
/// a default, or asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    pub name: String,
    pub description: String,
    /// The alert labels whose value fills it, the first present wins (`from_label:` in
    /// the file, one name or a list).
    pub from_labels: Vec<String>,
    pub default: Option<String>,
    /// The runbook cannot start until it has a value.
    pub required: bool,
}

/// One step.
#[derive(Debug, Clone)]
pub struct Step {
    pub id: String,
    pub title: String,
    /// The step after this one; `None` is the following step (or the end after the last).
    pub next: Option<String>,
    /// The step to go to when this one fails (an action that fails, a wait that times out).
    pub on_failure: Option<String>,
    pub body: StepBody,
}

/// What a step asks of the engineer.
#[derive(Debug, Clone)]
pub enum StepBody {
    /// A manual check: items the engineer ticks.
    Check { items: Vec<String> },
    /// An operation, through Plan → Confirm → Execute → Verify → Audit.
    Action {
        command: Template,
        /// Shown in the confirmation dialog.
        confirm_note: Option<String>,
    },
    /// Open a view beside the runbook.
    Observe {
        view: ObserveView,
        target: Option<Template>,
        filter: Option<Template>,
    },
    /// Wait until a condition holds, or the timeout passes (then `on_failure`).
    Wait { until: Condition, timeout: Duration },
    /// A question whose answer chooses the next step.
    Decision {
        question: String,
        options: Vec<DecisionOption>,
    },
    /// Guidance, in Markdown.
    Note { text: String },
}

impl StepBody {
    /// The kind's name as a runbook spells it.
    pub fn kind_name(&self) -> &'static str {
        match self {
            StepBody::Check { .. } => "check",
            StepBody::Action { .. } => "action",
            StepBody::Observe { .. } => "observe",
            StepBody::Wait { .. } => "wait",
            StepBody::Decision { .. } => "decision",
            StepBody::Note { .. } => "note",
        }
    }
}

impl Step {
    /// What an `observe` step shows, its placeholders filled: the view, the target
    /// (`pod/db-0 -n shop`, empty when it names none) and the filter.
    pub fn observed(
        &self,
        params: &super::template::Params,
    ) -> Option<(ObserveView, String, Option<String>)> {
        let StepBody::Observe {
            view,
            target,
            filter,
        } = &self.body
        else {
            return None;
        };
        let target = target
            .as_ref()
            .map(|t| t.render(params))
            .unwrap_or_default();
        Some((*view, target, filter.as_ref().map(|f| f.render(params))))
    }
}

/// The views an `observe` step can open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ObserveView {
    Logs,
    Pods,
    Workloads,
    Alerts,
    Host,
    Events,
}

/// An answer to a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionOption {
    pub label: String,
    /// A step id, or [`END`].
    pub next: String,
}

/// Where the walk goes after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// The step at this index.
    Step(usize),
    End,
}

impl Runbook {
    /// The index of the step called `id`.
    pub fn step_index(&self, id: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.id == id)
    }

    /// Where a target id leads: [`END`] ends; an unknown id (impossible in a checked
    /// runbook) ends too rather than looping.
    pub fn target(&self, id: &str) -> NextStep {
        self.step_index(id).map_or(NextStep::End, NextStep::Step)
    }

    /// The step after step `index` completes normally: its `next`, else the following one.
    pub fn next_after(&self, index: usize) -> NextStep {
        match self.steps.get(index).and_then(|s| s.next.as_deref()) {
            Some(id) => self.target(id),
            None if index + 1 < self.steps.len() => NextStep::Step(index + 1),
            None => NextStep::End,
        }
    }

    /// The step after step `index` fails: its `on_failure`, if it has one.
    pub fn on_failure(&self, index: usize) -> Option<NextStep> {
        let id = self.steps.get(index)?.on_failure.as_deref()?;
        Some(self.target(id))
    }

    /// The parameter called `name`.
    pub fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.parameters.iter().find(|p| p.name == name)
    }

    /// Parameter values for an incident from an alert with `labels`: each from its label,
    /// else its default. Those still missing are left out (the console asks for them; see
    /// [`Runbook::missing_parameters`]).
    pub fn fill_parameters(
        &self,
        labels: &std::collections::BTreeMap<String, String>,
    ) -> super::template::Params {
        self.parameters
            .iter()
            .filter_map(|p| {
                let value = p
                    .from_labels
                    .iter()
                    .filter_map(|l| labels.get(l))
                    .find(|v| !v.is_empty())
                    .or(p.default.as_ref())?;
                Some((p.name.clone(), value.clone()))
            })
            .collect()
    }

    /// The required parameters `params` has no value for.
    pub fn missing_parameters<'a>(
        &'a self,
        params: &super::template::Params,
    ) -> Vec<&'a Parameter> {
        self.parameters
            .iter()
            .filter(|p| p.required && params.get(&p.name).is_none_or(|v| v.is_empty()))
            .collect()
    }
}
