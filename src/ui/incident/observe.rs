//! What an `observe` step shows beside the runbook: the open log pane, or a few live lines
//! about its target from the fleet (pods, workloads, events, alerts, a host).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};
use regex::Regex;

use super::super::Screen;
use crate::incident::RunbookProgress;
use crate::model::{EventType, PodPhase};
use crate::runbook::{ObserveView, Runbook};
use crate::store::Fleet;

/// An observe step's target as written: `deploy/api -n shop @prod`, `pod/db-0`, a name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObserveTarget {
    /// `deploy`, `pod`, `ctr` … when the target names one.
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub context: Option<String>,
}

impl ObserveTarget {
    pub fn parse(text: &str) -> ObserveTarget {
        let mut target = ObserveTarget::default();
        let mut words = text.split_whitespace();
        while let Some(word) = words.next() {
            if word == "-n" {
                target.namespace = words.next().map(str::to_string);
            } else if let Some(context) = word.strip_prefix('@') {
                target.context = Some(context.to_string());
            } else if let Some((kind, name)) = word.split_once('/') {
                target.kind = Some(kind.to_string());
                target.name = Some(name.to_string());
            } else {
                target.name = Some(word.to_string());
            }
        }
        target
    }

    fn admits(&self, context: &str, namespace: &str) -> bool {
        self.context.as_deref().is_none_or(|c| c == context)
            && self.namespace.as_deref().is_none_or(|n| n == namespace)
    }
}

/// Draw observe step `index` of `runbook` in `area`.
pub fn render(
    screen: &Screen,
    runbook: &Runbook,
    progress: &RunbookProgress,
    index: usize,
    area: Rect,
    buf: &mut Buffer,
) {
    let t = screen.theme;
    let Some((view, target_text, filter)) = runbook.steps[index].observed(&progress.params) else {
        return;
    };
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(t.style("border"))
        .title(Span::styled(
            format!(
                " {} {target_text} (o: open in full) ",
                format!("{view:?}").to_lowercase()
            ),
            t.style("title"),
        ));
    let inner = block.inner(area);
    block.render(area, buf);
    if view == ObserveView::Logs {
        match screen.log_pane {
            Some(pane) => super::super::logs_view::LogsView {
                store: screen.logs,
                pane,
                theme: t,
            }
            .render(inner, buf),
            None => Paragraph::new(Line::styled(
                "the logs open here (o opens them in full)",
                t.style("table.dim"),
            ))
            .render(inner, buf),
        }
        return;
    }
    let target = ObserveTarget::parse(&target_text);
    let filter = filter.and_then(|f| Regex::new(&f).ok());
    let mut lines = observe_lines(screen.fleet, view, &target, filter.as_ref(), screen.ui.now);
    if lines.is_empty() {
        lines.push(Line::styled("nothing matches yet", t.style("table.dim")));
    }
    let styled: Vec<Line> = lines
        .into_iter()
        .take(inner.height as usize)
        .map(|line| line.style(Style::default()))
        .collect();
    Paragraph::new(styled).render(inner, buf);
}

