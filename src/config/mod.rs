//! Configuration, themes and keymaps (DESIGN.md §8).
//!
//! Everything loads with [`Settings::load`]: a broken file never stops the console; it is
//! reported as a [`ConfigProblem`] (file, line, column) and defaults are used instead.
//!
//! - [`paths`] says where files live (`PILOTHOUSE_CONFIG`, `PILOTHOUSE_DATA`);
//! - [`mod@file`] reads `config.toml`;
//! - [`theme`] has semantic styles, palettes, inheritance and color degradation;
//! - [`keymap`] and [`key_press`] have layered key tries and their notation;
//! - [`check`] backs `themes check`, `keymaps check` and the lists of names.

pub mod check;
pub mod color;
pub mod file;
pub mod glob;
pub mod key_press;
pub mod keymap;
mod library;
pub mod paths;
pub mod problem;
pub mod theme;

pub use check::{check_keymaps, check_themes, list_keymaps, list_themes, render_available};
pub use color::{ColorDepth, ColorEnv};
pub use file::Config;
pub use key_press::KeyPress;
pub use keymap::{HelpEntry, Keymap, Layer, PendingKeys, Resolution};
pub use library::Available;
pub use paths::Paths;
pub use problem::ConfigProblem;
pub use theme::Theme;

/// Everything the console needs from the config directory, and what was wrong with it.
#[derive(Debug, Clone)]
pub struct Settings {
    pub paths: Paths,
    pub config: Config,
    pub theme: Theme,
    pub keymap: Keymap,
    /// Problems in `config.toml`, the theme and the keymap, for the console to show.
    pub problems: Vec<ConfigProblem>,
}

impl Settings {
    /// Load `config.toml`, then the theme and keymap it names, for a terminal described by
    /// `env`. Never fails: what is broken is in `problems` and replaced by defaults.
    pub fn load(paths: Paths, env: &ColorEnv) -> Settings {
        Settings::load_with(paths, env, None, None)
    }

    /// [`Settings::load`], with a theme and keymap named on the command line (`--theme`,
    /// `--keymap`) replacing those in `config.toml`, so that the replaced ones are neither
    /// loaded nor reported.
    pub fn load_with(
        paths: Paths,
        env: &ColorEnv,
        theme: Option<&str>,
        keymap: Option<&str>,
    ) -> Settings {
        let (config, mut problems) = Config::load(&paths.config_file());
        let config_dir = Some(paths.config_dir.as_path());
        // A name from the command line was not written in config.toml: problems about it
        // point at the file that would have been used instead.
        let (theme, theme_problems) = match theme {
            Some(name) => Theme::load(name, config_dir, env),
            None => Theme::load_at(&config.theme, config_dir, env, config.theme_at()),
        };
        let (keymap, keymap_problems) = match keymap {
            Some(name) => Keymap::load(name, config_dir),
            None => Keymap::load_at(&config.keymap, config_dir, config.keymap_at()),
        };
        problems.extend(theme_problems);
        problems.extend(keymap_problems);
        Settings {
            paths,
            config,
            theme,
            keymap,
            problems,
        }
    }
}
