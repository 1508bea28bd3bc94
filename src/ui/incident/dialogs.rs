//! The incident dialogs: declaring an incident, writing a note, choosing a runbook.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use super::super::Screen;
use super::super::overlays::centered;
use super::state::{DeclareDialog, DeclareField, NoteEditor, RunbookPicker};
use crate::config::theme::Theme;
use crate::incident::Severity;

fn frame<'a>(t: &Theme, title: &'a str) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(t.style("border.focused"))
        .title(Span::styled(title, t.style("dialog.title")))
        .style(t.style("dialog"))
}

/// The label of a field, highlighted when it has the keys.
fn label(t: &Theme, text: &str, focused: bool) -> Span<'static> {
    let style = if focused {
        t.style("dialog.button.selected")
    } else {
        t.style("help.key")
    };
    Span::styled(format!("{text:<10}"), style)
}

fn text_of(area: &ratatui_textarea::TextArea, focused: bool) -> String {
    let text = area.lines().join(" ");
    if focused { format!("{text}▏") } else { text }
}

/// The declare dialog.
pub fn render_declare(screen: &Screen, dialog: &DeclareDialog, area: Rect, buf: &mut Buffer) {
    let t = screen.theme;
    let f = dialog.field;
    let mut lines = Vec::new();
    if let Some(alert) = &dialog.alert {
        lines.push(Line::styled(
            format!("From alert {} ({})", alert.name(), alert.severity().label()),
            t.style("table.dim"),
        ));
        lines.push(Line::raw(""));
    }
    lines.push(Line::from(vec![
        label(t, "Title", f == DeclareField::Title),
        Span::raw(text_of(&dialog.title, f == DeclareField::Title)),
    ]));
    lines.push(Line::raw(""));
    lines.push(Line::from(label(
        t,
        "Severity",
        f == DeclareField::Severity,
    )));
    for severity in Severity::ALL {
        let chosen = severity == dialog.severity;
        let mark = if chosen { "●" } else { "○" };
        let style = if chosen {
            t.style("table.selected")
        } else {
            Style::default()
        };
        lines.push(Line::styled(
            format!(
                "  {mark} {severity}  {:<44} respond {}",
                severity.meaning(),
                severity.respond_within_text()
            ),
            style,
        ));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        label(t, "Commander", f == DeclareField::Commander),
        Span::raw(text_of(&dialog.commander, f == DeclareField::Commander)),
    ]));
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        label(t, "Runbooks", f == DeclareField::Runbooks),
        Span::styled(
            "★ suggested for this alert and severity",
            t.style("table.dim"),
        ),
    ]));
    let mut tail = vec![Line::raw("")];
    if let Some(hint) = &dialog.hint {
        tail.push(Line::styled(hint.clone(), t.style("prompt.error")));
    }
    tail.push(Line::styled(
        "tab field · ↑↓/0-3 severity · space choose runbook · enter declare · esc cancel",
        t.style("table.dim"),
    ));
    // As many runbooks as fit around the selected one; the keys line always shows.
    let room = (area.height as usize)
        .saturating_sub(2 + lines.len() + tail.len())
        .max(1);
    let start = dialog.selected.saturating_sub(room - 1);
    for (i, (id, title, chosen)) in dialog.runbooks.iter().enumerate().skip(start).take(room) {
        let mark = if *chosen { "[x]" } else { "[ ]" };
        let style = if f == DeclareField::Runbooks && i == dialog.selected {
            t.style("table.selected")
        } else {
            Style::default()
        };
        let (title, star) = match title.strip_suffix(" (suggested)") {
            Some(bare) => (bare, "★"),
            None => (title.as_str(), " "),
        };
        lines.push(Line::styled(
            format!("  {mark} {star} {id:<20} {title}"),
            style,
        ));
    }
    lines.extend(tail);
    let height = lines.len() as u16 + 2;
    let popup = centered(area, 96, height);
    Clear.render(popup, buf);
    // Rows are cut at the edge rather than wrapped, so the height computed is the height.
    Paragraph::new(lines)
        .block(frame(t, " Declare an incident "))
        .render(popup, buf);
}

/// The note editor.
pub fn render_note(screen: &Screen, editor: &NoteEditor, area: Rect, buf: &mut Buffer) {
    let t = screen.theme;
    let popup = centered(area, 80, 10);
    Clear.render(popup, buf);
    let block = frame(
        t,
        " Note — enter saves, alt-enter new line, esc cancels (stamped with time and you) ",
    );
    let inner = block.inner(popup);
    block.render(popup, buf);
    editor.text.render(inner, buf);
}

/// The runbook picker of `a`.
pub fn render_picker(t: &Theme, picker: &RunbookPicker, area: Rect, buf: &mut Buffer) {
    let mut lines = Vec::new();
    for (i, (id, title, suggested)) in picker.choices.iter().enumerate() {
        let style = if i == picker.selected {
            t.style("table.selected")
        } else if *suggested {
            Style::default()
        } else {
            t.style("table.dim")
        };
        lines.push(Line::styled(format!(" {id:<22} {title}"), style));
    }
    if lines.is_empty() {
        lines.push(Line::styled(
            " every runbook is attached already",
            t.style("table.dim"),
        ));
    }
    let popup = centered(area, 90, lines.len() as u16 + 2);
    Clear.render(popup, buf);
    Paragraph::new(lines)
        .block(frame(t, " Attach a runbook — enter attaches, esc closes "))
        .render(popup, buf);
}
