//! Docker containers, grouped by compose project when labelled.

use std::cmp::Ordering;

use ratatui::layout::Constraint;

use super::health_cell;
use crate::model::DockerContainer;
use crate::store::Fleet;
use crate::ui::format;
use crate::ui::state::ScopeFilter;
use crate::ui::table::{CellText, Column, TableSpec};

pub struct ContainersTable;

const COLUMNS: &[Column] = &[
    Column::new("NAME", Constraint::Fill(2)),
    Column::wide("HOST", Constraint::Length(8), 120),
    Column::new("STATE", Constraint::Length(18)),
    Column::wide("IMAGE", Constraint::Fill(2), 100),
    Column::wide("CPU", Constraint::Length(6), 90),
    Column::new("MEM", Constraint::Length(13)),
    Column::wide("RESTARTS", Constraint::Length(8), 100),
    Column::wide("PORTS", Constraint::Fill(2), 110),
    Column::new("UP", Constraint::Length(4)),
];

fn get(fleet: &Fleet, i: u32) -> Option<&DockerContainer> {
    fleet.containers.get_index(i as usize)
}

impl TableSpec for ContainersTable {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn revision(&self, fleet: &Fleet) -> u64 {
        fleet.containers.revision()
    }

    fn items(&self, fleet: &Fleet, _scope: &ScopeFilter) -> Vec<u32> {
        (0..fleet.containers.len() as u32).collect()
    }

    fn grouped(&self) -> bool {
        true
    }

    fn group(&self, fleet: &Fleet, item: u32) -> Option<String> {
        let c = get(fleet, item)?;
        c.compose_project()
            .map(|p| format!("compose project {p} @ {}", c.id.host))
    }

    fn compare(&self, fleet: &Fleet, a: u32, b: u32, column: usize) -> Ordering {
        let (Some(x), Some(y)) = (get(fleet, a), get(fleet, b)) else {
            return Ordering::Equal;
        };
        let by_name = || x.name.cmp(&y.name).then(x.id.cmp(&y.id));
        match column {
            1 => x.id.host.cmp(&y.id.host).then_with(by_name),
            2 => y.health().level.cmp(&x.health().level).then_with(by_name),
            3 => x.image.cmp(&y.image).then_with(by_name),
            4 => y
                .cpu_percent
                .unwrap_or(-1.0)
                .total_cmp(&x.cpu_percent.unwrap_or(-1.0))
                .then_with(by_name),
            5 => y
                .memory_usage_bytes
                .cmp(&x.memory_usage_bytes)
                .then_with(by_name),
            6 => y.restart_count.cmp(&x.restart_count).then_with(by_name),
            8 => y.started.cmp(&x.started).then_with(by_name),
            _ => by_name(),
        }
    }

    fn haystack(&self, fleet: &Fleet, item: u32, out: &mut String) {
        if let Some(c) = get(fleet, item) {
            out.push_str(&c.name);
            out.push(' ');
            out.push_str(&c.image);
            out.push(' ');
            out.push_str(c.compose_project().unwrap_or(""));
            out.push(' ');
            out.push_str(&c.id.host);
        }
    }

    fn cells(&self, fleet: &Fleet, item: u32, now: jiff::Timestamp) -> Vec<CellText> {
        let Some(c) = get(fleet, item) else {
            return Vec::new();
        };
        let health = c.health();
        let mut state = health_cell(&health);
        let mut word = c.state.label().to_string();
        if let Some(hc) = c.health_check {
            word = format!("{word} ({})", serde_label(hc));
        }
        if c.oom_killed {
            word.push_str(" OOM");
        } else if let (crate::model::ContainerRunState::Exited, Some(code)) = (c.state, c.exit_code)
        {
            word = format!("exited ({code})");
        }
        state.text = format!("{} {word}", health.level.symbol());
        let name = match c.compose_service() {
            Some(service) => format!("  {} [{service}]", c.name),
            None => c.name.clone(),
        };
        let mem = match (c.memory_usage_bytes, c.memory_limit_bytes) {
            (Some(used), Some(limit)) => {
                format!("{}/{}", format::bytes(used), format::bytes(limit))
            }
            (Some(used), None) => format::bytes(used),
            _ => "-".to_string(),
        };
        let running = c.state == crate::model::ContainerRunState::Running;
        vec![
            CellText::plain(name),
            CellText::plain(c.id.host.clone()),
            state,
            CellText::new(c.image.clone(), "table.dim"),
            CellText::plain(format::opt(c.cpu_percent, |p| format!("{p:.1}%"))),
            CellText::plain(mem),
            CellText::new(
                c.restart_count.to_string(),
                if c.restart_count > 0 {
                    "status.warning"
                } else {
                    "table.row"
                },
            ),
            CellText::new(c.ports.join(", "), "table.dim"),
            CellText::plain(if running {
                format::age(c.started, now)
            } else {
                "-".to_string()
            }),
        ]
    }
}

fn serde_label(h: crate::model::HealthCheck) -> &'static str {
    match h {
        crate::model::HealthCheck::Starting => "starting",
        crate::model::HealthCheck::Healthy => "healthy",
        crate::model::HealthCheck::Unhealthy => "unhealthy",
    }
}
