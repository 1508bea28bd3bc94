//! SGR color sequences in stored log text: parsed into ratatui styles for drawing, and
//! stripped for matching.
//!
//! The sanitizer guarantees the only escape sequences in stored text are
//! `ESC [ params m` with params of digits, `;` and `:`, so this parser need not handle
//! anything else; anything unexpected (a sequence cut by display truncation) is dropped.

use ratatui::style::{Color, Modifier, Style};

const ESC: u8 = 0x1b;

/// Appends `text` without its SGR sequences to `out`.
pub fn strip_sgr_into(text: &[u8], out: &mut Vec<u8>) {
    let mut rest = text;
    while let Some(esc) = rest.iter().position(|&b| b == ESC) {
        out.extend_from_slice(&rest[..esc]);
        rest = &rest[esc..];
        rest = match rest.iter().position(|&b| b == b'm') {
            Some(end) => &rest[end + 1..],
            None => &[],
        };
    }
    out.extend_from_slice(rest);
}

/// `text` without SGR sequences.
pub fn strip_sgr(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    strip_sgr_into(text.as_bytes(), &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// One run of text in one style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StyledText<'a> {
    pub style: Style,
    pub text: &'a str,
}

/// Splits `text` into styled runs. `base` is the style of uncolored text and what SGR 0
/// (reset) returns to, so a stderr line stays recognisable after a reset.
pub fn styled_runs(text: &str, base: Style) -> Vec<StyledText<'_>> {
    let mut runs = Vec::new();
    let mut style = base;
    let mut rest = text;
    while let Some(esc) = rest.find('\x1b') {
        if esc > 0 {
            runs.push(StyledText {
                style,
                text: &rest[..esc],
            });
        }
        let after = &rest[esc + 1..];
        match after.find('m') {
            Some(end) => {
                let params = after.get(1..end).unwrap_or("");
                style = apply_sgr(style, base, params);
                rest = &after[end + 1..];
            }
            None => rest = "",
        }
    }
    if !rest.is_empty() {
        runs.push(StyledText { style, text: rest });
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
        let code = parts.next().and_then(|p| p.parse::<u16>().ok()).unwrap_or(0);
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

    fn runs(text: &str) -> Vec<(Style, &str)> {
        styled_runs(text, Style::default())
            .into_iter()
            .map(|r| (r.style, r.text))
            .collect()
    }

    #[test]
    fn strips_sgr_for_matching() {
        assert_eq!(strip_sgr("\x1b[1;31mERROR\x1b[0m: disk"), "ERROR: disk");
        assert_eq!(strip_sgr("plain"), "plain");
        assert_eq!(strip_sgr("cut \x1b[3"), "cut ");
    }

    #[test]
    fn basic_colors_and_reset() {
        let red = Style::default().fg(Color::Red);
        assert_eq!(
            runs("a\x1b[31mb\x1b[0mc"),
            vec![(Style::default(), "a"), (red, "b"), (Style::default(), "c")]
        );
        assert_eq!(runs("\x1b[91mx")[0].0, Style::default().fg(Color::LightRed));
        assert_eq!(runs("\x1b[44mx")[0].0, Style::default().bg(Color::Blue));
        assert_eq!(runs("\x1b[31m\x1b[39mx")[0].0, Style::default());
        assert_eq!(runs("\x1b[31m\x1b[mx")[0].0, Style::default());
    }

    #[test]
    fn indexed_and_truecolor() {
        assert_eq!(runs("\x1b[38;5;208mx")[0].0, Style::default().fg(Color::Indexed(208)));
        assert_eq!(
            runs("\x1b[48;2;1;2;3mx")[0].0,
            Style::default().bg(Color::Rgb(1, 2, 3))
        );
        assert_eq!(
            runs("\x1b[38:2::10:20:30mx")[0].0,
            Style::default().fg(Color::Rgb(10, 20, 30))
        );
        assert_eq!(runs("\x1b[38:5:9mx")[0].0, Style::default().fg(Color::Indexed(9)));
        // Parameters after an extended color still apply.
        assert_eq!(
            runs("\x1b[38;5;1;1mx")[0].0,
            Style::default().fg(Color::Indexed(1)).add_modifier(Modifier::BOLD)
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
        let runs = styled_runs("\x1b[32mok\x1b[0m err", base);
        assert_eq!(runs[1].style, base);
    }
}
