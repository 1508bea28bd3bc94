//! Backups: every backup target (backup CronJobs, Velero Schedules, the config's container
//! backups) with its last success, its age against its policy, and the overdue and failed
//! ones first. What counts as a target and how its policy is found: `store::backups`.

use std::cmp::Ordering;

use jiff::Timestamp;
use ratatui::layout::Constraint;

use crate::model::HealthLevel;
use crate::ops::backup_config::BackupPolicy;
use crate::store::Fleet;
use crate::store::backups::{self, BackupStatus, BackupTarget};
use crate::ui::format;
use crate::ui::state::ScopeFilter;
use crate::ui::table::{CellText, Column, TableSpec};

pub struct BackupsTable;

const COLUMNS: &[Column] = &[
    Column::new("STATUS", Constraint::Length(9)),
    Column::new("TARGET", Constraint::Fill(3)),
    Column::new("WHERE", Constraint::Fill(2)),
    Column::new("POLICY", Constraint::Length(6)),
    Column::new("LAST SUCCESS", Constraint::Length(12)),
    Column::new("DUE", Constraint::Length(11)),
    Column::wide("KEEP", Constraint::Length(4), 100),
    Column::wide("SCHEDULE", Constraint::Fill(2), 100),
];

/// `daily`, `hourly`, `6h`.
pub fn policy_label(policy: BackupPolicy) -> String {
    match policy {
        BackupPolicy::Daily => "daily".to_string(),
        BackupPolicy::Hourly => "hourly".to_string(),
        BackupPolicy::Every(every) => format::duration(every.as_secs() as i64),
    }
}

/// `in 3h`, `overdue 2h`, `now` (never succeeded); `paused` when it will not run by itself.
fn due_text(target: &BackupTarget, now: Timestamp) -> String {
    let Some(due) = target.due_at() else {
        return if target.paused() { "paused" } else { "now" }.to_string();
    };
    let secs = due.as_second() - now.as_second();
    if secs < 0 {
        format!("overdue {}", format::duration(-secs))
    } else if target.paused() {
        "paused".to_string()
    } else {
        format!("in {}", format::duration(secs))
    }
}

/// The health level a status is drawn with, for its symbol and color (readable in mono).
fn level(status: BackupStatus) -> HealthLevel {
    match status {
        BackupStatus::Failed | BackupStatus::Never => HealthLevel::Critical,
        BackupStatus::Overdue => HealthLevel::Warning,
        BackupStatus::Running => HealthLevel::Progressing,
        BackupStatus::Ok => HealthLevel::Ok,
    }
}

fn admitted(target: &BackupTarget, scope: &ScopeFilter) -> bool {
    match target.kube_place() {
        Some((context, namespace)) => scope.admits(context, namespace),
        // Docker hosts are not in the Kubernetes scope.
        None => true,
    }
}

impl TableSpec for BackupsTable {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn revision(&self, fleet: &Fleet) -> u64 {
        backups::revision(fleet)
    }

    fn items(&self, fleet: &Fleet, scope: &ScopeFilter) -> Vec<u32> {
        backups::targets(fleet)
            .filter(|(_, t)| admitted(t, scope))
            .map(|(i, _)| i)
            .collect()
    }

    fn in_scope(&self, fleet: &Fleet, item: u32, scope: &ScopeFilter) -> bool {
        backups::target_at(fleet, item).is_some_and(|t| admitted(&t, scope))
    }

    fn compare(&self, fleet: &Fleet, a: u32, b: u32, column: usize) -> Ordering {
        let (Some(x), Some(y)) = (backups::target_at(fleet, a), backups::target_at(fleet, b))
        else {
            return Ordering::Equal;
        };
        let by_name = || {
            x.reference()
                .cmp(&y.reference())
                .then_with(|| x.place(fleet).cmp(&y.place(fleet)))
        };
        match column {
            // Needs no clock, so the order holds between data changes: see `urgency_cmp`.
            0 => x.urgency_cmp(&y).then_with(by_name),
            2 => x.place(fleet).cmp(&y.place(fleet)).then_with(by_name),
            3 => x
                .policy()
                .max_age()
                .cmp(&y.policy().max_age())
                .then_with(by_name),
            4 => x.last_success().cmp(&y.last_success()).then_with(by_name),
            5 => x.due_at().cmp(&y.due_at()).then_with(by_name),
            6 => x.keep().cmp(&y.keep()).then_with(by_name),
            7 => x.schedule().cmp(&y.schedule()).then_with(by_name),
            _ => by_name(),
        }
    }

    fn haystack(&self, fleet: &Fleet, item: u32, out: &mut String) {
        if let Some(t) = backups::target_at(fleet, item) {
            out.push_str(&t.reference());
            out.push(' ');
            out.push_str(&t.place(fleet));
            out.push(' ');
            out.push_str(&policy_label(t.policy()));
        }
    }

    fn cells(&self, fleet: &Fleet, item: u32, now: Timestamp) -> Vec<CellText> {
        let Some(t) = backups::target_at(fleet, item) else {
            return Vec::new();
        };
        let status = t.status(now);
        let last = match t.last_success() {
            Some(at) => format!("{} ago", format::age(Some(at), now)),
            None => "never".to_string(),
        };
        let schedule = match (t.schedule(), t.paused()) {
            (Some(cron), true) => format!("{cron}  PAUSED"),
            (Some(cron), false) => cron.to_string(),
            (None, _) => "-".to_string(),
        };
        vec![
            CellText::new(
                format!("{} {}", level(status).symbol(), status.label()),
                level(status).style_key(),
            ),
            CellText::plain(t.reference()),
            CellText::plain(t.place(fleet)),
            CellText::plain(policy_label(t.policy())),
            CellText::plain(last),
            CellText::new(
                due_text(&t, now),
                if status.is_problem() {
                    level(status).style_key()
                } else {
                    "table.dim"
                },
            ),
            CellText::plain(format::duration(t.keep().as_secs() as i64)),
            CellText::new(schedule, "table.dim"),
        ]
    }
}
