//! Pods: phase, readiness, restarts, last termination, node, metrics.

use std::cmp::Ordering;

use ratatui::layout::Constraint;

use super::{changes_of, health_cell};
use crate::model::Pod;
use crate::store::Fleet;
use crate::ui::format;
use crate::ui::state::ScopeFilter;
use crate::ui::table::{CellText, Column, ItemChanges, TableSpec};

pub struct PodsTable;

const COLUMNS: &[Column] = &[
    Column::wide("CONTEXT", Constraint::Length(13), 120),
    Column::new("NAMESPACE", Constraint::Length(11)),
    Column::new("NAME", Constraint::Fill(3)),
    Column::new("STATUS", Constraint::Length(20)),
    Column::new("READY", Constraint::Length(5)),
    Column::new("RESTARTS", Constraint::Length(8)),
    Column::wide("LAST TERM", Constraint::Length(10), 100),
    Column::wide("CPU", Constraint::Length(6), 110),
    Column::wide("MEM", Constraint::Length(6), 110),
    Column::wide("NODE", Constraint::Fill(1), 100),
    Column::new("AGE", Constraint::Length(4)),
    Column::wide("CPU TREND", Constraint::Length(10), 170),
];

/// The pod's CPU over the last samples of metrics.k8s.io, scaled to its own peak.
fn cpu_trend(fleet: &Fleet, pod: &Pod) -> String {
    let Some(history) = fleet.usage.pod(&pod.id) else {
        return String::new();
    };
    let peak = history.cpu_millis.iter().copied().max().unwrap_or(0).max(1) as f64;
    format::sparkline(history.cpu_millis.iter().map(|v| *v as f64), 10, peak)
}

fn get(fleet: &Fleet, i: u32) -> Option<&Pod> {
    fleet.pods.get_index(i as usize)
}

impl TableSpec for PodsTable {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn revision(&self, fleet: &Fleet) -> u64 {
        fleet.pods.revision()
    }

    fn items(&self, fleet: &Fleet, scope: &ScopeFilter) -> Vec<u32> {
        fleet
            .pods
            .values()
            .enumerate()
            .filter(|(_, p)| scope.admits(&p.id.context, &p.id.namespace))
            .map(|(i, _)| i as u32)
            .collect()
    }

    fn changes_since(&self, fleet: &Fleet, revision: u64) -> Option<ItemChanges> {
        changes_of(&fleet.pods, revision)
    }

    fn in_scope(&self, fleet: &Fleet, item: u32, scope: &ScopeFilter) -> bool {
        get(fleet, item).is_some_and(|p| scope.admits(&p.id.context, &p.id.namespace))
    }

    fn compare(&self, fleet: &Fleet, a: u32, b: u32, column: usize) -> Ordering {
        let (Some(x), Some(y)) = (get(fleet, a), get(fleet, b)) else {
            return Ordering::Equal;
        };
        let by_id = || x.id.cmp(&y.id);
        match column {
            0 => x.id.context.cmp(&y.id.context).then_with(by_id),
            1 => x.id.namespace.cmp(&y.id.namespace).then_with(by_id),
            3 => y.health().level.cmp(&x.health().level).then_with(by_id),
            4 => x.ready_count().cmp(&y.ready_count()).then_with(by_id),
            5 => y.restarts().cmp(&x.restarts()).then_with(by_id),
            6 => x
                .last_termination()
                .cmp(&y.last_termination())
                .then_with(by_id),
            7 => y.cpu_millis.cmp(&x.cpu_millis).then_with(by_id),
            8 => y.memory_bytes.cmp(&x.memory_bytes).then_with(by_id),
            9 => x.node.cmp(&y.node).then_with(by_id),
            10 => y.created.cmp(&x.created).then_with(by_id),
            _ => x.id.name.cmp(&y.id.name).then_with(by_id),
        }
    }

    fn haystack(&self, fleet: &Fleet, item: u32, out: &mut String) {
        if let Some(p) = get(fleet, item) {
            out.push_str(&p.id.context);
            out.push(' ');
            out.push_str(&p.id.namespace);
            out.push(' ');
            out.push_str(&p.id.name);
            out.push(' ');
            out.push_str(p.status_text());
            if let Some(node) = &p.node {
                out.push(' ');
                out.push_str(node);
            }
        }
    }

    fn cells(&self, fleet: &Fleet, item: u32, now: jiff::Timestamp) -> Vec<CellText> {
        let Some(p) = get(fleet, item) else {
            return Vec::new();
        };
        let health = p.health();
        let mut status = health_cell(&health);
        status.text = format!("{} {}", health.level.symbol(), p.status_text());
        vec![
            CellText::plain(p.id.context.clone()),
            CellText::plain(p.id.namespace.clone()),
            CellText::plain(p.id.name.clone()),
            status,
            CellText::plain(format!("{}/{}", p.ready_count(), p.containers.len())),
            CellText::new(
                p.restarts().to_string(),
                if p.restarts() > 0 {
                    "status.warning"
                } else {
                    "table.row"
                },
            ),
            CellText::new(
                p.last_termination().unwrap_or("-").to_string(),
                if p.last_termination() == Some("OOMKilled") {
                    "status.critical"
                } else {
                    "table.row"
                },
            ),
            CellText::plain(format::opt(p.cpu_millis, format::millicores)),
            CellText::plain(format::opt(p.memory_bytes, format::bytes)),
            CellText::plain(p.node.clone().unwrap_or_else(|| "-".into())),
            CellText::plain(format::age(p.created, now)),
            CellText::new(cpu_trend(fleet, p), "table.dim"),
        ]
    }
}
