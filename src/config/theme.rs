//! Themes: semantic style names (`status.critical`, `table.header`) to styles.
//!
//! A theme file has `inherits = "NAME"`, a `[palette]` of named colors and `[styles]`
//! (the format is described in `themes/dark.toml`). Lookups fall back along the dotted name
//! (`table.header.sorted` → `table.header` → `table` → `default`). Colors are degraded
//! once, at load, to what the terminal shows (truecolor → 256 → 16); `NO_COLOR` selects
//! `mono`, which uses modifiers only.

mod file;
mod keys;
mod resolve;

use std::collections::HashMap;
use std::path::Path;

use ratatui::style::Style;

pub use keys::{STYLE_KEYS, is_known_style_name};

use super::color::ColorEnv;
use super::library::{self, FileKind, FindError, Lookup, SourceFile};
use super::problem::{ConfigProblem, Place};
use file::ThemeFile;
use resolve::Rendering;

/// The theme used when none is configured, and when the configured one is broken and has
/// no built-in namesake.
pub const DEFAULT_THEME: &str = "dark";

/// The theme selected by `NO_COLOR`.
pub const MONO_THEME: &str = "mono";

/// A resolved theme: every style name's style, colors already fit for the terminal.
#[derive(Debug, Clone)]
pub struct Theme {
    name: String,
    /// Every name the theme defines and every name in [`STYLE_KEYS`], fallbacks applied,
    /// so the names views use cost one hash lookup.
    styles: HashMap<String, Style>,
    /// How colors that come from outside the theme (a log line's SGR) must be drawn.
    rendering: Rendering,
}

impl Default for Theme {
    /// The built-in `dark` theme in truecolor.
    fn default() -> Theme {
        builtin_or_plain(DEFAULT_THEME, rendering_for(&ColorEnv::truecolor()))
    }
}

impl Theme {
    /// The style for a semantic name (`status.critical`), falling back along the dots
    /// and finally to the theme's `default`. Cheap: called per cell run per frame.
    pub fn style(&self, key: &str) -> Style {
        let mut current = Some(key);
        while let Some(name) = current {
            if let Some(style) = self.styles.get(name) {
                return *style;
            }
            current = keys::parent_name(name);
        }
        Style::default()
    }

    /// A style from outside the theme (a log line's own SGR colors) made fit for this
    /// terminal: colors degraded to its depth, or dropped under `NO_COLOR` and in `mono`,
    /// where nothing may depend on color.
    pub fn adapt(&self, style: Style) -> Style {
        if self.rendering.no_color || self.name == MONO_THEME {
            return Style {
                fg: None,
                bg: None,
                underline_color: None,
                ..style
            };
        }
        let depth = self.rendering.depth;
        Style {
            fg: style.fg.map(|c| super::color::degrade(c, depth)),
            bg: style.bg.map(|c| super::color::degrade(c, depth)),
            ..style
        }
    }

