use std::path::Path;

use ratatui::style::{Color, Modifier, Style};

use super::*;
use crate::config::color::ColorEnv;

fn env_with_term(term: &str) -> ColorEnv {
    ColorEnv {
        colorterm: None,
        term: Some(term.into()),
        no_color: None,
    }
}

/// A config dir holding `themes/NAME.toml` for each (name, text).
fn config_dir(themes: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("themes")).unwrap();
    for (name, text) in themes {
        std::fs::write(dir.path().join("themes").join(format!("{name}.toml")), text).unwrap();
    }
    dir
}

fn load(name: &str, dir: &Path) -> (Theme, Vec<ConfigProblem>) {
    Theme::load(name, Some(dir), &ColorEnv::truecolor())
}

fn load_clean(name: &str, dir: &Path) -> Theme {
    let (theme, problems) = load(name, dir);
    assert!(problems.is_empty(), "{problems:#?}");
    theme
}

fn positions(problems: &[ConfigProblem]) -> Vec<(String, usize, usize)> {
    problems
        .iter()
        .map(|p| {
            (
                p.file.file_name().unwrap().to_string_lossy().into_owned(),
                p.line,
                p.column,
            )
        })
        .collect()
}

#[test]
fn every_builtin_theme_loads_cleanly() {
    let envs = [
        ColorEnv::truecolor(),
        env_with_term("xterm-256color"),
        env_with_term("xterm"),
    ];
    for name in Theme::builtin_names() {
        assert!(
            Theme::check_builtin(name).is_empty(),
            "{name}: {:#?}",
            Theme::check_builtin(name)
        );
        for env in &envs {
            let (theme, problems) = Theme::load(name, None, env);
            assert!(problems.is_empty(), "{name}: {problems:#?}");
            assert_eq!(theme.name(), name);
        }
    }
}

#[test]
fn every_builtin_theme_styles_every_name_the_views_use() {
    for name in Theme::builtin_names() {
        let file = SourceFile::builtin(FileKind::Theme, name).unwrap();
        let (chain, problems) = library::load_chain(
            FileKind::Theme,
            file,
            None,
            parse_source,
            |t: &ThemeFile| t.inherits.as_ref(),
        );
        assert!(problems.is_empty());
        let defined: Vec<&str> = chain
            .iter()
            .flat_map(|link| link.parsed.styles.keys().map(|k| k.get_ref().as_str()))
            .collect();
        for key in STYLE_KEYS {
            // Styled itself or through a prefix; falling through to `default` would mean
            // the theme forgot it.
            let mut current = Some(*key);
            let mut found = false;
            while let Some(k) = current.filter(|k| *k != "default" || *key == "default") {
                if defined.contains(&k) {
                    found = true;
                    break;
                }
                current = keys::parent_name(k);
            }
            assert!(found, "theme {name} does not style `{key}`");
        }
    }
}

#[test]
fn mono_uses_no_colors_and_still_marks_states() {
    let mono = Theme::builtin("mono").unwrap();
    for key in STYLE_KEYS {
        let style = mono.style(key);
        assert_eq!((style.fg, style.bg), (None, None), "mono colors `{key}`");
    }
    assert!(
        mono.style("table.selected")
            .add_modifier
            .contains(Modifier::REVERSED)
    );
    assert!(
        mono.style("status.critical")
            .add_modifier
            .contains(Modifier::BOLD)
    );
    assert!(
        mono.style("env.prod")
            .add_modifier
            .contains(Modifier::REVERSED)
    );
}

#[test]
fn colored_builtins_keep_states_apart_and_prod_loud() {
    for name in ["dark", "light", "high-contrast"] {
        let theme = Theme::builtin(name).unwrap();
        let statuses: Vec<Style> = ["ok", "progressing", "warning", "critical", "unknown"]
            .iter()
            .map(|s| theme.style(&format!("status.{s}")))
            .collect();
        for (i, a) in statuses.iter().enumerate() {
            for b in &statuses[i + 1..] {
                assert_ne!(a, b, "{name}: two statuses look the same");
            }
        }
        let prod = theme.style("env.prod");
        assert!(
            prod.bg.is_some() && prod.add_modifier.contains(Modifier::BOLD),
            "{name}"
        );
        assert_ne!(
            theme.style("table.selected"),
            theme.style("table.row"),
            "{name}"
        );
    }
}

#[test]
fn lookups_fall_back_along_the_dots() {
    let dir = config_dir(&[(
        "t",
        r#"
[styles]
"default" = "white"
"status" = "blue"
"status.critical" = { fg = "red", modifiers = ["bold"] }
"#,
    )]);
    let theme = load_clean("t", dir.path());
    let critical = Style::default().fg(Color::Red).add_modifier(Modifier::BOLD);
    assert_eq!(theme.style("status.critical"), critical);
    assert_eq!(theme.style("status.critical.text"), critical);
    assert_eq!(theme.style("status.ok"), Style::default().fg(Color::Blue));
    assert_eq!(
        theme.style("table.header"),
        Style::default().fg(Color::White)
    );
    assert_eq!(theme.style("nonsense"), Style::default().fg(Color::White));
}

