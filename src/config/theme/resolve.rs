//! Turning a chain of theme files (root first) into resolved styles: merge, look up palette
//! names, degrade colors to the terminal's depth, precompute the dotted fallbacks.

use std::collections::HashMap;
use std::ops::Range;

use ratatui::style::{Color, Modifier, Style};
use toml::Spanned;

use super::file::{ColorText, StyleSpec, ThemeFile};
use super::keys::{STYLE_KEYS, is_known_style_name, parent_name};
use crate::config::color::{ColorDepth, degrade, parse_color, parse_modifier};
use crate::config::library::Link;
use crate::config::problem::ConfigProblem;

/// How the resolved colors are to be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rendering {
    pub depth: ColorDepth,
    /// `NO_COLOR`: drop every color and keep only the modifiers.
    pub no_color: bool,
}

/// A palette color with its optional 16-color replacement.
#[derive(Debug, Clone, Copy)]
struct PaletteColor {
    color: Color,
    ansi16: Option<Color>,
}

impl PaletteColor {
    fn shown_at(self, depth: ColorDepth) -> Color {
        match (depth, self.ansi16) {
            (ColorDepth::Ansi16, Some(ansi16)) => ansi16,
            _ => degrade(self.color, depth),
        }
    }
}

/// Resolve `chain` (root first) into a style for every name it defines and every name in
/// [`STYLE_KEYS`], with the fallbacks already applied, plus the problems found.
pub(crate) fn resolve(
    chain: &[Link<ThemeFile>],
    rendering: Rendering,
) -> (HashMap<String, Style>, Vec<ConfigProblem>) {
    let mut problems = Vec::new();
    let palette = merged_palette(chain, &mut problems);

    let mut defined: HashMap<String, Style> = HashMap::new();
    for link in chain {
        let at = |span: Range<usize>, message: String| {
            ConfigProblem::at_span(&link.file.path, &link.file.text, span, message)
        };
        for (name, spec) in &link.parsed.styles {
            if !is_known_style_name(name.get_ref()) {
                problems.push(at(
                    name.span(),
                    format!("unknown style name `{}`", name.get_ref()),
                ));
                continue;
            }
            match style_from_spec(spec, &palette, rendering) {
                // A child's entry replaces its parent's whole: styles do not merge field by field.
                Ok(style) => {
                    defined.insert(name.get_ref().clone(), style);
                }
                Err((span, message)) => problems.push(at(span, message)),
            }
        }
    }

    let mut styles = defined.clone();
    for key in STYLE_KEYS {
        styles
            .entry((*key).to_owned())
            .or_insert_with(|| fallback(&defined, key));
    }
    (styles, problems)
}

/// The style of the nearest styled name along `name`'s dots; unstyled if none is.
pub(crate) fn fallback(defined: &HashMap<String, Style>, name: &str) -> Style {
    let mut current = Some(name);
    while let Some(name) = current {
        if let Some(style) = defined.get(name) {
            return *style;
        }
        current = parent_name(name);
    }
    Style::default()
}

/// The palettes of the chain merged root first, so a child can recolor what it inherits.
fn merged_palette(
    chain: &[Link<ThemeFile>],
    problems: &mut Vec<ConfigProblem>,
) -> HashMap<String, PaletteColor> {
    let mut palette = HashMap::new();
    for link in chain {
        for (name, entry) in &link.parsed.palette {
            let literal = |color: &Spanned<ColorText>| {
                parse_color(&color.get_ref().0).map_err(|message| {
                    let span = span_or(color, entry.span());
                    ConfigProblem::at_span(&link.file.path, &link.file.text, span, message)
                })
            };
            let value = entry.get_ref();
            let ansi16 = value.ansi16.as_ref().map(literal).transpose();
            match (literal(&value.color), ansi16) {
                (Ok(color), Ok(ansi16)) => {
                    palette.insert(name.get_ref().clone(), PaletteColor { color, ansi16 });
                }
                (Err(problem), _) | (_, Err(problem)) => problems.push(problem),
            }
        }
    }
    palette
}

/// A style from its spec, or the span and message of the first thing wrong with it.
fn style_from_spec(
    spec: &Spanned<StyleSpec>,
    palette: &HashMap<String, PaletteColor>,
    rendering: Rendering,
) -> Result<Style, (Range<usize>, String)> {
    let color = |text: &Spanned<ColorText>| -> Result<Color, (Range<usize>, String)> {
        let name = &text.get_ref().0;
        // Palette names come first, so a palette may redefine what `red` means.
        let resolved = match palette.get(name) {
            Some(entry) => *entry,
            None => PaletteColor {
                color: parse_color(name)
                    .map_err(|message| (span_or(text, spec.span()), message))?,
                ansi16: None,
            },
        };
        Ok(resolved.shown_at(rendering.depth))
    };

    let value = spec.get_ref();
    let mut style = Style::default();
    // Colors are still resolved under NO_COLOR, so a bad color is reported either way.
    if let Some(fg) = &value.fg {
        let fg = color(fg)?;
        if !rendering.no_color {
            style = style.fg(fg);
        }
    }
    if let Some(bg) = &value.bg {
        let bg = color(bg)?;
        if !rendering.no_color {
            style = style.bg(bg);
        }
    }
    let mut modifiers = Modifier::empty();
    for name in &value.modifiers {
        modifiers |= parse_modifier(name.get_ref()).map_err(|message| (name.span(), message))?;
    }
    Ok(style.add_modifier(modifiers))
}

/// `inner`'s span, or `outer` where `inner` was written as the whole value (plain forms
/// like `"table.dim" = "gray"` carry their position on the enclosing value).
fn span_or<T>(inner: &Spanned<T>, outer: Range<usize>) -> Range<usize> {
    let span = inner.span();
    if span == (0..0) { outer } else { span }
}
