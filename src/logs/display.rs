//! Turning stored log lines into styled rows: colors, tabs, search highlights, huge-line
//! truncation, wrapping, stream labels and the numbers in the footer.
//!
//! Everything here works on one line at a time, so the view formats only what it shows.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

use super::matcher::LineMatcher;
use super::sgr::styled_runs;
use super::store::StreamKey;

/// Lines longer than this (in stored bytes) are drawn cut, with a marker saying how long
/// they were. The store keeps them whole.
pub const DISPLAY_LIMIT_BYTES: usize = 8 * 1024;

const TAB_WIDTH: usize = 8;

/// Styles used when formatting a line's text.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextStyles {
    /// Uncolored text (stdout or stderr); what SGR reset returns to.
    pub base: Style,
    /// Patched onto search matches.
    pub matched: Style,
    /// The "line truncated" marker.
    pub marker: Style,
}

/// The styled spans of one stored line (`text` and its color records): colors applied,
/// tabs expanded (stops every 8 columns from the start of the text), matches of
/// `highlight` patched with `styles.matched`, and lines past [`DISPLAY_LIMIT_BYTES`] cut
/// with a marker.
pub fn line_spans(
    text: &str,
    colors: &[u8],
    styles: TextStyles,
    highlight: Option<&LineMatcher>,
) -> Vec<Span<'static>> {
    let (shown, truncated) = if text.len() > DISPLAY_LIMIT_BYTES {
        (&text[..text.floor_char_boundary(DISPLAY_LIMIT_BYTES)], true)
    } else {
        (text, false)
    };
    let runs = styled_runs(shown, colors, styles.base);
    let ranges = highlight.map_or_else(Vec::new, |matcher| matcher.find_ranges(shown));

    let mut spans = Vec::with_capacity(runs.len() + 2 * ranges.len() + 1);
    let mut column = 0;
    let mut offset = 0; // in `shown`
    let mut next_range = ranges.iter().peekable();
    for run in runs {
        let mut rest = run.text;
        while !rest.is_empty() {
            // Skip ranges that end before this point.
            while next_range.next_if(|r| r.end <= offset).is_some() {}
            let (piece_len, matched) = match next_range.peek() {
                Some(r) if r.start <= offset => (rest.len().min(r.end - offset), true),
                Some(r) => (rest.len().min(r.start - offset), false),
                None => (rest.len(), false),
            };
            // Ranges come from a Unicode regex on this text, so they fall on character
            // boundaries; `get` guards the invariant anyway.
            let piece = rest.get(..piece_len).unwrap_or(rest);
            let style = if matched {
                run.style.patch(styles.matched)
            } else {
                run.style
            };
            spans.push(Span::styled(expand_tabs(piece, &mut column), style));
            offset += piece.len();
            rest = &rest[piece.len()..];
        }
    }
    if truncated {
        spans.push(Span::styled(
            format!(" … ({} line truncated)", format_bytes(text.len() as u64)),
            styles.marker,
        ));
    }
    spans
}

/// `piece` with tabs expanded to spaces; `column` is the display column where it starts
/// and is advanced past it.
fn expand_tabs(piece: &str, column: &mut usize) -> String {
    let mut out = String::with_capacity(piece.len());
    for c in piece.chars() {
        if c == '\t' {
            let spaces = TAB_WIDTH - *column % TAB_WIDTH;
            out.extend(std::iter::repeat_n(' ', spaces));
            *column += spaces;
        } else {
            out.push(c);
            *column += c.width().unwrap_or(0);
        }
    }
    out
}

/// Breaks `prefix` + `content` into rows of `width` columns. Continuation rows are
/// indented by the prefix's width so the text lines up under itself.
pub fn wrap_rows(
    prefix: Vec<Span<'static>>,
    content: Vec<Span<'static>>,
    width: usize,
) -> Vec<Line<'static>> {
    let indent: usize = prefix.iter().map(Span::width).sum();
    // With a prefix wider than the row, wrapping under it is impossible: no indent.
    let indent = if indent + 8 > width { 0 } else { indent };
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut row: Vec<Span<'static>> = prefix;
    let mut column = row.iter().map(Span::width).sum::<usize>();
    for span in content {
        let mut piece = String::new();
        for c in span.content.chars() {
            let w = c.width().unwrap_or(0);
            if column + w > width && column > indent {
                if !piece.is_empty() {
                    row.push(Span::styled(std::mem::take(&mut piece), span.style));
                }
                rows.push(Line::from(std::mem::take(&mut row)));
                if indent > 0 {
                    row.push(Span::raw(" ".repeat(indent)));
                }
                column = indent;
            }
            piece.push(c);
            column += w;
        }
        if !piece.is_empty() {
            row.push(Span::styled(piece, span.style));
        }
    }
    rows.push(Line::from(row));
    rows
}

/// A label of a previous instance's log says so.
fn previous_mark(label: String, previous: bool) -> String {
    if previous {
        format!("{label}~prev")
    } else {
        label
    }
}

