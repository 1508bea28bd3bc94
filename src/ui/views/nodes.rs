//! Nodes and hosts in one table: Kubernetes nodes first, then hosts with metrics.
//!
//! Items below [`HOST_BIT`] are node positions; items with it set are host positions.

use std::cmp::Ordering;

use ratatui::layout::Constraint;

use super::health_cell;
use crate::model::{Health, Host, Node};
use crate::store::Fleet;
use crate::ui::format;
use crate::ui::state::ScopeFilter;
use crate::ui::table::{CellText, Column, TableSpec};

pub struct NodesTable;

const HOST_BIT: u32 = 1 << 31;

const COLUMNS: &[Column] = &[
    Column::new("NAME", Constraint::Fill(2)),
    Column::new("SOURCE", Constraint::Length(13)),
    Column::new("STATUS", Constraint::Length(20)),
    Column::wide("ROLES", Constraint::Length(14), 110),
    Column::new("CPU", Constraint::Length(11)),
    Column::new("MEM", Constraint::Length(11)),
    Column::wide("DISK", Constraint::Length(5), 100),
    Column::new("PODS", Constraint::Length(4)),
    Column::wide("CPU HISTORY", Constraint::Fill(1), 120),
    Column::new("AGE", Constraint::Length(4)),
];

enum Row<'a> {
    Node(&'a Node),
    Host(&'a Host),
}

fn get(fleet: &Fleet, item: u32) -> Option<Row<'_>> {
    if item & HOST_BIT != 0 {
        fleet
            .hosts
            .get_index((item & !HOST_BIT) as usize)
            .map(Row::Host)
    } else {
        fleet.nodes.get_index(item as usize).map(Row::Node)
    }
}

impl Row<'_> {
    fn name(&self) -> &str {
        match self {
            Row::Node(n) => &n.name,
            Row::Host(h) => &h.id.name,
        }
    }

    fn source(&self) -> &str {
        match self {
            Row::Node(n) => &n.context,
            Row::Host(h) => &h.id.source,
        }
    }

    fn health(&self) -> Health {
        match self {
            Row::Node(n) => n.health(),
            Row::Host(h) => h.health(),
        }
    }

    fn cpu_percent(&self) -> Option<f64> {
        match self {
            Row::Node(n) => n
                .cpu_used_millis
                .map(|u| 100.0 * u as f64 / n.cpu_allocatable_millis.max(1) as f64),
            Row::Host(h) => Some(h.latest.cpu_percent),
        }
    }

    fn memory_percent(&self) -> Option<f64> {
        match self {
            Row::Node(n) => n
                .memory_used_bytes
                .map(|u| 100.0 * u as f64 / n.memory_allocatable_bytes.max(1) as f64),
            Row::Host(h) => Some(h.latest.memory_percent()),
        }
    }
}

impl TableSpec for NodesTable {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn revision(&self, fleet: &Fleet) -> u64 {
        // Both only grow, so the sum changes whenever either does. Pod counts change with pods.
        fleet.nodes.revision() + fleet.hosts.revision() + fleet.pods.revision()
    }

    fn items(&self, fleet: &Fleet, scope: &ScopeFilter) -> Vec<u32> {
        let nodes = fleet
            .nodes
            .values()
            .enumerate()
            .filter(|(_, n)| scope.admits_context(&n.context))
            .map(|(i, _)| i as u32);
        let hosts = (0..fleet.hosts.len() as u32).map(|i| i | HOST_BIT);
        nodes.chain(hosts).collect()
    }

    fn compare(&self, fleet: &Fleet, a: u32, b: u32, column: usize) -> Ordering {
        let (Some(x), Some(y)) = (get(fleet, a), get(fleet, b)) else {
            return Ordering::Equal;
        };
        // Nodes before hosts whatever the column, so the two kinds stay readable.
        let kind = (a & HOST_BIT).cmp(&(b & HOST_BIT));
        let by_name = || x.source().cmp(y.source()).then(x.name().cmp(y.name()));
        let f = |v: Option<f64>| v.unwrap_or(-1.0);
        kind.then(match column {
            1 => by_name(),
            2 => y.health().level.cmp(&x.health().level).then_with(by_name),
            4 => f(y.cpu_percent())
                .total_cmp(&f(x.cpu_percent()))
                .then_with(by_name),
            5 => f(y.memory_percent())
                .total_cmp(&f(x.memory_percent()))
                .then_with(by_name),
            _ => x.name().cmp(y.name()).then(x.source().cmp(y.source())),
        })
    }

