//! The incident view (key 0): the incident's header, its runbooks' steps with their
//! status, the current step's detail, the view an `observe` step opened beside it, and the
//! timeline. Pure drawing of [`state::IncidentDesk`], the fleet and the log store.

pub mod dialogs;
pub mod observe;
pub mod state;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use super::Screen;
use crate::config::theme::Theme;
use crate::incident::postmortem::duration_text;
use crate::incident::{RunbookProgress, StepStatus, TimelineFilter, timeline};
use crate::runbook::{ConditionState, Runbook, StepBody, fill, walk};
use state::{DeskPane, IncidentDesk};

/// The step whose view is shown beside the runbook: the current step if it observes,
/// else the last observe step passed on the way there.
pub fn observed_step(runbook: &Runbook, progress: &RunbookProgress) -> Option<usize> {
    let walked = walk(runbook, progress);
    walked
        .path
        .iter()
        .rev()
        .copied()
        .find(|i| matches!(runbook.steps[*i].body, StepBody::Observe { .. }))
}

/// The incident view.
pub fn render(screen: &Screen, area: Rect, buf: &mut Buffer) {
    let t = screen.theme;
    let Some(desk) = screen.ui.incident.as_deref() else {
        let lines = vec![
            Line::styled(" No incident open.", t.style("title")),
            Line::raw(""),
            Line::raw(" Declare one from an alert: select it in Alerts (6) and press I."),
            Line::raw(" Declare one by hand: :declare TITLE"),
            Line::raw(" Resume one: :resume ID   (pilothouse incident list shows them)"),
        ];
        Paragraph::new(lines).render(area, buf);
        return;
    };
    let [header, body] = Layout::vertical([Constraint::Length(3), Constraint::Fill(1)]).areas(area);
    render_header(screen, desk, header, buf);
    match desk.pane {
        DeskPane::Timeline => render_timeline(screen, desk, body, buf),
        DeskPane::Runbook => render_runbook(screen, desk, body, buf),
    }
    if let Some(picker) = &desk.attach {
        dialogs::render_picker(t, picker, area, buf);
    }
}

fn severity_style(t: &Theme, severity: crate::incident::Severity) -> Style {
    match severity {
        crate::incident::Severity::P0 | crate::incident::Severity::P1 => t.style("status.critical"),
        crate::incident::Severity::P2 => t.style("status.warning"),
        crate::incident::Severity::P3 => t.style("status.unknown"),
    }
}

fn render_header(screen: &Screen, desk: &IncidentDesk, area: Rect, buf: &mut Buffer) {
    let t = screen.theme;
    let inc = &desk.incident;
    let now = screen.ui.now;
    let mut first = vec![
        Span::styled(
            format!(" {} ", inc.severity),
            severity_style(t, inc.severity),
        ),
        Span::styled(format!(" {} ", inc.status.label()), t.style("title")),
        Span::styled(inc.title.clone(), t.style("title")),
    ];
    if let Some(error) = &desk.save_error {
        first.push(Span::styled(
            format!("  ✗ {error}"),
            t.style("status.critical"),
        ));
    }
    let second = Line::from(vec![
        Span::styled(format!(" {}", inc.id), t.style("table.dim")),
        Span::raw(format!(
            " · commander {} · {} for {} · respond {} ({})",
            inc.commander,
            inc.status.label(),
            match inc.resolved_at {
                Some(_) => duration_text(inc.duration(now)),
                // An age, so an idle screen redraws when it changes and only then.
                None => crate::ui::format::age(Some(inc.declared_at), now),
            },
            inc.severity.respond_within_text(),
            inc.severity.meaning(),
        )),
    ]);
    let mut tabs = vec![Span::raw(" runbooks: ")];
    if inc.runbooks.is_empty() {
        tabs.push(Span::styled(
            "none attached — a attaches one",
            t.style("table.dim"),
        ));
    }
    for (i, progress) in inc.runbooks.iter().enumerate() {
        let (settled, total) = progress.settled();
        let complete = desk
            .runbooks
            .get(i)
            .and_then(Option::as_ref)
            .is_some_and(|r| walk(r, progress).is_complete());
        let mark = if complete { " ✓" } else { "" };
        let text = format!(" {} {settled}/{total}{mark} ", progress.runbook_id);
        let style = if i == desk.selected_runbook {
            t.style("tabs.active")
        } else {
            t.style("tabs")
        };
        tabs.push(Span::styled(text, style));
    }
    if inc.runbooks.len() > 1 {
        tabs.push(Span::styled("  (R: next runbook)", t.style("table.dim")));
    }
    let lines = vec![Line::from(first), second, Line::from(tabs)];
    Paragraph::new(lines).render(area, buf);
}