/// Short labels telling apart the streams of one pane, in the same order: the part of
/// the identity that differs (container, pod, `pod/container`, or a Docker id's first 12
/// characters), at most `max_width` characters.
pub fn stream_labels(streams: &[StreamKey], max_width: usize) -> Vec<String> {
    let kube_parts: Vec<(&str, &str)> = streams
        .iter()
        .filter_map(|key| match key {
            StreamKey::Kube { pod, container, .. } => Some((pod.as_str(), container.as_str())),
            StreamKey::Docker { .. } => None,
        })
        .collect();
    let one_pod = kube_parts.windows(2).all(|w| w[0].0 == w[1].0);
    let one_container = kube_parts.windows(2).all(|w| w[0].1 == w[1].1);
    streams
        .iter()
        .map(|key| {
            let label = match key {
                StreamKey::Kube {
                    container,
                    previous,
                    ..
                } if one_pod => previous_mark(container.clone(), *previous),
                StreamKey::Kube { pod, previous, .. } if one_container => {
                    previous_mark(pod.clone(), *previous)
                }
                StreamKey::Kube {
                    pod,
                    container,
                    previous,
                    ..
                } => previous_mark(format!("{pod}/{container}"), *previous),
                StreamKey::Docker { id, .. } => id.chars().take(12).collect(),
            };
            truncate_label(&label, max_width)
        })
        .collect()
}

/// Keeps the end of a long label (pod names differ in their suffix), marked with `…`.
fn truncate_label(label: &str, max_width: usize) -> String {
    let count = label.chars().count();
    if count <= max_width || max_width == 0 {
        return label.to_owned();
    }
    let tail: String = label.chars().skip(count - (max_width - 1)).collect();
    format!("…{tail}")
}

/// `12345` → `12,345`.
pub fn format_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1468006` → `1.4 MiB`.
pub fn format_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::sanitize::sanitize_into;
    use ratatui::style::{Color, Modifier};

    fn text_of(spans: &[Span<'_>]) -> String {
        spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn numbers() {
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(12_345), "12,345");
        assert_eq!(format_count(1_234_567), "1,234,567");
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(1_468_006), "1.4 MiB");
        assert_eq!(format_bytes(10 * 1024 * 1024), "10.0 MiB");
    }

    #[test]
    fn tabs_expand_to_stops() {
        let spans = line_spans("a\tbc\td", &[], TextStyles::default(), None);
        assert_eq!(text_of(&spans), "a       bc      d");
    }

    #[test]
    fn colors_and_highlights_combine() {
        let matcher = LineMatcher::text("disk").unwrap();
        let styles = TextStyles {
            matched: Style::default().add_modifier(Modifier::REVERSED),
            ..TextStyles::default()
        };
        let (mut text, mut colors) = (Vec::new(), Vec::new());
        sanitize_into(b"\x1b[31mERROR\x1b[0m disk full", &mut text, &mut colors);
        let text = String::from_utf8(text).unwrap();
        let spans = line_spans(&text, &colors, styles, Some(&matcher));
        assert_eq!(text_of(&spans), "ERROR disk full");
        assert_eq!(spans[0].style.fg, Some(Color::Red));
        assert_eq!(spans[2].content, "disk");
        assert!(spans[2].style.add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn huge_lines_are_cut_with_a_marker() {
        let text = "x".repeat(10 * 1024 * 1024);
        let spans = line_spans(&text, &[], TextStyles::default(), None);
        let shown = text_of(&spans);
        assert!(shown.starts_with(&"x".repeat(DISPLAY_LIMIT_BYTES)));
        assert!(shown.ends_with(" … (10.0 MiB line truncated)"));
        assert!(shown.len() < DISPLAY_LIMIT_BYTES + 64);
    }

    #[test]
    fn wrapping_indents_under_the_prefix() {
        let rows = wrap_rows(
            vec![Span::raw("web ")],
            vec![Span::raw("abcdefghijklmnop")],
            12,
        );
        let rows: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
        assert_eq!(rows, vec!["web abcdefgh", "    ijklmnop"]);
    }

    #[test]
    fn labels_show_what_differs() {
        let kube = |pod: &str, container: &str| StreamKey::Kube {
            context: "c".into(),
            namespace: "n".into(),
            pod: pod.into(),
            container: container.into(),
            previous: false,
        };
        assert_eq!(
            stream_labels(&[kube("web-1", "app"), kube("web-1", "proxy")], 20),
            vec!["app", "proxy"]
        );
        assert_eq!(
            stream_labels(&[kube("web-1", "app"), kube("web-2", "app")], 20),
            vec!["web-1", "web-2"]
        );
        assert_eq!(
            stream_labels(
                &[kube("web-7d9f8-abcde", "app"), kube("web-2", "proxy")],
                10
            ),
            vec!["…abcde/app", "…b-2/proxy"]
        );
        let docker = StreamKey::Docker {
            host: "local".into(),
            id: "0123456789abcdef".into(),
        };
        assert_eq!(stream_labels(&[docker], 20), vec!["0123456789ab"]);
    }
}
