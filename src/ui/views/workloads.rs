//! Workloads: Deployments, StatefulSets, DaemonSets, CronJobs and Jobs in one table.

use std::cmp::Ordering;

use ratatui::layout::Constraint;

use super::{changes_of, health_cell};
use crate::model::{KubeKind, Workload};
use crate::store::Fleet;
use crate::ui::format;
use crate::ui::state::ScopeFilter;
use crate::ui::table::{CellText, Column, ItemChanges, TableSpec};

pub struct WorkloadsTable;

const COLUMNS: &[Column] = &[
    Column::wide("CONTEXT", Constraint::Length(13), 120),
    Column::new("NAMESPACE", Constraint::Length(11)),
    Column::new("KIND", Constraint::Length(6)),
    Column::new("NAME", Constraint::Fill(2)),
    Column::new("STATUS", Constraint::Length(22)),
    Column::new("READY", Constraint::Length(6)),
    Column::wide("UP-TO-DATE", Constraint::Length(10), 100),
    Column::wide("AVAIL", Constraint::Length(5), 100),
    Column::wide("DETAIL", Constraint::Fill(3), 100),
    Column::new("AGE", Constraint::Length(4)),
];

fn get(fleet: &Fleet, i: u32) -> Option<&Workload> {
    fleet.workloads.get_index(i as usize)
}

/// What the last column says: rollout progress, a CronJob's schedule and last run, a Job's outcome.
fn detail(w: &Workload, now: jiff::Timestamp) -> String {
    match w.id.kind {
        KubeKind::CronJob => {
            let c = w.cron.clone().unwrap_or_default();
            let last = c.last_schedule.map_or("never".to_string(), |t| {
                format!("{} ago", format::age(Some(t), now))
            });
            let outcome = c.last_outcome.map_or("-", |o| o.label());
            let suspended = if c.suspended { " SUSPENDED" } else { "" };
            format!("{}  last {last} {outcome}{suspended}", c.schedule)
        }
        KubeKind::Job => {
            let j = w.job.clone().unwrap_or_default();
            format!(
                "{}/{} done, {} failed, {} active",
                j.succeeded, j.completions, j.failed, j.active
            )
        }
        _ => {
            let image = w.images.first().map_or("", String::as_str);
            let image = image.rsplit('/').next().unwrap_or(image);
            if w.paused {
                format!("PAUSED {image}")
            } else if w.rollout_progress() < 1.0 {
                format!("rollout {:.0}% {image}", 100.0 * w.rollout_progress())
            } else {
                image.to_string()
            }
        }
    }
}

impl TableSpec for WorkloadsTable {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn revision(&self, fleet: &Fleet) -> u64 {
        fleet.workloads.revision()
    }

    fn items(&self, fleet: &Fleet, scope: &ScopeFilter) -> Vec<u32> {
        fleet
            .workloads
            .values()
            .enumerate()
            .filter(|(_, w)| scope.admits(&w.id.context, &w.id.namespace))
            .map(|(i, _)| i as u32)
            .collect()
    }

    fn changes_since(&self, fleet: &Fleet, revision: u64) -> Option<ItemChanges> {
        changes_of(&fleet.workloads, revision)
    }

    fn in_scope(&self, fleet: &Fleet, item: u32, scope: &ScopeFilter) -> bool {
        get(fleet, item).is_some_and(|w| scope.admits(&w.id.context, &w.id.namespace))
    }

    fn compare(&self, fleet: &Fleet, a: u32, b: u32, column: usize) -> Ordering {
        let (Some(x), Some(y)) = (get(fleet, a), get(fleet, b)) else {
            return Ordering::Equal;
        };
        let by_id = || x.id.cmp(&y.id);
        match column {
            0 => x.id.context.cmp(&y.id.context).then_with(by_id),
            1 => x.id.namespace.cmp(&y.id.namespace).then_with(by_id),
            2 => x.id.kind.cmp(&y.id.kind).then_with(by_id),
            4 => y.health().level.cmp(&x.health().level).then_with(by_id),
            5 => x.ready.cmp(&y.ready).then_with(by_id),
            6 => x.updated.cmp(&y.updated).then_with(by_id),
            7 => x.available.cmp(&y.available).then_with(by_id),
            9 => y.created.cmp(&x.created).then_with(by_id),
            _ => x.id.name.cmp(&y.id.name).then_with(by_id),
        }
    }

    fn haystack(&self, fleet: &Fleet, item: u32, out: &mut String) {
        if let Some(w) = get(fleet, item) {
            out.push_str(&w.id.context);
            out.push(' ');
            out.push_str(&w.id.namespace);
            out.push(' ');
            out.push_str(w.id.kind.short());
            out.push(' ');
            out.push_str(&w.id.name);
        }
    }

    fn cells(&self, fleet: &Fleet, item: u32, now: jiff::Timestamp) -> Vec<CellText> {
        let Some(w) = get(fleet, item) else {
            return Vec::new();
        };
        let counts = !matches!(w.id.kind, KubeKind::CronJob | KubeKind::Job);
        let n = |v: u32| {
            if counts {
                v.to_string()
            } else {
                "-".to_string()
            }
        };
        vec![
            CellText::plain(w.id.context.clone()),
            CellText::plain(w.id.namespace.clone()),
            CellText::plain(w.id.kind.short()),
            CellText::plain(w.id.name.clone()),
            health_cell(&w.health()),
            CellText::plain(if counts {
                format!("{}/{}", w.ready, w.desired)
            } else {
                "-".to_string()
            }),
            CellText::plain(n(w.updated)),
            CellText::plain(n(w.available)),
            CellText::new(detail(w, now), "table.dim"),
            CellText::plain(format::age(w.created, now)),
        ]
    }
}