    fn haystack(&self, fleet: &Fleet, item: u32, out: &mut String) {
        if let Some(row) = get(fleet, item) {
            out.push_str(row.name());
            out.push(' ');
            out.push_str(row.source());
        }
    }

    fn cells(&self, fleet: &Fleet, item: u32, now: jiff::Timestamp) -> Vec<CellText> {
        let Some(row) = get(fleet, item) else {
            return Vec::new();
        };
        let health = row.health();
        let mut status = health_cell(&health);
        let pct = |v: Option<f64>| v.map_or("-".to_string(), format::percent);
        match row {
            Row::Node(n) => {
                if n.unschedulable && health.reason != "SchedulingDisabled" {
                    status.text.push_str(",cordoned");
                }
                vec![
                    CellText::plain(n.name.clone()),
                    CellText::plain(n.context.clone()),
                    status,
                    CellText::plain(if n.roles.is_empty() {
                        "<none>".to_string()
                    } else {
                        n.roles.join(",")
                    }),
                    CellText::plain(format!(
                        "{} of {}",
                        pct(row.cpu_percent()),
                        format::millicores(n.cpu_allocatable_millis)
                    )),
                    CellText::plain(format!(
                        "{} of {}",
                        pct(row.memory_percent()),
                        format::bytes(n.memory_allocatable_bytes)
                    )),
                    CellText::plain("-"),
                    CellText::plain(fleet.pod_count_on(&n.context, &n.name).to_string()),
                    CellText::new(
                        if n.taints.is_empty() {
                            String::new()
                        } else {
                            format!("taints: {}", n.taints.join(","))
                        },
                        "table.dim",
                    ),
                    CellText::plain(format::age(n.created, now)),
                ]
            }
            Row::Host(h) => {
                let s = &h.latest;
                // Per-core bars after the core count: one busy core among idle ones shows.
                let cores = if s.cpu_per_core.is_empty() {
                    format!("host {}c", s.cores)
                } else {
                    format!(
                        "{}c {}",
                        s.cores,
                        format::sparkline(s.cpu_per_core.iter().copied(), 9, 100.0)
                    )
                };
                let memory = format!(
                    "{} of {}",
                    pct(Some(s.memory_percent())),
                    format::bytes(s.memory_total_bytes)
                );
                // Wide screens only: the rest of what the host reports.
                let mut history = format::sparkline(h.cpu_history.iter().copied(), 20, 100.0);
                if s.net_rx_bytes_per_s > 0.0 || s.net_tx_bytes_per_s > 0.0 {
                    history.push_str(&format!(
                        " ↓{}/s ↑{}/s",
                        format::bytes(s.net_rx_bytes_per_s as u64),
                        format::bytes(s.net_tx_bytes_per_s as u64)
                    ));
                }
                if s.swap_used_bytes > 0 {
                    history.push_str(&format!(" swap {}", pct(Some(s.swap_percent()))));
                }
                if let Some(disk) = s.worst_disk() {
                    history.push_str(&format!(
                        " {} {} free",
                        disk.mount,
                        format::bytes(disk.total_bytes.saturating_sub(disk.used_bytes))
                    ));
                }
                let read_only: Vec<&str> = s
                    .disks
                    .iter()
                    .filter(|d| d.read_only)
                    .map(|d| d.mount.as_str())
                    .collect();
                if !read_only.is_empty() {
                    history.push_str(&format!(" read-only {}", read_only.join(",")));
                }
                vec![
                    CellText::plain(h.id.name.clone()),
                    CellText::plain(h.id.source.clone()),
                    status,
                    CellText::plain(cores),
                    CellText::plain(format!("{} ld {:.1}", pct(Some(s.cpu_percent)), s.load1)),
                    CellText::plain(memory),
                    CellText::plain(pct(s.worst_disk_percent())),
                    CellText::plain("-"),
                    CellText::new(history, "sparkline"),
                    CellText::plain("-"),
                ]
            }
        }
    }
}
