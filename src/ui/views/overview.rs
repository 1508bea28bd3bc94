//! The overview: counts by health per kind, firing alerts, latest warning events.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::config::theme::Theme;
use crate::model::{AlertState, EventType, HealthLevel};
use crate::store::Fleet;
use crate::ui::format;
use crate::ui::state::ScopeFilter;

pub struct OverviewView<'a> {
    pub fleet: &'a Fleet,
    pub scope: &'a ScopeFilter,
    pub theme: &'a Theme,
    pub now: jiff::Timestamp,
}

/// Counts per health level, in [`HealthLevel::ALL`] order.
type Counts = [usize; 5];

fn count(levels: impl Iterator<Item = HealthLevel>) -> Counts {
    let mut counts = [0; 5];
    for level in levels {
        if let Some(i) = HealthLevel::ALL.iter().position(|l| *l == level) {
            counts[i] += 1;
        }
    }
    counts
}

impl OverviewView<'_> {
    fn health_rows(&self) -> Vec<(&'static str, Counts)> {
        let f = self.fleet;
        let s = self.scope;
        let workloads = |kinds: &'static [crate::model::KubeKind]| {
            count(
                f.workloads
                    .values()
                    .filter(|w| {
                        kinds.contains(&w.id.kind) && s.admits(&w.id.context, &w.id.namespace)
                    })
                    .map(|w| w.health().level),
            )
        };
        use crate::model::KubeKind::*;
        vec![
            ("Deployments", workloads(&[Deployment])),
            ("StatefulSets", workloads(&[StatefulSet])),
            ("DaemonSets", workloads(&[DaemonSet])),
            ("CronJobs/Jobs", workloads(&[CronJob, Job])),
            (
                "Pods",
                count(
                    f.pods
                        .values()
                        .filter(|p| s.admits(&p.id.context, &p.id.namespace))
                        .map(|p| p.health().level),
                ),
            ),
            (
                "Nodes",
                count(
                    f.nodes
                        .values()
                        .filter(|n| s.admits_context(&n.context))
                        .map(|n| n.health().level),
                ),
            ),
            ("Hosts", count(f.hosts.values().map(|h| h.health().level))),
            (
                "Containers",
                count(f.containers.values().map(|c| c.health().level)),
            ),
        ]
    }

    fn health_table(&self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let mut lines = vec![Line::from(
            std::iter::once(Span::styled(
                format!("{:<15}", "KIND"),
                t.style("table.header"),
            ))
            .chain(HealthLevel::ALL.iter().map(|l| {
                Span::styled(
                    format!("{:>14}", format!("{} {}", l.symbol(), l.label())),
                    t.style("table.header"),
                )
            }))
            .collect::<Vec<_>>(),
        )];
        for (name, counts) in self.health_rows() {
            let mut spans = vec![Span::styled(format!("{name:<15}"), t.style("table.row"))];
            for (level, n) in HealthLevel::ALL.iter().zip(counts) {
                let style = if n == 0 {
                    t.style("table.dim")
                } else {
                    t.style(level.style_key())
                };
                spans.push(Span::styled(format!("{n:>13}"), style));
            }
            lines.push(Line::from(spans));
        }
        Paragraph::new(lines)
            .block(block(" Health ", t))
            .render(area, buf);
    }

    fn alerts(&self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let mut firing: Vec<_> = self
            .fleet
            .alerts
            .values()
            .filter(|a| a.state == AlertState::Firing)
            .collect();
        firing.sort_by(|a, b| {
            a.severity()
                .cmp(&b.severity())
                .then(b.starts_at.cmp(&a.starts_at))
        });
        let mut lines: Vec<Line> = firing
            .iter()
            .take(area.height.saturating_sub(2) as usize)
            .map(|a| {
                let sev = a.severity();
                let key = match sev {
                    crate::model::Severity::Critical => "alert.critical",
                    crate::model::Severity::Warning => "alert.warning",
                    _ => "alert.info",
                };
                Line::from(vec![
                    Span::styled(
                        format!("{} {:<8} ", sev.health().symbol(), sev.label()),
                        t.style(key),
                    ),
                    Span::styled(format!("{:<20} ", a.name()), t.style("table.row")),
                    Span::styled(
                        format!("{:>4} ", format::age(a.starts_at, self.now)),
                        t.style("table.dim"),
                    ),
                    Span::styled(a.summary().to_string(), t.style("table.row")),
                ])
            })
            .collect();
        if lines.is_empty() {
            let msg = if self.fleet.alerts.is_empty()
                && self
                    .fleet
                    .sources
                    .keys()
                    .all(|k| k.kind != crate::model::SourceKind::Alertmanager)
            {
                "no alert source configured"
            } else {
                "nothing firing"
            };
            lines.push(Line::styled(msg, t.style("table.dim")));
        }
        let title = format!(" Firing alerts ({}) ", firing.len());
        Paragraph::new(lines)
            .block(block(&title, t))
            .render(area, buf);
    }

    fn warnings(&self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let mut warnings: Vec<_> = self
            .fleet
            .events
            .values()
            .filter(|e| e.kind == EventType::Warning && self.scope.admits(&e.context, &e.namespace))
            .collect();
        warnings.sort_by_key(|e| std::cmp::Reverse(e.last_seen));
        let mut lines: Vec<Line> = warnings
            .iter()
            .take(area.height.saturating_sub(2) as usize)
            .map(|e| {
                Line::from(vec![
                    Span::styled(
                        format!("{:>4} ", format::age(e.last_seen, self.now)),
                        t.style("table.dim"),
                    ),
                    Span::styled(format!("{:<21.21} ", e.reason), t.style("event.warning")),
                    Span::styled(
                        format!("{}/{}: ", e.object.kind, e.object.name),
                        t.style("table.row"),
                    ),
                    Span::styled(e.message.clone(), t.style("table.dim")),
                ])
            })
            .collect();
        if lines.is_empty() {
            lines.push(Line::styled(
                "no warning events in scope",
                t.style("table.dim"),
            ));
        }
        // One event a line, cut at the edge: wrapped messages would break the columns.
        Paragraph::new(lines)
            .block(block(" Latest warning events ", t))
            .render(area, buf);
    }
}

fn block<'a>(title: &'a str, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style("border"))
        .title(Span::styled(title, theme.style("title")))
}

impl Widget for OverviewView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        // Health counts are 87 columns wide; beside them only on a wide screen.
        if area.width >= 150 {
            let [top, bottom] =
                Layout::vertical([Constraint::Length(11), Constraint::Fill(1)]).areas(area);
            let [health, alerts] =
                Layout::horizontal([Constraint::Length(87), Constraint::Fill(1)]).areas(top);
            self.health_table(health, buf);
            self.alerts(alerts, buf);
            self.warnings(bottom, buf);
        } else {
            let [health, alerts, warnings] = Layout::vertical([
                Constraint::Length(11),
                Constraint::Fill(1),
                Constraint::Fill(1),
            ])
            .areas(area);
            self.health_table(health, buf);
            self.alerts(alerts, buf);
            self.warnings(warnings, buf);
        }
    }
}
