//! The little Markdown a runbook's notes and descriptions use, as styled lines: headings,
//! `**bold**`, `` `code` ``, bullet and numbered lists. Anything else is shown as written —
//! a note must never disappear because it used syntax we do not render.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

/// The styles Markdown is drawn in. The defaults use modifiers only, so they read in every
/// theme including `mono`; the console may build one from its theme instead.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarkdownStyles {
    pub heading: Style,
    pub bold: Style,
    pub code: Style,
    pub bullet: Style,
}

impl Default for MarkdownStyles {
    fn default() -> Self {
        MarkdownStyles {
            heading: Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            bold: Style::new().add_modifier(Modifier::BOLD),
            code: Style::new().add_modifier(Modifier::REVERSED),
            bullet: Style::new().add_modifier(Modifier::BOLD),
        }
    }
}

/// `text` as lines in the default styles.
pub fn render_markdown(text: &str) -> Vec<Line<'static>> {
    render_markdown_styled(text, &MarkdownStyles::default())
}

/// `text` as lines in `styles`.
pub fn render_markdown_styled(text: &str, styles: &MarkdownStyles) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let mut in_fence = false;
    for raw in text.lines() {
        let trimmed = raw.trim_start();
        if trimmed.starts_with("```") {
            // Fenced code: the fence lines go, the contents stay verbatim, in code style.
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            out.push(Line::from(Span::styled(raw.to_string(), styles.code)));
            continue;
        }
        if let Some(heading) = heading_text(trimmed) {
            out.push(Line::from(inline(heading, styles, styles.heading)));
            continue;
        }
        let indent = &raw[..raw.len() - trimmed.len()];
        if let Some(item) = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "))
            .or_else(|| trimmed.strip_prefix("+ "))
        {
            let mut spans = vec![
                Span::raw(indent.to_string()),
                Span::styled("• ", styles.bullet),
            ];
            spans.extend(inline(item, styles, Style::new()));
            out.push(Line::from(spans));
            continue;
        }
        if let Some((number, item)) = numbered(trimmed) {
            let mut spans = vec![
                Span::raw(indent.to_string()),
                Span::styled(format!("{number}. "), styles.bullet),
            ];
            spans.extend(inline(item, styles, Style::new()));
            out.push(Line::from(spans));
            continue;
        }
        out.push(Line::from(inline(raw, styles, Style::new())));
    }
    out
}

/// `# Title` → `Title` (levels 1–6).
fn heading_text(line: &str) -> Option<&str> {
    let hashes = line.chars().take_while(|c| *c == '#').count();
    if (1..=6).contains(&hashes) {
        line[hashes..].strip_prefix(' ').map(str::trim)
    } else {
        None
    }
}

/// `3. text` → (3, text).
fn numbered(line: &str) -> Option<(u32, &str)> {
    let (digits, rest) = line.split_once(". ")?;
    let number = digits.parse().ok().filter(|_| digits.len() <= 3)?;
    Some((number, rest))
}

/// Spans for `**bold**` and `` `code` `` within one line, on top of `base`. An unclosed
/// marker is literal text.
fn inline(text: &str, styles: &MarkdownStyles, base: Style) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('`')
            && let Some(end) = after.find('`')
        {
            flush(&mut plain, &mut spans, base);
            spans.push(Span::styled(
                after[..end].to_string(),
                base.patch(styles.code),
            ));
            rest = &after[end + 1..];
            continue;
        }
        if let Some(after) = rest.strip_prefix("**")
            && let Some(end) = after.find("**")
            && end > 0
        {
            flush(&mut plain, &mut spans, base);
            // Code inside bold keeps its code style.
            for span in inline(&after[..end], styles, base.patch(styles.bold)) {
                spans.push(span);
            }
            rest = &after[end + 2..];
            continue;
        }
        let c = rest.chars().next().unwrap_or_default();
        plain.push(c);
        rest = &rest[c.len_utf8()..];
    }
    flush(&mut plain, &mut spans, base);
    spans
}

fn flush(plain: &mut String, spans: &mut Vec<Span<'static>>, style: Style) {
    if !plain.is_empty() {
        spans.push(Span::styled(std::mem::take(plain), style));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(line: &Line) -> Vec<(String, Style)> {
        line.spans
            .iter()
            .map(|s| (s.content.to_string(), s.style))
            .collect()
    }

    #[test]
    fn headings_bold_code_and_lists_are_styled() {
        let s = MarkdownStyles::default();
        let lines = render_markdown(
            "## Fail over\nRun **only** after `pg_isready` fails.\n- one\n  * two\n3. three\n```\nkubectl get pods\n```",
        );
        assert_eq!(texts(&lines[0]), [("Fail over".to_string(), s.heading)]);
        assert_eq!(
            texts(&lines[1]),
            [
                ("Run ".to_string(), Style::new()),
                ("only".to_string(), s.bold),
                (" after ".to_string(), Style::new()),
                ("pg_isready".to_string(), s.code),
                (" fails.".to_string(), Style::new()),
            ]
        );
        assert_eq!(lines[2].to_string(), "• one");
        assert_eq!(lines[3].to_string(), "  • two");
        assert_eq!(lines[4].to_string(), "3. three");
        assert_eq!(texts(&lines[5]), [("kubectl get pods".to_string(), s.code)]);
        assert_eq!(lines.len(), 6);
    }

    #[test]
    fn unclosed_markers_are_plain_text() {
        let lines = render_markdown("a ` b ** c #not-a-heading");
        assert_eq!(lines[0].to_string(), "a ` b ** c #not-a-heading");
        assert_eq!(lines[0].spans.len(), 1);
    }
}
