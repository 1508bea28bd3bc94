//! Things drawn over the view: help, configuration problems, palette suggestions.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use super::Screen;
use super::state::{Overlay, PromptKind};

pub fn render(screen: &Screen, area: Rect, buf: &mut Buffer) {
    if let Some(prompt) = &screen.ui.prompt
        && prompt.kind == PromptKind::Palette
    {
        render_palette(screen, area, buf);
    }
    if let Some(dialog) = &screen.ui.declare {
        super::incident::dialogs::render_declare(screen, dialog, area, buf);
    }
    if let Some(editor) = &screen.ui.note {
        super::incident::dialogs::render_note(screen, editor, area, buf);
    }
    if let Some(dialog) = &screen.ui.operation {
        super::confirm::render(screen, dialog, area, buf);
    }
    match &screen.ui.overlay {
        Some(Overlay::Help { scroll }) => render_help(screen, area, buf, *scroll),
        Some(Overlay::Problems) => render_problems(screen, area, buf),
        None => {}
    }
}

pub(crate) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    h
}

fn render_help(screen: &Screen, area: Rect, buf: &mut Buffer, scroll: u16) {
    let t = screen.theme;
    let mut lines = Vec::new();
    for section in &screen.chrome.help {
        if !lines.is_empty() {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(section.title.clone(), t.style("help.section")));
        for (keys, desc) in &section.entries {
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<14}"), t.style("help.key")),
                Span::styled(desc.clone(), t.style("help.desc")),
            ]));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Command palette (:): pods po deploy wl nodes ctr alerts events logs backups incident overview, ns NAME|all, ctx NAME|all, q",
        t.style("help.desc"),
    ));
    lines.push(Line::styled(
        "Operations (:): scale restart rollback backup delete cordon uncordon stop start silence expire",
        t.style("help.desc"),
    ));
    lines.push(Line::styled(
        "Incidents (:): declare TITLE, note TEXT, skip REASON, attach ID, param NAME VALUE, severity P0-P3, mitigate, resolve, reopen, resume ID, export",
        t.style("help.desc"),
    ));
    let popup = centered(area, 76, area.height.saturating_sub(4).max(10));
    // Never scroll past the last line, however often PageDown was pressed.
    let inner_height = popup.height.saturating_sub(2);
    let total = lines.len() as u16;
    let scroll = scroll.min(total.saturating_sub(inner_height));
    // Say when there is more below (or above), so no section is missed.
    let title = match (scroll > 0, scroll + inner_height < total) {
        (_, true) => " Help — esc closes, ↓ more below ",
        (true, false) => " Help — esc closes, ↑ more above ",
        (false, false) => " Help — esc closes ",
    };
    Clear.render(popup, buf);
    Paragraph::new(lines)
        .scroll((scroll, 0))
        .style(t.style("dialog"))
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.style("border.focused"))
                .title(Span::styled(title, t.style("dialog.title"))),
        )
        .render(popup, buf);
}

fn render_problems(screen: &Screen, area: Rect, buf: &mut Buffer) {
    let t = screen.theme;
    let mut lines = vec![
        Line::styled(
            "These files could not be used; built-in defaults are in effect:",
            t.style("dialog"),
        ),
        Line::raw(""),
    ];
    for problem in &screen.chrome.problems {
        lines.push(Line::styled(
            format!("• {problem}"),
            t.style("dialog.danger"),
        ));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("enter/esc: close", t.style("help.desc")));
    let height = (lines.len() as u16 + 6).min(area.height);
    let popup = centered(area, 78, height);
    Clear.render(popup, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .style(t.style("dialog"))
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.style("dialog.danger"))
                .title(Span::styled(
                    " Configuration problems ",
                    t.style("dialog.title"),
                )),
        )
        .render(popup, buf);
}

fn render_palette(screen: &Screen, area: Rect, buf: &mut Buffer) {
    let t = screen.theme;
    let Some(prompt) = &screen.ui.prompt else {
        return;
    };
    let suggestions = crate::app::palette::suggestions(&prompt.text(), screen.fleet);
    if suggestions.is_empty() {
        return;
    }
    let shown = suggestions.len().min(8) as u16;
    let width = 50.min(area.width);
    let popup = Rect {
        x: area.x,
        y: area.bottom().saturating_sub(shown + 3),
        width,
        height: shown + 2,
    };
    Clear.render(popup, buf);
    let lines: Vec<Line> = suggestions
        .iter()
        .take(8)
        .enumerate()
        .map(|(i, s)| {
            let style = if i == prompt.suggestion % suggestions.len().max(1) {
                t.style("palette.selected")
            } else {
                t.style("palette")
            };
            Line::from(vec![
                Span::styled(format!(" {:<16}", s.command), style),
                Span::styled(s.description.clone(), style),
            ])
        })
        .collect();
    Paragraph::new(lines)
        .style(t.style("palette"))
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.style("border.focused"))
                .title(Span::styled(
                    " commands — tab completes ",
                    t.style("dialog.title"),
                )),
        )
        .render(popup, buf);
}
