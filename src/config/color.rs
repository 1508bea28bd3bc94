//! Color notation in theme files, and degrading colors to what the terminal can show.

use ratatui::style::{Color, Modifier};

/// How many colors the terminal can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ColorDepth {
    /// The 16 ANSI colors (SGR 30–37, 90–97).
    Ansi16,
    /// The xterm 256-color palette.
    Ansi256,
    /// 24-bit RGB.
    TrueColor,
}

/// The environment variables that decide colors, captured once at start-up.
///
/// Kept as plain values so that the decision ([`ColorEnv::depth`]) is a pure function
/// that tests can drive without touching the process environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColorEnv {
    /// `COLORTERM`: `truecolor` or `24bit` announce 24-bit color.
    pub colorterm: Option<String>,
    /// `TERM`: `*-256color` announces 256 colors.
    pub term: Option<String>,
    /// `NO_COLOR`: any non-empty value asks for no color at all (no-color.org).
    pub no_color: Option<String>,
}

impl ColorEnv {
    /// The values of this process's environment.
    pub fn from_process_env() -> ColorEnv {
        ColorEnv {
            colorterm: std::env::var("COLORTERM").ok(),
            term: std::env::var("TERM").ok(),
            no_color: std::env::var("NO_COLOR").ok(),
        }
    }

    /// A truecolor terminal without `NO_COLOR`: what tests and snapshots render with.
    pub fn truecolor() -> ColorEnv {
        ColorEnv {
            colorterm: Some("truecolor".into()),
            ..ColorEnv::default()
        }
    }

    /// Whether `NO_COLOR` is set to something non-empty, which selects the `mono` theme.
    pub fn no_color(&self) -> bool {
        self.no_color.as_deref().is_some_and(|v| !v.is_empty())
    }

    /// The color depth the terminal announces. Unknown terminals get 16 colors, which
    /// every color terminal shows correctly, rather than escape codes they might garble.
    pub fn depth(&self) -> ColorDepth {
        let colorterm = self.colorterm.as_deref().unwrap_or("").to_ascii_lowercase();
        let term = self.term.as_deref().unwrap_or("").to_ascii_lowercase();
        if colorterm == "truecolor" || colorterm == "24bit" || term.ends_with("-direct") {
            ColorDepth::TrueColor
        } else if term.ends_with("-256color") || term.ends_with("-256") {
            ColorDepth::Ansi256
        } else {
            ColorDepth::Ansi16
        }
    }
}

/// The named ANSI colors a theme may use, in index order (0–15) plus `reset`.
const NAMED: [(&str, Color); 17] = [
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("dark_gray", Color::DarkGray),
    ("light_red", Color::LightRed),
    ("light_green", Color::LightGreen),
    ("light_yellow", Color::LightYellow),
    ("light_blue", Color::LightBlue),
    ("light_magenta", Color::LightMagenta),
    ("light_cyan", Color::LightCyan),
    ("white", Color::White),
    ("reset", Color::Reset),
];

/// xterm's default RGB values for the 16 ANSI colors, to measure distances against.
const ANSI16_RGB: [(u8, u8, u8); 16] = [
    (0, 0, 0),
    (205, 0, 0),
    (0, 205, 0),
    (205, 205, 0),
    (0, 0, 238),
    (205, 0, 205),
    (0, 205, 205),
    (229, 229, 229),
    (127, 127, 127),
    (255, 0, 0),
    (0, 255, 0),
    (255, 255, 0),
    (92, 92, 255),
    (255, 0, 255),
    (0, 255, 255),
    (255, 255, 255),
];

/// The levels of each channel in the xterm 6×6×6 color cube (indexes 16–231).
const CUBE_LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];

