//! The SGR colors the sanitizer keeps: stored as compact records beside the text, and
//! turned into ratatui styles for drawing.
//!
//! A line's colors are a list of records, one per kept `ESC [ params m`:
//! `[offset: u32 LE][len: u8][params: len bytes]`, where `offset` is the byte position in
//! the line's text where the sequence stood. Keeping them out of the text means filters
//! and searches see exactly what the user reads (and no escape can be matched, or split
//! a match), and a line without colors costs nothing extra.

use ratatui::style::{Color, Modifier, Style};

/// Bytes of a record before its parameters.
pub const RECORD_HEADER: usize = 5;

/// Starts a record at `offset` in the line's text; its parameters are pushed after it.
pub fn push_record(colors: &mut Vec<u8>, offset: usize) {
    // Lines are capped far below 4 GiB (store::MAX_LINE_BYTES).
    let offset = u32::try_from(offset).unwrap_or(u32::MAX);
    colors.extend_from_slice(&offset.to_le_bytes());
    colors.push(0);
}

/// Completes the record started at `start` (sets its parameter length; the sanitizer
/// caps parameters far below 255 bytes).
pub fn finish_record(colors: &mut [u8], start: usize) {
    let len = colors.len().saturating_sub(start + RECORD_HEADER);
    if let Some(byte) = colors.get_mut(start + 4) {
        *byte = u8::try_from(len).unwrap_or(u8::MAX);
    }
}

/// The records of a line: (offset in the text, parameters such as `1;31`).
pub fn records(colors: &[u8]) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = colors;
    std::iter::from_fn(move || {
        let header = rest.get(..RECORD_HEADER)?;
        let offset = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
        let end = RECORD_HEADER + usize::from(header[4]);
        let params = rest.get(RECORD_HEADER..end)?;
        rest = &rest[end..];
        // The sanitizer only records ASCII digits, `;` and `:`.
        Some((offset as usize, std::str::from_utf8(params).unwrap_or("")))
    })
}

/// `text` with its colors written back inline as `ESC [ params m` (for tests and export;
/// never for drawing).
pub fn with_escapes(text: &str, colors: &[u8]) -> String {
    let mut out = String::with_capacity(text.len() + colors.len());
    let mut done = 0;
    for (offset, params) in records(colors) {
        let offset = offset.clamp(done, text.len());
        out.push_str(text.get(done..offset).unwrap_or(""));
        out.push_str("\x1b[");
        out.push_str(params);
        out.push('m');
        done = offset;
    }
    out.push_str(text.get(done..).unwrap_or(""));
    out
}

/// One run of text in one style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StyledText<'a> {
    /// The style in force over `text`.
    pub style: Style,
    /// A piece of the line's text.
    pub text: &'a str,
}

/// Splits `text` into styled runs by its color records. `base` is the style of uncolored
/// text and what SGR 0 (reset) returns to, so a stderr line stays recognisable after a
/// reset. Records past the end of `text` (cut for display) are ignored.
pub fn styled_runs<'a>(text: &'a str, colors: &[u8], base: Style) -> Vec<StyledText<'a>> {
    let mut runs = Vec::new();
    let mut style = base;
    let mut done = 0;
    for (offset, params) in records(colors) {
        if offset > text.len() {
            break;
        }
        // Offsets were taken between characters; `get` guards that anyway.
        if offset > done
            && let Some(piece) = text.get(done..offset)
        {
            runs.push(StyledText { style, text: piece });
            done = offset;
        }
        style = apply_sgr(style, base, params);
    }
    if done < text.len() {
        runs.push(StyledText {
            style,
            text: &text[done..],
        });
    }
    runs
}

/// Applies one SGR parameter string (`1;38;5;208`) to `style`.
fn apply_sgr(mut style: Style, base: Style, params: &str) -> Style {
    if params.is_empty() {
        return base;
    }
    let mut groups = params.split(';');
    while let Some(group) = groups.next() {
        // Colon sub-parameters (`38:2::255:0:0`, `4:3`) arrive in one group.
        let mut parts = group.split(':');
        let code = parts
            .next()
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or(0);
        match code {
            0 => style = base,
            1 => style = style.add_modifier(Modifier::BOLD),
            2 => style = style.add_modifier(Modifier::DIM),
            3 => style = style.add_modifier(Modifier::ITALIC),
            4 => {
                // `4:0` means "no underline".
                if parts.next() == Some("0") {
                    style = style.remove_modifier(Modifier::UNDERLINED);
                } else {
                    style = style.add_modifier(Modifier::UNDERLINED);
                }
            }
            7 => style = style.add_modifier(Modifier::REVERSED),
            9 => style = style.add_modifier(Modifier::CROSSED_OUT),
            21 => style = style.add_modifier(Modifier::UNDERLINED),
            22 => style = style.remove_modifier(Modifier::BOLD | Modifier::DIM),
            23 => style = style.remove_modifier(Modifier::ITALIC),
            24 => style = style.remove_modifier(Modifier::UNDERLINED),
            27 => style = style.remove_modifier(Modifier::REVERSED),
            29 => style = style.remove_modifier(Modifier::CROSSED_OUT),
            30..=37 => style.fg = Some(basic_color(code - 30)),
            39 => style.fg = base.fg,
            40..=47 => style.bg = Some(basic_color(code - 40)),
            49 => style.bg = base.bg,
            90..=97 => style.fg = Some(bright_color(code - 90)),
            100..=107 => style.bg = Some(bright_color(code - 100)),
            38 | 48 => {
                let color = if group.contains(':') {
                    extended_color(&mut parts, true)
                } else {
                    extended_color(&mut groups, false)
                };
                if let Some(color) = color {
                    if code == 38 {
                        style.fg = Some(color);
                    } else {
                        style.bg = Some(color);
                    }
                }
            }
            // Blink (5, 6) and conceal (8) are left out on purpose: a log line should
            // neither flash at the on-call engineer nor hide its text.
            _ => {}
        }
    }
    style
}

