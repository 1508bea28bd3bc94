//! Docker containers, grouped by compose project when labelled.
//!
//! On an 80-column terminal: name, state, memory and uptime. Wider tables add the host,
//! image, CPU, restarts and ports, then network and block I/O rates, then a CPU sparkline.

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
    Column::wide(
        "CPU HISTORY",
        Constraint::Length(SPARKLINE_WIDTH as u16),
        170,
    ),
    Column::new("MEM", Constraint::Length(13)),
    Column::wide("NET RX/TX", Constraint::Length(13), 130),
    Column::wide("BLOCK R/W", Constraint::Length(13), 150),
    Column::wide("RESTARTS", Constraint::Length(8), 100),
    Column::wide("PORTS", Constraint::Fill(2), 110),
    Column::new("UP", Constraint::Length(4)),
];

/// Samples the CPU sparkline shows, newest on the right.
const SPARKLINE_WIDTH: usize = 16;

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
            4 | 5 => y
                .cpu_percent
                .unwrap_or(-1.0)
                .total_cmp(&x.cpu_percent.unwrap_or(-1.0))
                .then_with(by_name),
            6 => y
                .memory_usage_bytes
                .cmp(&x.memory_usage_bytes)
                .then_with(by_name),
            7 => total(y.io.net_rx, y.io.net_tx)
                .total_cmp(&total(x.io.net_rx, x.io.net_tx))
                .then_with(by_name),
            8 => total(y.io.block_read, y.io.block_write)
                .total_cmp(&total(x.io.block_read, x.io.block_write))
                .then_with(by_name),
            9 => y.restart_count.cmp(&x.restart_count).then_with(by_name),
            11 => y.started.cmp(&x.started).then_with(by_name),
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
        let cpu_history = &c.history.cpu_percent;
        vec![
            CellText::plain(name),
            CellText::plain(c.id.host.clone()),
            state,
            CellText::new(c.image.clone(), "table.dim"),
            CellText::plain(format::opt(c.cpu_percent, |p| format!("{p:.1}%"))),
            CellText::new(
                // Right-aligned: the newest sample is always at the same place.
                format!(
                    "{:>SPARKLINE_WIDTH$}",
                    format::sparkline(
                        cpu_history.iter().map(|&p| f64::from(p)),
                        SPARKLINE_WIDTH,
                        sparkline_scale(cpu_history.iter().rev().take(SPARKLINE_WIDTH)),
                    )
                ),
                "sparkline",
            ),
            CellText::plain(mem),
            CellText::plain(rate_pair(c.io.net_rx, c.io.net_tx)),
            CellText::plain(rate_pair(c.io.block_read, c.io.block_write)),
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

/// Sum of two rates for sorting; unknown sorts below zero.
fn total(a: Option<f64>, b: Option<f64>) -> f64 {
    match (a, b) {
        (None, None) => -1.0,
        (a, b) => a.unwrap_or(0.0) + b.unwrap_or(0.0),
    }
}

/// Two per-second rates as `12Ki/340B`, `-` when neither is known.
fn rate_pair(a: Option<f64>, b: Option<f64>) -> String {
    if a.is_none() && b.is_none() {
        return "-".to_string();
    }
    let one = |r: Option<f64>| format::opt(r, |r| format::bytes(r.max(0.0).round() as u64));
    format!("{}/{}", one(a), one(b))
}

/// The top of the sparkline's scale: 100% (one CPU), or the highest value shown when a
/// container uses more than one CPU, so that its sparkline does not sit flat at the top.
fn sparkline_scale<'a>(shown: impl Iterator<Item = &'a f32>) -> f64 {
    shown.fold(100.0_f64, |max, &p| max.max(f64::from(p)))
}

fn serde_label(h: crate::model::HealthCheck) -> &'static str {
    match h {
        crate::model::HealthCheck::Starting => "starting",
        crate::model::HealthCheck::Healthy => "healthy",
        crate::model::HealthCheck::Unhealthy => "unhealthy",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_say_unknown_rather_than_zero() {
        assert_eq!(rate_pair(None, None), "-");
        assert_eq!(rate_pair(Some(2048.0), Some(0.0)), "2.0Ki/0B");
        assert_eq!(rate_pair(Some(512.0), None), "512B/-");
        assert_eq!(
            rate_pair(Some(1023.0 * 1024.0 * 1024.0), Some(1023.0 * 1024.0)),
            "1023Mi/1023Ki",
            "the widest pair fits the column"
        );
        assert!(total(None, None) < total(Some(0.0), None));
    }

    #[test]
    fn the_sparkline_scale_grows_past_one_cpu() {
        assert_eq!(sparkline_scale([10.0_f32, 50.0].iter()), 100.0);
        assert_eq!(sparkline_scale([10.0_f32, 250.0].iter()), 250.0);
    }
}