/// A step's mark and style in the list.
fn step_mark(t: &Theme, status: &StepStatus, current: bool) -> (&'static str, Style) {
    match status {
        _ if current => ("▶", t.style("status.progressing")),
        StepStatus::Done => ("✓", t.style("status.ok")),
        StepStatus::Skipped { .. } => ("↷", t.style("table.dim")),
        StepStatus::Failed { .. } => ("✗", t.style("status.critical")),
        StepStatus::InProgress => ("…", t.style("status.progressing")),
        StepStatus::Pending => ("·", t.style("table.dim")),
    }
}

fn render_runbook(screen: &Screen, desk: &IncidentDesk, area: Rect, buf: &mut Buffer) {
    let t = screen.theme;
    let Some((runbook, progress)) = desk.shown() else {
        let text = match desk.incident.runbooks.get(desk.selected_runbook) {
            Some(p) => format!(
                " Runbook `{}` is no longer in the library; its progress is kept ({} of {} settled). The timeline (t) shows what happened.",
                p.runbook_id,
                p.settled().0,
                p.settled().1
            ),
            None => " No runbook attached: a attaches one (suggested first); t shows the timeline; n adds a note.".to_string(),
        };
        Paragraph::new(Line::styled(text, t.style("table.dim")))
            .wrap(Wrap { trim: false })
            .render(area, buf);
        return;
    };
    let walked = walk(runbook, progress);
    let [list, right] =
        Layout::horizontal([Constraint::Percentage(38), Constraint::Fill(1)]).areas(area);
    // The steps, with status; those on a branch not taken are dimmed.
    let mut lines = Vec::new();
    for (i, step) in runbook.steps.iter().enumerate() {
        let status = progress
            .step(&step.id)
            .map_or(StepStatus::Pending, |s| s.status.clone());
        let current = walked.current == Some(i);
        let (mark, style) = step_mark(t, &status, current);
        let title_style = if current {
            t.style("table.selected")
        } else if !walked.passed(i) && status == StepStatus::Pending {
            t.style("table.dim")
        } else {
            Style::default()
        };
        let mut spans = vec![
            Span::styled(format!(" {mark} "), style),
            Span::styled(
                format!("{:<9}", step.body.kind_name()),
                t.style("table.dim"),
            ),
            Span::styled(fill(&step.title, &progress.params), title_style),
        ];
        if let Some(reason) = status.reason() {
            spans.push(Span::styled(format!(" — {reason}"), style));
        }
        lines.push(Line::from(spans));
    }
    let (settled, total) = progress.settled();
    let footer = if walked.is_complete() {
        format!(" complete · {settled}/{total} settled")
    } else {
        format!(" {settled}/{total} settled")
    };
    lines.push(Line::styled(footer, t.style("table.dim")));
    // One row per step, cut at the column's edge: the list must keep its shape.
    Paragraph::new(lines)
        .block(
            Block::default()
                .borders(Borders::RIGHT)
                .border_style(t.style("border")),
        )
        .render(list, buf);

    let observed = observed_step(runbook, progress);
    let (detail, beside) = match observed {
        // Beside the detail only when both get enough rows; `o` opens it in full anyway.
        Some(_) if right.height >= 20 => {
            let [d, b] =
                Layout::vertical([Constraint::Percentage(50), Constraint::Fill(1)]).areas(right);
            (d, Some(b))
        }
        _ => (right, None),
    };
    render_detail(screen, desk, runbook, progress, walked.current, detail, buf);
    if let (Some(index), Some(area)) = (observed, beside) {
        observe::render(screen, runbook, progress, index, area, buf);
    }
}

