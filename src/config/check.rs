//! `pilothouse themes check [FILE…]`, `pilothouse keymaps check [FILE…]`, and the lists
//! of available themes and keymaps.

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::keymap::Keymap;
use super::library::{self, Available, FileKind};
use super::problem::ConfigProblem;
use super::theme::Theme;

/// Check theme files and print `path:line:column: message` for each problem, `ok PATH`
/// for each clean file and a summary. Without `files`, checks the built-ins and every
/// `<config_dir>/themes/*.toml`. Returns whether everything was clean (the CLI exits 1
/// otherwise).
pub fn check_themes(
    files: &[PathBuf],
    config_dir: Option<&Path>,
    out: &mut dyn Write,
) -> io::Result<bool> {
    check(FileKind::Theme, files, config_dir, out)
}

/// Like [`check_themes`], for keymaps (`<config_dir>/keymaps/*.toml`).
pub fn check_keymaps(
    files: &[PathBuf],
    config_dir: Option<&Path>,
    out: &mut dyn Write,
) -> io::Result<bool> {
    check(FileKind::Keymap, files, config_dir, out)
}

/// The themes that can be chosen: built-ins, then the user's.
pub fn list_themes(config_dir: Option<&Path>) -> Vec<Available> {
    library::available(FileKind::Theme, config_dir)
}

/// The keymaps that can be chosen: built-ins, then the user's.
pub fn list_keymaps(config_dir: Option<&Path>) -> Vec<Available> {
    library::available(FileKind::Keymap, config_dir)
}

/// One line per entry: `dark  built-in`, `dark  /path/dark.toml (overrides the built-in)`.
pub fn render_available(list: &[Available]) -> String {
    let width = list
        .iter()
        .map(|a| a.name.chars().count())
        .max()
        .unwrap_or(0);
    list.iter()
        .map(|available| {
            let origin = match (&available.user_file, available.builtin) {
                (Some(path), true) => format!("{} (overrides the built-in)", path.display()),
                (Some(path), false) => path.display().to_string(),
                (None, _) => "built-in".to_owned(),
            };
            format!("{:<width$}  {origin}\n", available.name)
        })
        .collect()
}

fn check(
    kind: FileKind,
    files: &[PathBuf],
    config_dir: Option<&Path>,
    out: &mut dyn Write,
) -> io::Result<bool> {
    let mut results: Vec<(PathBuf, Vec<ConfigProblem>)> = Vec::new();
    let check_file = |path: &Path| match kind {
        FileKind::Theme => Theme::check_file(path, config_dir),
        FileKind::Keymap => Keymap::check_file(path, config_dir),
    };
    if files.is_empty() {
        for (name, _) in kind.builtins() {
            let problems = match kind {
                FileKind::Theme => Theme::check_builtin(name),
                FileKind::Keymap => Keymap::check_builtin(name),
            };
            results.push((library::builtin_path(kind, name), problems));
        }
        if let Some(dir) = config_dir {
            for (_, path) in library::user_files(kind, dir) {
                let problems = check_file(&path);
                results.push((path, problems));
            }
        }
    } else {
        for path in files {
            results.push((path.clone(), check_file(path)));
        }
    }

    // A broken parent is reported once, not once per file inheriting from it.
    let mut seen = HashSet::new();
    let mut problem_count = 0;
    let mut bad_files = 0;
    for (path, problems) in &results {
        if problems.is_empty() {
            writeln!(out, "ok {}", path.display())?;
            continue;
        }
        bad_files += 1;
        for problem in problems {
            if seen.insert(problem.clone()) {
                problem_count += 1;
                writeln!(out, "{problem}")?;
            }
        }
    }
    write_summary(out, kind.noun(), results.len(), bad_files, problem_count)?;
    Ok(bad_files == 0)
}

/// The last line of a `check`: how many files of what were checked and how many problems
/// they had. Shared by every `check` command, so they all read alike.
pub(crate) fn write_summary(
    out: &mut dyn std::io::Write,
    noun: &str,
    checked: usize,
    bad_files: usize,
    problem_count: usize,
) -> std::io::Result<()> {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    if bad_files == 0 {
        writeln!(
            out,
            "ok: {checked} {noun}{} checked, no problems",
            plural(checked)
        )
    } else {
        writeln!(
            out,
            "{problem_count} problem{} in {bad_files} of {checked} {noun}{}",
            plural(problem_count),
            plural(checked)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_check_clean() {
        let mut out = Vec::new();
        assert!(check_themes(&[], None, &mut out).unwrap());
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("ok builtin:themes/mono.toml\n"), "{text}");
        assert!(
            text.ends_with("ok: 4 themes checked, no problems\n"),
            "{text}"
        );

        let mut out = Vec::new();
        assert!(check_keymaps(&[], None, &mut out).unwrap());
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.ends_with("ok: 2 keymaps checked, no problems\n"),
            "{text}"
        );
    }

    #[test]
    fn problems_are_printed_as_path_line_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "[[global]]\nkeys = [\"q\"]\naction = \"qiut\"\n").unwrap();
        let mut out = Vec::new();
        assert!(!check_keymaps(std::slice::from_ref(&path), None, &mut out).unwrap());
        let text = String::from_utf8(out).unwrap();
        let first = text.lines().next().unwrap();
        assert!(
            first.starts_with(&format!("{}:3:10: unknown variant `qiut`", path.display())),
            "{text}"
        );
        assert!(text.ends_with("1 problem in 1 of 1 keymap\n"), "{text}");
    }

    #[test]
    fn the_list_shows_overrides_and_additions() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("themes")).unwrap();
        std::fs::write(dir.path().join("themes/dark.toml"), "inherits = \"dark\"\n").unwrap();
        std::fs::write(
            dir.path().join("themes/night.toml"),
            "inherits = \"dark\"\n",
        )
        .unwrap();
        let list = list_themes(Some(dir.path()));
        let names: Vec<&str> = list.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["dark", "light", "high-contrast", "mono", "night"]);
        assert!(list[0].builtin && list[0].user_file.is_some());
        assert!(!list[4].builtin);
        let text = render_available(&list);
        assert!(text.starts_with("dark           "), "{text}");
        assert!(text.contains("(overrides the built-in)"), "{text}");
        assert!(text.contains("light          built-in\n"), "{text}");
    }
}