/// The lines an observe step of `view` shows about `target`, newest and worst first.
pub fn observe_lines(
    fleet: &Fleet,
    view: ObserveView,
    target: &ObserveTarget,
    filter: Option<&Regex>,
    now: jiff::Timestamp,
) -> Vec<Line<'static>> {
    let named = |name: &str| target.name.as_deref().is_none_or(|n| n == name);
    let passes = |text: &str| filter.is_none_or(|f| f.is_match(text));
    match view {
        ObserveView::Pods => {
            let owner = target
                .kind
                .as_deref()
                .filter(|k| *k != "pod")
                .and(target.name.as_deref());
            fleet
                .pods
                .values()
                .filter(|p| target.admits(&p.id.context, &p.id.namespace))
                .filter(|p| match owner {
                    Some(workload) => p.id.name.starts_with(&format!("{workload}-")),
                    None => named(&p.id.name),
                })
                .map(|p| {
                    let ready = p.containers.iter().filter(|c| c.ready).count();
                    let restarts: u32 = p.containers.iter().map(|c| c.restarts).sum();
                    let waiting = p
                        .containers
                        .iter()
                        .find_map(|c| match &c.state {
                            crate::model::ContainerState::Waiting { reason } => {
                                Some(reason.clone())
                            }
                            _ => None,
                        })
                        .unwrap_or_else(|| phase_text(p.phase).to_string());
                    Line::raw(format!(
                        "{:<28} {ready}/{} {waiting:<18} restarts {restarts}",
                        p.id.name,
                        p.containers.len()
                    ))
                })
                .collect()
        }
        ObserveView::Workloads => fleet
            .workloads
            .values()
            .filter(|w| target.admits(&w.id.context, &w.id.namespace) && named(&w.id.name))
            .map(|w| {
                Line::raw(format!(
                    "{}/{:<22} desired {} ready {} updated {} available {}  {}",
                    w.id.kind.short(),
                    w.id.name,
                    w.desired,
                    w.ready,
                    w.updated,
                    w.available,
                    w.health().reason
                ))
            })
            .collect(),
        ObserveView::Events => {
            let mut events: Vec<_> = fleet
                .events
                .values()
                .filter(|e| target.admits(&e.context, &e.namespace) && named(&e.object.name))
                .filter(|e| passes(&e.message) || passes(&e.reason))
                .collect();
            events.sort_by_key(|e| (e.kind != EventType::Warning, std::cmp::Reverse(e.last_seen)));
            events
                .into_iter()
                .map(|e| {
                    Line::raw(format!(
                        "{:<8} {}/{} {}: {}",
                        if e.kind == EventType::Warning {
                            "Warning"
                        } else {
                            "Normal"
                        },
                        e.object.kind,
                        e.object.name,
                        e.reason,
                        e.message
                    ))
                })
                .collect()
        }
        ObserveView::Alerts => fleet
            .alerts
            .values()
            .filter(|a| {
                target
                    .namespace
                    .as_deref()
                    .is_none_or(|n| a.labels.get("namespace").map(String::as_str) == Some(n))
            })
            .filter(|a| passes(a.name()) || passes(a.summary()))
            .map(|a| {
                let age = a
                    .starts_at
                    .map(|s| crate::incident::postmortem::duration_text(now.duration_since(s)))
                    .unwrap_or_default();
                Line::raw(format!(
                    "{:<8} {:<22} {} ({age})",
                    a.severity().label(),
                    a.name(),
                    a.summary()
                ))
            })
            .collect(),
        ObserveView::Host => {
            let mut lines = Vec::new();
            for host in fleet.hosts.values() {
                let id = &host.id;
                let wanted = target.name.as_deref().is_none_or(|n| {
                    id.name == n || n.split(':').next().is_some_and(|bare| id.name == bare)
                });
                if !wanted {
                    continue;
                }
                lines.push(Line::raw(format!("{} ({})", id.name, id.source)));
                let s = &host.latest;
                lines.push(Line::raw(format!(
                    "  cpu {:.0}% · memory {:.0}% · load/core {:.2} · worst disk {}",
                    s.cpu_percent,
                    s.memory_percent(),
                    s.load_per_core(),
                    s.worst_disk_percent()
                        .map_or("-".to_string(), |d| format!("{d:.0}%"))
                )));
            }
            for node in fleet.nodes.values().filter(|n| named(&n.name)) {
                lines.push(Line::raw(format!(
                    "node {} @{}: {}",
                    node.name,
                    node.context,
                    match node.ready {
                        Some(true) => "Ready",
                        Some(false) => "NotReady",
                        None => "Unknown",
                    }
                )));
            }
            lines
        }
        // The log pane is drawn by the caller.
        ObserveView::Logs => Vec::new(),
    }
}

fn phase_text(phase: PodPhase) -> &'static str {
    phase.label()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_read_like_the_palette() {
        let t = ObserveTarget::parse("deploy/api -n shop @prod");
        assert_eq!(t.kind.as_deref(), Some("deploy"));
        assert_eq!(t.name.as_deref(), Some("api"));
        assert_eq!(t.namespace.as_deref(), Some("shop"));
        assert_eq!(t.context.as_deref(), Some("prod"));
        let t = ObserveTarget::parse("-n shop");
        assert_eq!((t.name, t.namespace.as_deref()), (None, Some("shop")));
        assert_eq!(
            ObserveTarget::parse("db-host").name.as_deref(),
            Some("db-host")
        );
    }
}
