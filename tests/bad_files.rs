//! Broken user files are reported with file, line and column, and defaults are used
//! (DESIGN.md §8). Each fixture in `tests/data/bad/` is put into a fresh config directory,
//! as `PILOTHOUSE_CONFIG` would point at, and loaded the way the console loads it.

use std::path::{Path, PathBuf};

use pilothouse::config::{
    ColorEnv, Config, ConfigProblem, Keymap, Layer, Paths, Settings, Theme, check_keymaps,
    check_themes,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/bad")
        .join(name)
}

/// A config directory with `files` (relative path, fixture or text) in it, and the
/// settings loaded from it.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new(files: &[(&str, &str)]) -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        for (relative, text) in files {
            let path = dir.path().join(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Sandbox { dir }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    fn load(&self) -> Settings {
        // The same resolution as PILOTHOUSE_CONFIG / PILOTHOUSE_DATA, without touching the
        // process environment (tests run in parallel).
        let paths = Paths::resolve(
            Some(self.dir.path().into()),
            Some(self.dir.path().join("data").into()),
            None,
        );
        Settings::load(paths, &ColorEnv::truecolor())
    }
}

fn read(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap()
}

fn assert_problem(problem: &ConfigProblem, file: &Path, line: usize, column: usize, message: &str) {
    assert_eq!(problem.file, file, "{problem}");
    assert_eq!((problem.line, problem.column), (line, column), "{problem}");
    assert!(problem.message.starts_with(message), "{problem}");
    assert_eq!(
        problem.to_string(),
        format!("{}:{line}:{column}: {}", file.display(), problem.message)
    );
}

fn assert_default_theme_and_keymap(settings: &Settings) {
    assert_eq!(settings.theme.name(), "dark");
    let dark = Theme::builtin("dark").unwrap();
    assert_eq!(
        settings.theme.style("status.critical"),
        dark.style("status.critical")
    );
    assert_eq!(settings.keymap.name(), "default");
    for layer in Layer::ALL {
        assert_eq!(settings.keymap.help(layer), Keymap::default().help(layer));
    }
}

#[test]
fn a_config_file_with_a_syntax_error() {
    let sandbox = Sandbox::new(&[("config.toml", &read("config-syntax.toml"))]);
    let settings = sandbox.load();
    let file = sandbox.path("config.toml");
    assert_problem(&settings.problems[0], &file, 3, 13, "");
    assert_problem(
        &settings.problems[1],
        &file,
        1,
        1,
        "using the default settings, read-only",
    );
    assert_eq!(settings.problems.len(), 2);
    // Defaults, read-only until fixed; `theme = "light"` on line 2 is not half-applied.
    assert_eq!(settings.config, Config::fallback());
    assert_default_theme_and_keymap(&settings);
}

#[test]
fn a_config_file_with_an_unknown_key() {
    let sandbox = Sandbox::new(&[("config.toml", &read("config-unknown-key.toml"))]);
    let settings = sandbox.load();
    let file = sandbox.path("config.toml");
    assert_problem(
        &settings.problems[0],
        &file,
        6,
        1,
        "unknown field `colour`, expected `budget_mib`",
    );
    assert_eq!(settings.problems.len(), 2);
    assert_eq!(settings.config, Config::fallback());
    assert_default_theme_and_keymap(&settings);
}

#[test]
fn a_theme_with_a_syntax_error() {
    let sandbox = Sandbox::new(&[
        ("config.toml", "theme = \"custom\"\n"),
        ("themes/custom.toml", &read("theme-syntax.toml")),
    ]);
    let settings = sandbox.load();
    assert_eq!(settings.problems.len(), 1, "{:#?}", settings.problems);
    assert_problem(
        &settings.problems[0],
        &sandbox.path("themes/custom.toml"),
        5,
        45,
        "",
    );
    assert_default_theme_and_keymap(&settings);
}

#[test]
fn a_theme_with_an_unknown_key() {
    let sandbox = Sandbox::new(&[
        ("config.toml", "theme = \"custom\"\n"),
        ("themes/custom.toml", &read("theme-unknown-key.toml")),
    ]);
    let settings = sandbox.load();
    assert_eq!(settings.problems.len(), 1, "{:#?}", settings.problems);
    assert_problem(
        &settings.problems[0],
        &sandbox.path("themes/custom.toml"),
        4,
        2,
        "unknown field `pallete`, expected one of `inherits`, `palette`, `styles`",
    );
    assert_default_theme_and_keymap(&settings);
}

#[test]
fn a_keymap_with_a_syntax_error() {
    let sandbox = Sandbox::new(&[
        ("config.toml", "keymap = \"custom\"\n"),
        ("keymaps/custom.toml", &read("keymap-syntax.toml")),
    ]);
    let settings = sandbox.load();
    assert_eq!(settings.problems.len(), 1, "{:#?}", settings.problems);
    assert_problem(
        &settings.problems[0],
        &sandbox.path("keymaps/custom.toml"),
        4,
        1,
        "",
    );
    assert_default_theme_and_keymap(&settings);
}

