//! The frame around the views: header (contexts, scope, sources, badges), tabs, status bar.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::Screen;
use super::state::{PromptKind, ViewKind};
use crate::model::{AlertState, Severity};

pub fn render_header(screen: &Screen, area: Rect, buf: &mut Buffer) {
    let t = screen.theme;
    let ui = screen.ui;
    let fleet = screen.fleet;
    buf.set_style(area, t.style("header"));
    let mut spans = vec![Span::styled(" pilothouse ", t.style("header.title"))];
    if fleet.contexts.is_empty() {
        spans.push(Span::styled(" no kube context ", t.style("table.dim")));
    }
    for ctx in fleet.contexts.values() {
        let dimmed = ui.scope.context.as_ref().is_some_and(|c| *c != ctx.name);
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            ctx.name.clone(),
            if dimmed {
                t.style("table.dim")
            } else {
                t.style("header.context")
            },
        ));
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            format!(" {} ", ctx.environment.label()),
            t.style(ctx.environment.style_key()),
        ));
    }
    let ns = ui.scope.namespace.as_deref().unwrap_or("all");
    spans.push(Span::styled(
        format!("  ns:{ns}"),
        t.style("header.namespace"),
    ));
    if let Some(ctx) = &ui.scope.context {
        spans.push(Span::styled(
            format!("  ctx:{ctx}"),
            t.style("header.namespace"),
        ));
    }
    if ui.read_only {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(" READ-ONLY ", t.style("header.readonly")));
    }
    // The incident being worked stays in sight from every view.
    if let Some(desk) = ui.incident.as_deref()
        && desk.incident.status != crate::incident::Status::Resolved
    {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(
            format!(
                " {} {} {} ",
                desk.incident.severity,
                desk.incident.id,
                desk.incident.status.label()
            ),
            t.style("status.critical"),
        ));
    }
    let critical = fleet
        .alerts
        .values()
        .filter(|a| a.state == AlertState::Firing && a.severity() == Severity::Critical)
        .count();
    if critical > 0 {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(
            format!(" ✗ {critical} CRITICAL FIRING "),
            t.style("alert.critical"),
        ));
    }
    Line::from(spans).render(row(area, 0), buf);

    let mut sources = vec![Span::styled(" sources:", t.style("table.dim"))];
    if fleet.sources.is_empty() {
        sources.push(Span::styled(" none connected", t.style("table.dim")));
    }
    for (key, health) in &fleet.sources {
        sources.push(Span::raw("  "));
        sources.push(Span::styled(
            format!("{}:{} ", key.kind.label(), key.name),
            t.style("header"),
        ));
        let detail = match health {
            crate::model::SourceHealth::Stale { since, .. } => {
                format!(
                    "{} stale since {}",
                    health.symbol(),
                    since.strftime("%H:%M")
                )
            }
            _ => format!("{} {}", health.symbol(), health.label()),
        };
        sources.push(Span::styled(detail, t.style(health.style_key())));
        // A context without metrics.k8s.io has no CPU/memory columns to fill: say why.
        if key.kind == crate::model::SourceKind::Kubernetes
            && fleet.metrics_api.get(&key.name) == Some(&false)
        {
            sources.push(Span::styled(" (no metrics API)", t.style("table.dim")));
        }
    }
    Line::from(sources).render(row(area, 1), buf);

    let mut tabs = vec![Span::raw(" ")];
    for (i, view) in ViewKind::ALL.iter().enumerate() {
        let style = if *view == ui.view {
            t.style("tabs.active")
        } else {
            t.style("tabs")
        };
        tabs.push(Span::styled(view.tab_label(i), style));
    }
    Line::from(tabs).render(row(area, 2), buf);
}

fn row(area: Rect, n: u16) -> Rect {
    Rect {
        y: area.y + n,
        height: 1,
        ..area
    }
    .intersection(area)
}

pub fn render_status(screen: &Screen, area: Rect, buf: &mut Buffer) {
    let t = screen.theme;
    let ui = screen.ui;
    buf.set_style(area, t.style("statusbar"));
    if let Some(prompt) = &ui.prompt {
        let label = match prompt.kind {
            PromptKind::Palette => ":",
            PromptKind::Filter => "/",
            PromptKind::Search => "search: ",
        };
        let label_width = label.chars().count() as u16;
        Span::styled(label, t.style("prompt")).render(area, buf);
        let mut editor = prompt.editor.clone();
        editor.set_style(t.style("prompt"));
        editor.set_cursor_style(
            t.style("prompt")
                .add_modifier(ratatui::style::Modifier::REVERSED),
        );
        let input_area = Rect {
            x: area.x + label_width,
            width: area.width.saturating_sub(label_width),
            ..area
        };
        (&editor).render(input_area, buf);
        return;
    }
    let mut spans = Vec::new();
    // Operations left running in the background stay in sight until they finish.
    for op in &ui.background {
        spans.push(Span::styled(
            format!(" {} ", op.status_text()),
            t.style("status.progressing"),
        ));
    }
    if let Some(msg) = &ui.status {
        spans.push(Span::styled(
            format!(" {} ", msg.text),
            t.style(if msg.error {
                "statusbar.error"
            } else {
                "statusbar"
            }),
        ));
    } else {
        let hints = match ui.view {
            ViewKind::Logs => &screen.chrome.log_hints,
            ViewKind::Incident => &screen.chrome.incident_hints,
            _ => &screen.chrome.hints,
        };
        // What can be done to the selected row comes first; greyed when not allowed.
        for hint in &ui.op_hints {
            let (key_style, what_style) = if hint.denied.is_some() {
                ("table.dim", "table.dim")
            } else {
                ("statusbar.key", "statusbar")
            };
            spans.push(Span::styled(format!(" {}", hint.keys), t.style(key_style)));
            spans.push(Span::styled(format!(":{}", hint.what), t.style(what_style)));
        }
        if !ui.op_hints.is_empty() {
            spans.push(Span::styled(" │", t.style("statusbar")));
        }
        for (keys, what) in hints {
            spans.push(Span::styled(format!(" {keys}"), t.style("statusbar.key")));
            spans.push(Span::styled(format!(":{what}"), t.style("statusbar")));
        }
    }
    if !screen.chrome.problems.is_empty() {
        spans.push(Span::styled(
            format!("  ⚠ {} config problem(s)", screen.chrome.problems.len()),
            t.style("statusbar.error"),
        ));
    }
    Line::from(spans).render(area, buf);
    if ui.view.has_table() {
        let state = ui.table(ui.view);
        let mut right = if state.rows.is_empty() {
            "0 rows".to_string()
        } else {
            format!("{}/{}", state.selected + 1, state.rows.len())
        };
        if !state.filter.is_empty() {
            right = format!("/{}  {right}", state.filter);
        }
        let width = right.chars().count() as u16 + 1;
        if width < area.width {
            let r = Rect {
                x: area.right() - width,
                width,
                ..area
            };
            Line::styled(right, t.style("statusbar")).render(r, buf);
        }
    }
}

/// The logs view: the open pane, or how to open one.
pub fn render_logs(screen: &Screen, area: Rect, buf: &mut Buffer) {
    let t = screen.theme;
    if let Some(pane) = screen.log_pane {
        super::logs_view::LogsView {
            store: screen.logs,
            pane,
            theme: t,
        }
        .render(area, buf);
        return;
    }
    let lines = vec![Line::styled(
        " No log stream open. Select a pod or container and press the logs key (l).",
        t.style("table.dim"),
    )];
    for (i, line) in lines.into_iter().enumerate() {
        line.style(Style::default())
            .render(row(area, i as u16), buf);
    }
}