fn render_detail(
    screen: &Screen,
    desk: &IncidentDesk,
    runbook: &Runbook,
    progress: &RunbookProgress,
    current: Option<usize>,
    area: Rect,
    buf: &mut Buffer,
) {
    let t = screen.theme;
    let params = &progress.params;
    let area = Rect {
        x: area.x + 1,
        width: area.width.saturating_sub(1),
        ..area
    };
    let Some(index) = current else {
        let lines = vec![
            Line::styled(format!("{} — complete", runbook.title), t.style("title")),
            Line::raw(""),
            Line::raw("Every step on the way is done or skipped."),
            Line::raw(
                "a attaches another runbook · E writes the postmortem · :resolve ends the incident",
            ),
        ];
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(area, buf);
        return;
    };
    let step = &runbook.steps[index];
    let state = progress.step(&step.id);
    let status = state.map_or(StepStatus::Pending, |s| s.status.clone());
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!("Step {} of {}: ", index + 1, runbook.steps.len()),
            t.style("table.dim"),
        ),
        Span::styled(fill(&step.title, params), t.style("title")),
        Span::styled(
            format!("  [{} · {}]", step.body.kind_name(), status.describe()),
            t.style("table.dim"),
        ),
    ])];
    lines.push(Line::raw(""));
    let cursor = desk.item;
    let hint: &str = match &step.body {
        StepBody::Check { items } => {
            for (i, item) in items.iter().enumerate() {
                let text = fill(item, params);
                let ticked = state.is_some_and(|s| s.ticked.contains(&text));
                let mark = if ticked { "[x]" } else { "[ ]" };
                let style = if i == cursor.min(items.len().saturating_sub(1)) {
                    t.style("table.selected")
                } else {
                    Style::default()
                };
                lines.push(Line::styled(format!("{mark} {text}"), style));
            }
            "↑↓ item · space tick · enter done (all ticked) · s skip"
        }
        StepBody::Action {
            command,
            confirm_note,
        } => {
            lines.push(Line::from(vec![
                Span::raw("Runs: "),
                Span::styled(command.render(params), t.style("help.key")),
            ]));
            if let Some(note) = confirm_note {
                lines.push(Line::raw(""));
                lines.push(Line::raw(fill(note, params)));
            }
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "Plan → confirm → execute → verify, audited like any operation.",
                t.style("table.dim"),
            ));
            if matches!(status, StepStatus::Failed { .. }) {
                "r retry · s skip"
            } else {
                "enter plan and confirm · s skip"
            }
        }
        StepBody::Observe {
            view,
            target,
            filter,
        } => {
            let target = target
                .as_ref()
                .map(|t| t.render(params))
                .unwrap_or_default();
            lines.push(Line::raw(
                format!("Opens the {view:?} view of {target}").to_lowercase(),
            ));
            if let Some(filter) = filter {
                lines.push(Line::raw(format!("filtered by: {}", filter.render(params))));
            }
            "enter open beside and go on · o open in full · s skip"
        }
        StepBody::Wait { until, timeout } => {
            let _ = until;
            // Ages register with the loop: a screen showing a wait redraws (and the app
            // re-evaluates the timeout) as the wait's age changes, not more often.
            let waited = state
                .and_then(|s| s.changed_at)
                .filter(|_| status == StepStatus::InProgress)
                .map(|at| crate::ui::format::age(Some(at), screen.ui.now));
            lines.push(Line::raw(format!(
                "Until: {}",
                runbook_wait_text(step, params)
            )));
            lines.push(Line::raw(format!(
                "Timeout: {}{}",
                duration_text(jiff::SignedDuration::try_from(*timeout).unwrap_or_default()),
                waited
                    .map(|w| format!(" (waiting {w})"))
                    .unwrap_or_default()
            )));
            let (text, style) = match &desk.condition {
                Some(ConditionState::Holds) => ("holds".to_string(), t.style("status.ok")),
                Some(ConditionState::NotYet(why)) => {
                    (format!("not yet: {why}"), t.style("status.progressing"))
                }
                Some(ConditionState::Unknown(why)) => {
                    (format!("unknown: {why}"), t.style("status.warning"))
                }
                None => ("not evaluated yet".to_string(), t.style("table.dim")),
            };
            lines.push(Line::styled(format!("Now: {text}"), style));
            "evaluated live · s skip · r restart the wait"
        }
        StepBody::Decision { question, options } => {
            lines.push(Line::raw(fill(question, params)));
            lines.push(Line::raw(""));
            let answer = state.and_then(|s| s.answer.clone());
            for (i, option) in options.iter().enumerate() {
                let chosen = answer.as_deref() == Some(option.label.as_str());
                let style = if i == cursor.min(options.len().saturating_sub(1)) {
                    t.style("table.selected")
                } else {
                    Style::default()
                };
                let mark = if chosen { "●" } else { "○" };
                lines.push(Line::styled(
                    format!("{mark} {}  → {}", option.label, option.next),
                    style,
                ));
            }
            "↑↓ choose · enter answer · s skip"
        }
        StepBody::Note { text } => {
            lines.extend(crate::runbook::render_markdown(&fill(text, params)));
            "enter done · s skip"
        }
    };
    lines.push(Line::raw(""));
    lines.push(Line::styled(hint, t.style("table.dim")));
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(area, buf);
}