/// Reads `5;n` or `2;r;g;b` (or their colon forms, where `2` may be followed by an empty
/// color-space id: `2::r:g:b`).
fn extended_color<'a>(params: &mut impl Iterator<Item = &'a str>, colon: bool) -> Option<Color> {
    let number = |p: Option<&str>| p.and_then(|p| p.parse::<u8>().ok());
    match params.next()? {
        "5" => number(params.next()).map(Color::Indexed),
        "2" => {
            let mut first = params.next();
            if colon && first == Some("") {
                first = params.next();
            }
            let r = number(first)?;
            let g = number(params.next())?;
            let b = number(params.next())?;
            Some(Color::Rgb(r, g, b))
        }
        _ => None,
    }
}

fn basic_color(index: u16) -> Color {
    match index {
        0 => Color::Black,
        1 => Color::Red,
        2 => Color::Green,
        3 => Color::Yellow,
        4 => Color::Blue,
        5 => Color::Magenta,
        6 => Color::Cyan,
        _ => Color::Gray,
    }
}

fn bright_color(index: u16) -> Color {
    match index {
        0 => Color::DarkGray,
        1 => Color::LightRed,
        2 => Color::LightGreen,
        3 => Color::LightYellow,
        4 => Color::LightBlue,
        5 => Color::LightMagenta,
        6 => Color::LightCyan,
        _ => Color::White,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::sanitize::sanitize_into;

    /// Sanitizes `raw` and splits it into runs, as the store and view do.
    fn runs_of(raw: &str, base: Style) -> Vec<(Style, String)> {
        let (mut text, mut colors) = (Vec::new(), Vec::new());
        sanitize_into(raw.as_bytes(), &mut text, &mut colors);
        let text = String::from_utf8(text).unwrap();
        styled_runs(&text, &colors, base)
            .into_iter()
            .map(|r| (r.style, r.text.to_owned()))
            .collect()
    }

    fn runs(raw: &str) -> Vec<(Style, String)> {
        runs_of(raw, Style::default())
    }

    #[test]
    fn records_round_trip() {
        let mut colors = Vec::new();
        push_record(&mut colors, 3);
        colors.extend_from_slice(b"1;31");
        finish_record(&mut colors, 0);
        push_record(&mut colors, 7);
        finish_record(&mut colors, 9);
        let all: Vec<_> = records(&colors).collect();
        assert_eq!(all, vec![(3, "1;31"), (7, "")]);
        assert_eq!(
            with_escapes("abcdefgh", &colors),
            "abc\x1b[1;31mdefg\x1b[mh"
        );
    }

    #[test]
    fn basic_colors_and_reset() {
        let red = Style::default().fg(Color::Red);
        assert_eq!(
            runs("a\x1b[31mb\x1b[0mc"),
            vec![
                (Style::default(), "a".to_owned()),
                (red, "b".to_owned()),
                (Style::default(), "c".to_owned())
            ]
        );
        assert_eq!(runs("\x1b[91mx")[0].0, Style::default().fg(Color::LightRed));
        assert_eq!(runs("\x1b[44mx")[0].0, Style::default().bg(Color::Blue));
        assert_eq!(runs("\x1b[31m\x1b[39mx")[0].0, Style::default());
        assert_eq!(runs("\x1b[31m\x1b[mx")[0].0, Style::default());
    }

    #[test]
    fn indexed_and_truecolor() {
        assert_eq!(
            runs("\x1b[38;5;208mx")[0].0,
            Style::default().fg(Color::Indexed(208))
        );
        assert_eq!(
            runs("\x1b[48;2;1;2;3mx")[0].0,
            Style::default().bg(Color::Rgb(1, 2, 3))
        );
        assert_eq!(
            runs("\x1b[38:2::10:20:30mx")[0].0,
            Style::default().fg(Color::Rgb(10, 20, 30))
        );
        assert_eq!(
            runs("\x1b[38:5:9mx")[0].0,
            Style::default().fg(Color::Indexed(9))
        );
        // Parameters after an extended color still apply.
        assert_eq!(
            runs("\x1b[38;5;1;1mx")[0].0,
            Style::default()
                .fg(Color::Indexed(1))
                .add_modifier(Modifier::BOLD)
        );
    }

    #[test]
    fn modifiers() {
        let style = runs("\x1b[1;2;3;4;7mx")[0].0;
        assert_eq!(
            style,
            Style::default().add_modifier(
                Modifier::BOLD
                    | Modifier::DIM
                    | Modifier::ITALIC
                    | Modifier::UNDERLINED
                    | Modifier::REVERSED
            )
        );
        let cleared = runs("\x1b[1;2;3;4;7m\x1b[22;23;24;27mx")[0].0;
        assert_eq!(cleared.add_modifier, Modifier::empty());
    }

    #[test]
    fn reset_returns_to_the_base_style() {
        let base = Style::default().fg(Color::Red);
        let runs = runs_of("\x1b[32mok\x1b[0m err", base);
        assert_eq!(runs[1], (base, " err".to_owned()));
    }

    #[test]
    fn records_past_a_display_cut_are_ignored() {
        let (mut text, mut colors) = (Vec::new(), Vec::new());
        sanitize_into(b"abc\x1b[31mdef", &mut text, &mut colors);
        let runs = styled_runs("ab", &colors, Style::default());
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].text, "ab");
    }
}
