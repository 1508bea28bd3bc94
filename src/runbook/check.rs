//! `pilothouse runbooks check [FILE…]` and `pilothouse runbooks list`, printed like
//! `themes check` and `keymaps check`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::library::{self, Library, SHIPPED};
use super::model::{Origin, Runbook};
use crate::config::ConfigProblem;

/// Check runbook files and print `path:line:column: message` for each problem, `ok PATH`
/// for each clean file and a summary. Without `files`, checks the shipped runbooks and
/// every `<config_dir>/runbooks/*.yaml`. Returns whether everything was clean (the CLI
/// exits 1 otherwise).
pub fn check_runbooks(
    files: &[PathBuf],
    config_dir: Option<&Path>,
    out: &mut dyn Write,
) -> io::Result<bool> {
    let mut results: Vec<(PathBuf, Result<Runbook, Vec<ConfigProblem>>)> = Vec::new();
    if files.is_empty() {
        for (name, _) in SHIPPED {
            if let Some(result) = library::shipped(name) {
                results.push((library::shipped_path(name), result));
            }
        }
        for path in config_dir.map(library::user_files).unwrap_or_default() {
            let result = library::read_file(&path);
            results.push((path, result));
        }
    } else {
        for path in files {
            results.push((path.clone(), library::read_file(path)));
        }
    }
    refuse_duplicate_user_ids(&mut results);

    let mut problem_count = 0;
    let mut bad_files = 0;
    for (path, result) in &results {
        match result {
            Ok(_) => writeln!(out, "ok {}", path.display())?,
            Err(problems) => {
                bad_files += 1;
                problem_count += problems.len();
                for problem in problems {
                    writeln!(out, "{problem}")?;
                }
            }
        }
    }
    crate::config::check::write_summary(out, "runbook", results.len(), bad_files, problem_count)?;
    Ok(bad_files == 0)
}

/// Two user files with one id: the second would be skipped when loading, so it is a
/// problem here. (A user file sharing a shipped id is an override, not a problem.)
fn refuse_duplicate_user_ids(results: &mut [(PathBuf, Result<Runbook, Vec<ConfigProblem>>)]) {
    let mut seen: Vec<(String, PathBuf)> = Vec::new();
    for (path, result) in results.iter_mut() {
        let Ok(runbook) = result else { continue };
        if runbook.origin != Origin::User {
            continue;
        }
        match seen.iter().find(|(id, _)| *id == runbook.id) {
            Some((id, first)) => {
                *result = Err(vec![library::duplicate_id(path, id, first)]);
            }
            None => seen.push((runbook.id.clone(), path.clone())),
        }
    }
}

/// One line per runbook: `id  title  origin`, where origin is `built-in`, the user's file,
/// or the user's file `(overrides the built-in)`.
pub fn list_runbooks(config_dir: Option<&Path>) -> String {
    let library = Library::load(config_dir);
    let rows: Vec<(&str, &str, String)> = library
        .runbooks()
        .iter()
        .map(|r| {
            let origin = match r.origin {
                Origin::Shipped => "built-in".to_string(),
                Origin::User if library.replaces_shipped(&r.id) => {
                    format!("{} (overrides the built-in)", r.file.display())
                }
                Origin::User => r.file.display().to_string(),
            };
            (r.id.as_str(), r.title.as_str(), origin)
        })
        .collect();
    let id_width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let title_width = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
    let mut out: String = rows
        .iter()
        .map(|(id, title, origin)| format!("{id:<id_width$}  {title:<title_width$}  {origin}\n"))
        .collect();
    // Broken user files are not listed; say so rather than let them vanish.
    for problem in library.problems() {
        out.push_str(&format!("skipped: {problem}\n"));
    }
    out
}