/// A wait step's condition as the runbook wrote it, placeholders filled.
fn runbook_wait_text(step: &crate::runbook::Step, params: &crate::runbook::Params) -> String {
    match &step.body {
        StepBody::Wait { until, .. } => fill(&until.to_string(), params),
        _ => String::new(),
    }
}

fn render_timeline(screen: &Screen, desk: &IncidentDesk, area: Rect, buf: &mut Buffer) {
    let t = screen.theme;
    let filter: &TimelineFilter = &desk.timeline_filter;
    let entries = timeline(&desk.incident, filter);
    let kinds = if filter.kinds.is_empty() {
        "all kinds".to_string()
    } else {
        filter
            .kinds
            .iter()
            .map(|k| k.label())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let text = filter
        .text
        .as_deref()
        .map(|t| format!(" · matching “{t}”"))
        .unwrap_or_default();
    let title = Line::styled(
        format!(
            " Timeline: {} of {} entries · {kinds}{text}   (f kind · / text · t runbook)",
            entries.len(),
            desk.incident.timeline.len()
        ),
        t.style("title"),
    );
    let rows = area.height.saturating_sub(1) as usize;
    // Newest at the bottom, scrolled up from there.
    let end = entries
        .len()
        .saturating_sub(desk.timeline_scroll.min(entries.len()));
    let start = end.saturating_sub(rows);
    let mut lines = vec![title];
    for entry in &entries[start..end] {
        let style = match entry.kind {
            crate::incident::EntryKind::AlertFiring => t.style("status.critical"),
            crate::incident::EntryKind::AlertResolved => t.style("status.ok"),
            crate::incident::EntryKind::Operation => t.style("help.key"),
            crate::incident::EntryKind::Note => t.style("help.section"),
            _ => Style::default(),
        };
        let local = entry.at.to_zoned(jiff::tz::TimeZone::UTC);
        lines.push(Line::from(vec![
            Span::styled(
                format!(" {} ", local.strftime("%H:%M:%S")),
                t.style("table.dim"),
            ),
            Span::styled(format!("{:<14}", entry.kind.label()), style),
            Span::raw(entry.text.replace('\n', " ⏎ ")),
            Span::styled(
                entry
                    .author
                    .as_deref()
                    .map(|a| format!("  — {a}"))
                    .unwrap_or_default(),
                t.style("table.dim"),
            ),
        ]));
    }
    Clear.render(area, buf);
    Paragraph::new(lines).render(area, buf);
}