/// Parse a color literal: a named ANSI color (`red`, `light_red`, `dark_gray`, `reset`),
/// `#rrggbb`, or a 256-color index `0`–`255`.
pub fn parse_color(text: &str) -> Result<Color, String> {
    let trimmed = text.trim();
    if let Some(hex) = trimmed.strip_prefix('#') {
        return parse_hex(hex).ok_or_else(|| format!("bad color `{text}`: expected #rrggbb"));
    }
    if trimmed.bytes().all(|b| b.is_ascii_digit()) && !trimmed.is_empty() {
        return trimmed
            .parse::<u8>()
            .map(Color::Indexed)
            .map_err(|_| format!("bad color index `{text}`: expected 0–255"));
    }
    NAMED
        .iter()
        .find(|(name, _)| *name == trimmed)
        .map(|(_, color)| *color)
        .ok_or_else(|| {
            format!(
                "unknown color `{text}`: expected a palette name, a color name ({}), #rrggbb or 0–255",
                NAMED.map(|(name, _)| name).join(", ")
            )
        })
}

fn parse_hex(hex: &str) -> Option<Color> {
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some(Color::Rgb(channel(0)?, channel(2)?, channel(4)?))
}

/// The modifier names a theme may use.
const MODIFIERS: [(&str, Modifier); 9] = [
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("slow_blink", Modifier::SLOW_BLINK),
    ("rapid_blink", Modifier::RAPID_BLINK),
    ("reversed", Modifier::REVERSED),
    ("hidden", Modifier::HIDDEN),
    ("crossed_out", Modifier::CROSSED_OUT),
];

/// Parse a modifier name (`bold`, `reversed`, `underlined`, …).
pub fn parse_modifier(text: &str) -> Result<Modifier, String> {
    MODIFIERS
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, modifier)| *modifier)
        .ok_or_else(|| {
            format!(
                "unknown modifier `{text}`: expected one of {}",
                MODIFIERS.map(|(name, _)| name).join(", ")
            )
        })
}

/// `color` as the terminal at `depth` can show it: RGB becomes the nearest palette
/// entry, 256-color indexes become the nearest ANSI color. Named colors pass unchanged.
pub fn degrade(color: Color, depth: ColorDepth) -> Color {
    match (color, depth) {
        (_, ColorDepth::TrueColor) => color,
        (Color::Rgb(r, g, b), ColorDepth::Ansi256) => Color::Indexed(nearest_256(r, g, b)),
        (Color::Rgb(r, g, b), ColorDepth::Ansi16) => ansi16(nearest_16(r, g, b)),
        (Color::Indexed(i), ColorDepth::Ansi16) if i < 16 => ansi16(i),
        (Color::Indexed(i), ColorDepth::Ansi16) => {
            let (r, g, b) = index_rgb(i);
            ansi16(nearest_16(r, g, b))
        }
        _ => color,
    }
}

/// The named color for ANSI index 0–15, so that 16-color terminals get SGR 30–37/90–97
/// rather than a `38;5;n` sequence they may not understand.
fn ansi16(index: u8) -> Color {
    NAMED
        .get(usize::from(index))
        .map_or(Color::Reset, |(_, color)| *color)
}

/// The RGB value xterm uses for a 256-color index.
fn index_rgb(index: u8) -> (u8, u8, u8) {
    match index {
        0..=15 => ANSI16_RGB[usize::from(index)],
        16..=231 => {
            let i = index - 16;
            let level = |n: u8| CUBE_LEVELS[usize::from(n)];
            (level(i / 36), level((i / 6) % 6), level(i % 6))
        }
        _ => {
            let gray = 8 + (index - 232) * 10;
            (gray, gray, gray)
        }
    }
}

/// Squared distance weighted by how the eye sees red and blue ("redmean"): cheap and
/// good enough to keep reds red and grays gray.
fn distance(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let mean_r = (u32::from(a.0) + u32::from(b.0)) / 2;
    let dr = i64::from(a.0) - i64::from(b.0);
    let dg = i64::from(a.1) - i64::from(b.1);
    let db = i64::from(a.2) - i64::from(b.2);
    let (dr2, dg2, db2) = ((dr * dr) as u32, (dg * dg) as u32, (db * db) as u32);
    (((512 + mean_r) * dr2) >> 8) + 4 * dg2 + (((767 - mean_r) * db2) >> 8)
}

fn nearest_16(r: u8, g: u8, b: u8) -> u8 {
    nearest((r, g, b), 0..=15)
}

