//! Incidents (issue 8): declared from an alert or by hand, classified P0–P3 as the ops
//! manual does, carried through the manual's flow (detect → confirm → classify → respond →
//! locate → fix → verify → restore → review) with a timeline kept as it happens, and
//! exported as a postmortem. The state is on disk after every change, so a console that
//! stops resumes the incident where it was.
//!
//! - `severity`: P0–P3 with their meaning and response time;
//! - `model`: the incident, its alert, its operations; ids;
//! - `timeline`: entries, `record_*` for severity, status and notes, the filter;
//! - `progress`: attached runbooks, step status, checklist ticks, decision answers;
//! - `scope`: which alerts and operations belong to an incident;
//! - `alert_watch` and `audit_merge`: alerts and audited operations onto the timeline,
//!   idempotently;
//! - `files`: `<data_dir>/incidents/<id>.json`, written atomically;
//! - `postmortem`: the Markdown export;
//! - `command`: `pilothouse incident list|export`.
//!
//! Nothing here saves by itself: after a change (any `record_*`, a merge or observation
//! that reports a change), the caller calls [`save`].

pub mod alert_watch;
pub mod audit_merge;
pub mod command;
pub mod files;
pub mod model;
pub mod postmortem;
pub mod progress;
pub mod scope;
pub mod severity;
mod time_text;
pub mod timeline;

pub use alert_watch::{observe_alerts, observe_alerts_from};
pub use audit_merge::{link_operation, merge_audit};
pub use files::{IncidentSummary, LoadError, list, load, save};
pub use model::{AlertRef, Incident, IncidentOperation, SeenAlert, Status, title_from_alert};
pub use postmortem::render_markdown;
pub use progress::{
    ProgressError, RunbookProgress, StepProgress, StepStatus, attach_runbook, record_answer,
    record_check, record_step,
};
pub use severity::Severity;
pub use timeline::{
    EntryKind, TimelineEntry, TimelineFilter, record_note, record_severity, record_status, timeline,
};
