//! A runbook file as written, before it is checked: what serde_norway reads.
//!
//! Steps are one flat struct with an explicit `kind:` rather than a tagged enum, so that
//! every error serde reports (an unknown kind, a misspelt field) is stamped with the exact
//! position of the offending value; the per-kind rules are then checked in `parse`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::model::ObserveView;
use crate::incident::Severity;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRunbook {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub applies_to: RawAppliesTo,
    #[serde(default)]
    pub parameters: Vec<RawParameter>,
    pub steps: Vec<RawStep>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAppliesTo {
    #[serde(default)]
    pub severities: Vec<Severity>,
    /// Each a map of label name to pattern: `{alertname: HighErrorRate, namespace: shop}`.
    #[serde(default)]
    pub alerts: Vec<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawParameter {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// One label name, or a list tried in order.
    #[serde(default)]
    pub from_label: Labels,
    pub default: Option<String>,
    #[serde(default)]
    pub required: bool,
}

/// `from_label: namespace` or `from_label: [deployment, service]`.
#[derive(Debug, Default, Deserialize)]
#[serde(untagged, expecting = "a label name or a list of label names")]
pub(super) enum Labels {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl Labels {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            Labels::None => Vec::new(),
            Labels::One(name) => vec![name],
            Labels::Many(names) => names,
        }
    }
}

/// The step kinds; an unknown one is a serde error at the `kind:` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum StepKind {
    Check,
    Action,
    Observe,
    Wait,
    Decision,
    Note,
}

impl StepKind {
    pub fn name(self) -> &'static str {
        match self {
            StepKind::Check => "check",
            StepKind::Action => "action",
            StepKind::Observe => "observe",
            StepKind::Wait => "wait",
            StepKind::Decision => "decision",
            StepKind::Note => "note",
        }
    }

    /// The fields a step of this kind has beyond the common ones, required first.
    pub fn fields(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            StepKind::Check => (&["items"], &[]),
            StepKind::Action => (&["command"], &["confirm_note"]),
            StepKind::Observe => (&["view"], &["target", "filter"]),
            StepKind::Wait => (&["until"], &["timeout"]),
            StepKind::Decision => (&["question", "options"], &[]),
            StepKind::Note => (&["text"], &[]),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStep {
    pub id: String,
    pub kind: StepKind,
    pub title: String,
    pub next: Option<String>,
    pub on_failure: Option<String>,
    // check
    pub items: Option<Vec<String>>,
    // action
    pub command: Option<String>,
    pub confirm_note: Option<String>,
    // observe
    pub view: Option<ObserveView>,
    pub target: Option<String>,
    pub filter: Option<String>,
    // wait
    pub until: Option<String>,
    pub timeout: Option<String>,
    // decision
    pub question: Option<String>,
    pub options: Option<Vec<RawOption>>,
    // note
    pub text: Option<String>,
}

impl RawStep {
    /// The kind-specific fields that are present, by name.
    pub fn present_fields(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut add = |name, present: bool| {
            if present {
                out.push(name);
            }
        };
        add("items", self.items.is_some());
        add("command", self.command.is_some());
        add("confirm_note", self.confirm_note.is_some());
        add("view", self.view.is_some());
        add("target", self.target.is_some());
        add("filter", self.filter.is_some());
        add("until", self.until.is_some());
        add("timeout", self.timeout.is_some());
        add("question", self.question.is_some());
        add("options", self.options.is_some());
        add("text", self.text.is_some());
        out
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOption {
    pub label: String,
    pub next: String,
}