/// The nearest entry among the color cube and the gray ramp (16–255). Indexes 0–15 are
/// left out: terminals redefine them, so they may not look like their nominal RGB.
fn nearest_256(r: u8, g: u8, b: u8) -> u8 {
    nearest((r, g, b), 16..=255)
}

fn nearest(target: (u8, u8, u8), candidates: std::ops::RangeInclusive<u8>) -> u8 {
    candidates
        .min_by_key(|&i| distance(target, index_rgb(i)))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(colorterm: Option<&str>, term: Option<&str>) -> ColorEnv {
        ColorEnv {
            colorterm: colorterm.map(Into::into),
            term: term.map(Into::into),
            no_color: None,
        }
    }

    #[test]
    fn depth_comes_from_colorterm_then_term() {
        assert_eq!(
            env(Some("truecolor"), Some("xterm")).depth(),
            ColorDepth::TrueColor
        );
        assert_eq!(env(Some("24bit"), None).depth(), ColorDepth::TrueColor);
        assert_eq!(
            env(None, Some("tmux-256color")).depth(),
            ColorDepth::Ansi256
        );
        assert_eq!(
            env(None, Some("xterm-256color")).depth(),
            ColorDepth::Ansi256
        );
        assert_eq!(env(None, Some("xterm")).depth(), ColorDepth::Ansi16);
        assert_eq!(env(None, Some("linux")).depth(), ColorDepth::Ansi16);
        assert_eq!(env(None, None).depth(), ColorDepth::Ansi16);
    }

    #[test]
    fn no_color_needs_a_non_empty_value() {
        let mut e = ColorEnv::truecolor();
        assert!(!e.no_color());
        e.no_color = Some(String::new());
        assert!(!e.no_color());
        e.no_color = Some("1".into());
        assert!(e.no_color());
    }

    #[test]
    fn color_literals_parse() {
        assert_eq!(parse_color("light_red"), Ok(Color::LightRed));
        assert_eq!(parse_color("#ff8000"), Ok(Color::Rgb(255, 128, 0)));
        assert_eq!(parse_color("208"), Ok(Color::Indexed(208)));
        assert!(parse_color("256").is_err());
        assert!(parse_color("#ff80").is_err());
        assert!(parse_color("#gg0000").is_err());
        assert!(parse_color("lightred").is_err());
    }

    #[test]
    fn rgb_degrades_to_the_nearest_256_color() {
        assert_eq!(
            degrade(Color::Rgb(255, 0, 0), ColorDepth::Ansi256),
            Color::Indexed(196)
        );
        assert_eq!(
            degrade(Color::Rgb(0, 0, 0), ColorDepth::Ansi256),
            Color::Indexed(16)
        );
        // A mid gray lands on the gray ramp, not on a tinted cube color.
        assert_eq!(
            degrade(Color::Rgb(128, 128, 128), ColorDepth::Ansi256),
            Color::Indexed(244)
        );
        assert_eq!(
            degrade(Color::Rgb(1, 2, 3), ColorDepth::TrueColor),
            Color::Rgb(1, 2, 3)
        );
    }

    #[test]
    fn rgb_and_indexes_degrade_to_named_ansi_colors() {
        assert_eq!(
            degrade(Color::Rgb(250, 40, 30), ColorDepth::Ansi16),
            Color::LightRed
        );
        assert_eq!(
            degrade(Color::Rgb(180, 20, 20), ColorDepth::Ansi16),
            Color::Red
        );
        assert_eq!(
            degrade(Color::Rgb(20, 20, 30), ColorDepth::Ansi16),
            Color::Black
        );
        assert_eq!(
            degrade(Color::Indexed(9), ColorDepth::Ansi16),
            Color::LightRed
        );
        assert_eq!(
            degrade(Color::Indexed(196), ColorDepth::Ansi16),
            Color::LightRed
        );
        assert_eq!(
            degrade(Color::Indexed(244), ColorDepth::Ansi16),
            Color::DarkGray
        );
        assert_eq!(degrade(Color::Yellow, ColorDepth::Ansi16), Color::Yellow);
    }

    #[test]
    fn modifiers_parse_by_name() {
        assert_eq!(parse_modifier("reversed"), Ok(Modifier::REVERSED));
        assert!(parse_modifier("underline").is_err());
    }
}