#[test]
fn a_keymap_with_an_unknown_key() {
    let sandbox = Sandbox::new(&[
        ("config.toml", "keymap = \"custom\"\n"),
        ("keymaps/custom.toml", &read("keymap-unknown-key.toml")),
    ]);
    let settings = sandbox.load();
    assert_eq!(settings.problems.len(), 1, "{:#?}", settings.problems);
    assert_problem(
        &settings.problems[0],
        &sandbox.path("keymaps/custom.toml"),
        5,
        1,
        "unknown field `description`, expected one of `keys`, `action`, `desc`",
    );
    assert_default_theme_and_keymap(&settings);
}

#[test]
fn a_broken_user_override_of_a_builtin_falls_back_to_that_builtin() {
    let sandbox = Sandbox::new(&[
        ("config.toml", "theme = \"light\"\n"),
        ("themes/light.toml", &read("theme-unknown-key.toml")),
    ]);
    let settings = sandbox.load();
    assert_eq!(settings.problems.len(), 1);
    assert_eq!(settings.theme.name(), "light");
    let light = Theme::builtin("light").unwrap();
    assert_eq!(
        settings.theme.style("table.selected"),
        light.style("table.selected")
    );
}

#[test]
fn a_theme_name_that_names_nothing_is_reported_where_it_was_written() {
    let sandbox = Sandbox::new(&[(
        "config.toml",
        "# mine\ntheme = \"solarized\"\nkeymap = \"emacs\"\n",
    )]);
    let settings = sandbox.load();
    let file = sandbox.path("config.toml");
    assert_eq!(settings.problems.len(), 2, "{:#?}", settings.problems);
    assert_problem(
        &settings.problems[0],
        &file,
        2,
        9,
        "no theme named `solarized`",
    );
    assert_problem(
        &settings.problems[1],
        &file,
        3,
        10,
        "no keymap named `emacs`",
    );
    // The rest of the file is fine and applies.
    assert_eq!(settings.config.theme, "solarized");
    assert!(!settings.config.read_only);
    assert_default_theme_and_keymap(&settings);
}

#[test]
fn command_line_names_replace_the_config_files_names() {
    let sandbox = Sandbox::new(&[("config.toml", "theme = \"solarized\"\nkeymap = \"vim\"\n")]);
    let paths = Paths::resolve(Some(sandbox.dir.path().into()), None, None);
    let env = ColorEnv::truecolor();
    let settings = Settings::load_with(paths.clone(), &env, Some("light"), None);
    // config.toml's unknown theme is not loaded, so not reported.
    assert!(settings.problems.is_empty(), "{:#?}", settings.problems);
    assert_eq!(settings.theme.name(), "light");
    assert_eq!(settings.keymap.name(), "vim");

    let settings = Settings::load_with(paths, &env, None, Some("emacs"));
    let names: Vec<&str> = settings
        .problems
        .iter()
        .map(|p| p.message.as_str())
        .collect();
    assert_eq!(settings.problems.len(), 2, "{names:#?}");
    assert_problem(
        &settings.problems[1],
        &sandbox.path("keymaps/emacs.toml"),
        1,
        1,
        "no keymap named `emacs`",
    );
    assert_eq!(settings.keymap.name(), "default");
}

#[test]
fn no_config_at_all_is_the_defaults_without_problems() {
    let sandbox = Sandbox::new(&[]);
    let settings = sandbox.load();
    assert!(settings.problems.is_empty(), "{:#?}", settings.problems);
    assert_eq!(settings.config, Config::default());
    assert_default_theme_and_keymap(&settings);
}

#[test]
fn the_checks_report_each_fixture_with_its_position() {
    let themes = [
        fixture("theme-syntax.toml"),
        fixture("theme-unknown-key.toml"),
    ];
    let mut out = Vec::new();
    assert!(!check_themes(&themes, None, &mut out).unwrap());
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains(&format!("{}:5:45: ", themes[0].display())),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{}:4:2: unknown field `pallete`",
            themes[1].display()
        )),
        "{text}"
    );
    assert!(text.ends_with("2 problems in 2 of 2 themes\n"), "{text}");

    let keymaps = [
        fixture("keymap-syntax.toml"),
        fixture("keymap-unknown-key.toml"),
    ];
    let mut out = Vec::new();
    assert!(!check_keymaps(&keymaps, None, &mut out).unwrap());
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains(&format!("{}:4:1: ", keymaps[0].display())),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{}:5:1: unknown field `description`",
            keymaps[1].display()
        )),
        "{text}"
    );
}

#[test]
fn the_checks_without_arguments_cover_the_users_files() {
    let sandbox = Sandbox::new(&[
        ("themes/good.toml", "inherits = \"dark\"\n"),
        ("themes/bad.toml", &read("theme-unknown-key.toml")),
    ]);
    let mut out = Vec::new();
    assert!(!check_themes(&[], Some(sandbox.dir.path()), &mut out).unwrap());
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("ok builtin:themes/dark.toml\n"), "{text}");
    assert!(
        text.contains(&format!(
            "ok {}\n",
            sandbox.path("themes/good.toml").display()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{}:4:2: ",
            sandbox.path("themes/bad.toml").display()
        )),
        "{text}"
    );
    assert!(text.ends_with("1 problem in 1 of 6 themes\n"), "{text}");
}
