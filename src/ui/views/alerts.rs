//! Alerts, critical first, then by name and age.

use std::cmp::Ordering;

use ratatui::layout::Constraint;

use super::changes_of;
use crate::model::Alert;
use crate::store::Fleet;
use crate::ui::format;
use crate::ui::state::ScopeFilter;
use crate::ui::table::{CellText, Column, ItemChanges, TableSpec};

pub struct AlertsTable;

const COLUMNS: &[Column] = &[
    Column::new("SEVERITY", Constraint::Length(10)),
    Column::new("ALERT", Constraint::Length(20)),
    Column::new("STATE", Constraint::Length(9)),
    Column::wide("TARGET", Constraint::Fill(2), 100),
    Column::new("SUMMARY", Constraint::Fill(4)),
    Column::wide("SOURCE", Constraint::Length(12), 120),
    Column::new("AGE", Constraint::Length(4)),
];

fn get(fleet: &Fleet, i: u32) -> Option<&Alert> {
    fleet.alerts.get_index(i as usize)
}

/// Alerts follow the namespace scope by their `namespace` label; the context scope does not
/// apply to them.
fn in_namespace_scope(a: &Alert, scope: &ScopeFilter) -> bool {
    scope.namespace.is_none() || a.labels.get("namespace") == scope.namespace.as_ref()
}

/// The object an alert's labels point at, as `kind/name`.
pub fn alert_target(a: &Alert) -> String {
    let l = &a.labels;
    let ns = l
        .get("namespace")
        .map(|n| format!("{n}/"))
        .unwrap_or_default();
    for key in [
        "pod",
        "deployment",
        "statefulset",
        "container",
        "node",
        "instance",
        "job",
    ] {
        if let Some(v) = l.get(key) {
            let scoped = matches!(key, "pod" | "deployment" | "statefulset");
            return if scoped {
                format!("{key} {ns}{v}")
            } else {
                format!("{key} {v}")
            };
        }
    }
    ns.trim_end_matches('/').to_string()
}

impl TableSpec for AlertsTable {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn revision(&self, fleet: &Fleet) -> u64 {
        fleet.alerts.revision()
    }

    fn items(&self, fleet: &Fleet, scope: &ScopeFilter) -> Vec<u32> {
        fleet
            .alerts
            .values()
            .enumerate()
            .filter(|(_, a)| in_namespace_scope(a, scope))
            .map(|(i, _)| i as u32)
            .collect()
    }

    fn changes_since(&self, fleet: &Fleet, revision: u64) -> Option<ItemChanges> {
        changes_of(&fleet.alerts, revision)
    }

    fn in_scope(&self, fleet: &Fleet, item: u32, scope: &ScopeFilter) -> bool {
        get(fleet, item).is_some_and(|a| in_namespace_scope(a, scope))
    }

    fn compare(&self, fleet: &Fleet, a: u32, b: u32, column: usize) -> Ordering {
        let (Some(x), Some(y)) = (get(fleet, a), get(fleet, b)) else {
            return Ordering::Equal;
        };
        let default = || {
            x.severity()
                .cmp(&y.severity())
                .then(x.state.cmp(&y.state))
                .then(x.name().cmp(y.name()))
                .then(y.starts_at.cmp(&x.starts_at))
                .then(x.id.cmp(&y.id))
        };
        match column {
            1 => x.name().cmp(y.name()).then_with(default),
            2 => x.state.cmp(&y.state).then_with(default),
            3 => alert_target(x).cmp(&alert_target(y)).then_with(default),
            5 => x.id.source.cmp(&y.id.source).then_with(default),
            6 => y.starts_at.cmp(&x.starts_at).then_with(default),
            _ => default(),
        }
    }

    fn haystack(&self, fleet: &Fleet, item: u32, out: &mut String) {
        if let Some(a) = get(fleet, item) {
            for v in a.labels.values() {
                out.push_str(v);
                out.push(' ');
            }
            out.push_str(a.summary());
        }
    }

    fn cells(&self, fleet: &Fleet, item: u32, now: jiff::Timestamp) -> Vec<CellText> {
        let Some(a) = get(fleet, item) else {
            return Vec::new();
        };
        let sev = a.severity();
        let style = match sev {
            crate::model::Severity::Critical => "alert.critical",
            crate::model::Severity::Warning => "alert.warning",
            _ => "alert.info",
        };
        vec![
            CellText::new(format!("{} {}", sev.health().symbol(), sev.label()), style),
            CellText::plain(a.name().to_string()),
            CellText::new(
                a.state.label(),
                if a.state == crate::model::AlertState::Firing {
                    style
                } else {
                    "table.dim"
                },
            ),
            CellText::plain(alert_target(a)),
            CellText::plain(a.summary().to_string()),
            CellText::new(a.id.source.clone(), "table.dim"),
            CellText::plain(format::age(a.starts_at, now)),
        ]
    }
}