#[test]
fn palette_names_resolve_and_may_shadow_color_names() {
    let dir = config_dir(&[(
        "t",
        r##"
[palette]
accent = "#102030"
red = "#ff5555"
index = 208
[styles]
"title" = "accent"
"status.critical" = { fg = "red", bg = "index" }
"##,
    )]);
    let theme = load_clean("t", dir.path());
    assert_eq!(theme.style("title").fg, Some(Color::Rgb(0x10, 0x20, 0x30)));
    let critical = theme.style("status.critical");
    assert_eq!(critical.fg, Some(Color::Rgb(0xff, 0x55, 0x55)));
    assert_eq!(critical.bg, Some(Color::Indexed(208)));
}

#[test]
fn inheritance_merges_parent_then_child_and_recolors_through_the_palette() {
    let dir = config_dir(&[
        (
            "base",
            r#"
[palette]
accent = "blue"
[styles]
"title" = "accent"
"border" = "gray"
"status.ok" = "green"
"#,
        ),
        (
            "child",
            r#"
inherits = "base"
[palette]
accent = "magenta"
[styles]
"border" = "white"
"#,
        ),
    ]);
    let theme = load_clean("child", dir.path());
    // Inherited style, child's palette.
    assert_eq!(theme.style("title").fg, Some(Color::Magenta));
    // Overridden by the child.
    assert_eq!(theme.style("border").fg, Some(Color::White));
    // Inherited as is.
    assert_eq!(theme.style("status.ok").fg, Some(Color::Green));
    assert_eq!(theme.name(), "child");
}

#[test]
fn a_user_theme_may_inherit_the_builtin_of_its_own_name() {
    let dir = config_dir(&[(
        "dark",
        "inherits = \"dark\"\n[styles]\n\"title\" = \"red\"\n",
    )]);
    let theme = load_clean("dark", dir.path());
    assert_eq!(theme.style("title").fg, Some(Color::Red));
    let builtin = Theme::builtin("dark").unwrap();
    assert_eq!(theme.style("status.ok"), builtin.style("status.ok"));
}

#[test]
fn inheritance_cycles_are_reported_and_the_default_used() {
    let dir = config_dir(&[
        ("a", "inherits = \"b\"\n"),
        ("b", "# b\ninherits = \"a\"\n"),
    ]);
    let (theme, problems) = load("a", dir.path());
    assert_eq!(positions(&problems), [("b.toml".into(), 2, 12)]);
    assert_eq!(problems[0].message, "inheritance cycle: a → b → a");
    assert_eq!(theme.name(), "dark");
}

#[test]
fn a_broken_user_theme_falls_back_to_the_builtin_of_its_name() {
    let dir = config_dir(&[("light", "[styles]\n\"title\" = \"chartreuse\"\n")]);
    let (theme, problems) = load("light", dir.path());
    assert_eq!(positions(&problems), [("light.toml".into(), 2, 11)]);
    assert!(
        problems[0]
            .message
            .starts_with("unknown color `chartreuse`"),
        "{}",
        problems[0].message
    );
    assert_eq!(theme.name(), "light");
    assert_eq!(
        theme.style("title"),
        Theme::builtin("light").unwrap().style("title")
    );
}

#[test]
fn bad_values_are_placed_exactly() {
    let cases = [
        // Unknown parent: at the name.
        (
            "inherits = \"drak\"\n",
            (1, 12),
            "unknown parent: no theme named `drak`",
        ),
        // Unknown style name: at the name.
        (
            "[styles]\n\"status.critcal\" = \"red\"\n",
            (2, 1),
            "unknown style name `status.critcal`",
        ),
        // Bad color in a table: at the color.
        (
            "[styles]\n\"title\" = { fg = \"#12\" }\n",
            (2, 18),
            "bad color `#12`",
        ),
        // Bad modifier: at the modifier.
        (
            "[styles]\n\"title\" = { modifiers = [\"bold\", \"blink\"] }\n",
            (2, 34),
            "unknown modifier `blink`",
        ),
        // Bad palette color: at the value.
        (
            "[palette]\nx = { color = \"#000000\", ansi16 = \"nope\" }\n",
            (2, 35),
            "unknown color `nope`",
        ),
        // Unquoted dotted name: at the dotted key, with a hint.
        (
            "[styles]\nstatus.ok = \"red\"\n",
            (2, 1),
            "unknown field `ok`",
        ),
        // Unknown top-level key.
        ("inherit = \"dark\"\n", (1, 1), "unknown field `inherit`"),
        // Syntax error.
        ("[styles\n", (1, 8), ""),
    ];
    for (text, (line, column), start) in cases {
        let dir = config_dir(&[("t", text)]);
        let (theme, problems) = load("t", dir.path());
        assert_eq!(problems.len(), 1, "{text}: {problems:#?}");
        assert_eq!(
            (problems[0].line, problems[0].column),
            (line, column),
            "{text}: {}",
            problems[0]
        );
        assert!(
            problems[0].message.starts_with(start),
            "{text}: {}",
            problems[0]
        );
        assert_eq!(theme.name(), "dark");
    }
}