    /// The theme's name (`dark`, or the user's file stem).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The names of the themes shipped with pilothouse.
    pub fn builtin_names() -> impl Iterator<Item = &'static str> {
        library::BUILTIN_THEMES.iter().map(|(name, _)| *name)
    }

    /// A built-in theme in truecolor (snapshot tests use `builtin("mono")` too), or `None`
    /// if there is no built-in of that name.
    pub fn builtin(name: &str) -> Option<Theme> {
        let file = SourceFile::builtin(FileKind::Theme, name)?;
        // Built-ins resolve without problems: `every_builtin_theme_loads_cleanly` proves it.
        Some(from_source(file, None, rendering_for(&ColorEnv::truecolor())).0)
    }

    /// The theme called `name` for a terminal described by `env`: the user's
    /// `<config_dir>/themes/NAME.toml` if there is one, else the built-in. `NO_COLOR`
    /// selects `mono` whatever `name` says.
    ///
    /// A broken theme (or one inheriting from a broken one) is not used: the problems are
    /// returned and the built-in theme of that name, or `dark`, is used instead.
    pub fn load(
        name: &str,
        config_dir: Option<&Path>,
        env: &ColorEnv,
    ) -> (Theme, Vec<ConfigProblem>) {
        Theme::load_at(name, config_dir, env, None)
    }

    /// [`Theme::load`], where `written_at` is where the name was written (in `config.toml`),
    /// which is where a name that names no theme is reported.
    pub(crate) fn load_at(
        name: &str,
        config_dir: Option<&Path>,
        env: &ColorEnv,
        written_at: Option<&Place>,
    ) -> (Theme, Vec<ConfigProblem>) {
        let rendering = rendering_for(env);
        let name = if env.no_color() { MONO_THEME } else { name };
        let problems = match library::find(FileKind::Theme, name, config_dir, Lookup::UserFirst) {
            Ok(file) => {
                let (theme, problems) = from_source(file, config_dir, rendering);
                if problems.is_empty() {
                    return (theme, problems);
                }
                problems
            }
            Err(FindError::Unreadable(problem)) => vec![problem],
            Err(FindError::NotFound(message)) => {
                vec![library::not_found(
                    FileKind::Theme,
                    name,
                    config_dir,
                    written_at,
                    message,
                )]
            }
        };
        (builtin_or_plain(name, rendering), problems)
    }

    /// The theme in the file at `path` (for `themes check FILE`), resolving what it
    /// inherits from `config_dir` and the built-ins, with every problem found.
    pub fn check_file(path: &Path, config_dir: Option<&Path>) -> Vec<ConfigProblem> {
        match SourceFile::read(path) {
            Ok(file) => check_source(file, config_dir),
            Err(problem) => vec![problem],
        }
    }

    /// The problems in the built-in theme `name` (none, as the tests prove; `themes check`
    /// reports them anyway so a broken build would be visible).
    pub fn check_builtin(name: &str) -> Vec<ConfigProblem> {
        match SourceFile::builtin(FileKind::Theme, name) {
            Some(file) => check_source(file, None),
            None => Vec::new(),
        }
    }
}

fn check_source(file: SourceFile, config_dir: Option<&Path>) -> Vec<ConfigProblem> {
    from_source(file, config_dir, rendering_for(&ColorEnv::truecolor())).1
}

fn rendering_for(env: &ColorEnv) -> Rendering {
    Rendering {
        depth: env.depth(),
        no_color: env.no_color(),
    }
}

/// The built-in theme `name`, else `dark`. Built-ins have no problems (tested); should that
/// ever break, an unstyled theme is still better than no console.
fn builtin_or_plain(name: &str, rendering: Rendering) -> Theme {
    let file = SourceFile::builtin(FileKind::Theme, name)
        .or_else(|| SourceFile::builtin(FileKind::Theme, DEFAULT_THEME));
    match file {
        Some(file) => from_source(file, None, rendering).0,
        None => Theme {
            name: name.to_owned(),
            styles: HashMap::new(),
            rendering,
        },
    }
}

/// Load `file` and what it inherits, and resolve it.
fn from_source(
    file: SourceFile,
    config_dir: Option<&Path>,
    rendering: Rendering,
) -> (Theme, Vec<ConfigProblem>) {
    let name = file.name.clone();
    let (chain, mut problems) = library::load_chain(
        FileKind::Theme,
        file,
        config_dir,
        parse_source,
        |theme: &ThemeFile| theme.inherits.as_ref(),
    );
    let (styles, resolve_problems) = resolve::resolve(&chain, rendering);
    // With a link missing, palette names from the missing parent would be reported as
    // unknown colors: noise. Report the chain's problem alone; the rest shows once it is fixed.
    if problems.is_empty() {
        problems = resolve_problems;
    }
    (
        Theme {
            name,
            styles,
            rendering,
        },
        problems,
    )
}

fn parse_source(file: &SourceFile) -> Result<ThemeFile, ConfigProblem> {
    file::parse(&file.text).map_err(|e| ConfigProblem::from_toml(&file.path, &file.text, &e))
}

#[cfg(test)]
mod tests;