#[test]
fn an_unknown_theme_name_is_a_problem() {
    let dir = config_dir(&[]);
    let (theme, problems) = load("solarized", dir.path());
    assert_eq!(theme.name(), "dark");
    assert_eq!(positions(&problems), [("solarized.toml".into(), 1, 1)]);
    assert!(
        problems[0]
            .message
            .starts_with("no theme named `solarized`")
    );
}

#[test]
fn colors_degrade_to_256_and_16_at_load() {
    let text = "[palette]\nsel = { color = \"#334878\", ansi16 = \"blue\" }\n\
                [styles]\n\"title\" = \"#ff0000\"\n\"table.selected\" = { bg = \"sel\" }\n\"border\" = 244\n";
    let dir = config_dir(&[("t", text)]);

    let (truecolor, _) = Theme::load("t", Some(dir.path()), &ColorEnv::truecolor());
    assert_eq!(truecolor.style("title").fg, Some(Color::Rgb(255, 0, 0)));

    let (ansi256, problems) = Theme::load("t", Some(dir.path()), &env_with_term("tmux-256color"));
    assert!(problems.is_empty());
    assert_eq!(ansi256.style("title").fg, Some(Color::Indexed(196)));
    assert_eq!(ansi256.style("border").fg, Some(Color::Indexed(244)));

    let (ansi16, _) = Theme::load("t", Some(dir.path()), &env_with_term("xterm"));
    assert_eq!(ansi16.style("title").fg, Some(Color::LightRed));
    // The palette's own 16-color choice wins over the nearest match.
    assert_eq!(ansi16.style("table.selected").bg, Some(Color::Blue));
    assert_eq!(ansi16.style("border").fg, Some(Color::DarkGray));
}

#[test]
fn builtins_at_16_colors_use_only_ansi_names() {
    for name in Theme::builtin_names() {
        let (theme, _) = Theme::load(name, None, &env_with_term("linux"));
        for key in STYLE_KEYS {
            let style = theme.style(key);
            for color in [style.fg, style.bg].into_iter().flatten() {
                assert!(
                    !matches!(color, Color::Rgb(..) | Color::Indexed(_)),
                    "{name} `{key}` is {color:?} on a 16-color terminal"
                );
            }
        }
    }
}

#[test]
fn no_color_selects_mono_and_strips_colors_from_a_user_mono() {
    let no_color = ColorEnv {
        no_color: Some("1".into()),
        ..ColorEnv::truecolor()
    };
    let (theme, problems) = Theme::load("dark", None, &no_color);
    assert!(problems.is_empty());
    assert_eq!(theme.name(), "mono");

    let dir = config_dir(&[(
        "mono",
        "[styles]\n\"title\" = { fg = \"red\", modifiers = [\"bold\"] }\n",
    )]);
    let (theme, problems) = Theme::load("dark", Some(dir.path()), &no_color);
    assert!(problems.is_empty());
    assert_eq!(
        theme.style("title"),
        Style::default().add_modifier(Modifier::BOLD)
    );
}

#[test]
fn the_default_theme_is_dark() {
    assert_eq!(Theme::default().name(), "dark");
    assert_eq!(
        Theme::default().style("env.prod"),
        Theme::builtin("dark").unwrap().style("env.prod")
    );
    assert!(Theme::builtin("nope").is_none());
}

#[test]
fn outside_colors_are_degraded_or_dropped_like_the_themes_own() {
    use ratatui::style::{Color, Style};
    let log_style = Style::default()
        .fg(Color::Rgb(255, 0, 0))
        .bg(Color::Indexed(208));
    let sixteen = ColorEnv {
        colorterm: None,
        term: Some("xterm".into()),
        no_color: None,
    };
    let (theme, _) = Theme::load("dark", None, &sixteen);
    let adapted = theme.adapt(log_style);
    assert!(
        matches!(adapted.fg, Some(Color::Red | Color::LightRed)),
        "{adapted:?}"
    );
    assert!(
        !matches!(adapted.bg, Some(Color::Indexed(_) | Color::Rgb(..))),
        "{adapted:?}"
    );

    let no_color = ColorEnv {
        no_color: Some("1".into()),
        ..ColorEnv::truecolor()
    };
    let (theme, _) = Theme::load("dark", None, &no_color);
    assert_eq!(theme.adapt(log_style).fg, None);
    let mono = Theme::builtin("mono").expect("mono");
    assert_eq!(mono.adapt(log_style).bg, None);
    let truecolor = Theme::builtin("dark").expect("dark");
    assert_eq!(truecolor.adapt(log_style), log_style);
}
