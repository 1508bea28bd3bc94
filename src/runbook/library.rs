//! The runbooks the console knows: the shipped ones, embedded from `assets/runbooks/`, and
//! the user's, from `<config>/runbooks/*.yaml`, which add to them or replace one by id.
//! A broken user runbook is reported and skipped; the shipped one it meant to replace
//! stays.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::locate::{YamlPath, locate};
use super::model::{Origin, Runbook};
use super::parse::parse_runbook;
use crate::config::ConfigProblem;
use crate::incident::Severity;

/// The shipped runbooks, by file stem. A test proves every one checks clean.
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "database-failure",
        include_str!("../../assets/runbooks/database-failure.yaml"),
    ),
    (
        "service-failure",
        include_str!("../../assets/runbooks/service-failure.yaml"),
    ),
    (
        "high-error-rate",
        include_str!("../../assets/runbooks/high-error-rate.yaml"),
    ),
    (
        "high-cpu",
        include_str!("../../assets/runbooks/high-cpu.yaml"),
    ),
    (
        "high-memory",
        include_str!("../../assets/runbooks/high-memory.yaml"),
    ),
    (
        "release-rollback",
        include_str!("../../assets/runbooks/release-rollback.yaml"),
    ),
    (
        "backup-restore-drill",
        include_str!("../../assets/runbooks/backup-restore-drill.yaml"),
    ),
    (
        "daily-checklist",
        include_str!("../../assets/runbooks/daily-checklist.yaml"),
    ),
    (
        "emergency-response",
        include_str!("../../assets/runbooks/emergency-response.yaml"),
    ),
];

/// The pseudo-path a shipped runbook's problems are reported under.
pub fn shipped_path(name: &str) -> PathBuf {
    PathBuf::from(format!("builtin:runbooks/{name}.yaml"))
}

/// `<config>/runbooks`.
pub fn user_dir(config_dir: &Path) -> PathBuf {
    config_dir.join("runbooks")
}

/// The user's runbook files (`*.yaml`, `*.yml`), sorted by name so that which of two
/// files defining one id wins does not depend on the directory's order.
pub fn user_files(config_dir: &Path) -> Vec<PathBuf> {
    // A missing or unreadable directory simply has no user runbooks.
    let Ok(entries) = std::fs::read_dir(user_dir(config_dir)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml") && p.is_file())
        .collect();
    files.sort();
    files
}

/// Read and check one runbook file.
pub fn read_file(path: &Path) -> Result<Runbook, Vec<ConfigProblem>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![ConfigProblem::whole_file(path, format!("cannot read: {e}"))])?;
    parse_runbook(&text, path, Origin::User)
}

/// The shipped runbook `name` (a file stem in [`SHIPPED`]), checked.
pub fn shipped(name: &str) -> Option<Result<Runbook, Vec<ConfigProblem>>> {
    let (name, text) = SHIPPED.iter().find(|(n, _)| *n == name)?;
    Some(parse_runbook(text, &shipped_path(name), Origin::Shipped))
}

/// Every runbook available, and what was wrong with the files that were skipped.
#[derive(Debug, Clone, Default)]
pub struct Library {
    runbooks: Vec<Runbook>,
    /// Ids of shipped runbooks that a user runbook replaced.
    replaced: Vec<String>,
    problems: Vec<ConfigProblem>,
}

impl Library {
    /// Load the shipped runbooks and those in `<config_dir>/runbooks/`. Never fails.
    pub fn load(config_dir: Option<&Path>) -> Library {
        let mut library = Library::default();
        for (name, _) in SHIPPED {
            match shipped(name) {
                Some(Ok(runbook)) => library.runbooks.push(runbook),
                Some(Err(problems)) => library.problems.extend(problems),
                None => {}
            }
        }
        let shipped_count = library.runbooks.len();
        for path in config_dir.map(user_files).unwrap_or_default() {
            let runbook = match read_file(&path) {
                Ok(runbook) => runbook,
                Err(problems) => {
                    library.problems.extend(problems);
                    continue;
                }
            };
            match library.runbooks.iter().position(|r| r.id == runbook.id) {
                Some(at)
                    if at < shipped_count && library.runbooks[at].origin == Origin::Shipped =>
                {
                    library.replaced.push(runbook.id.clone());
                    library.runbooks[at] = runbook;
                }
                Some(at) => {
                    library.problems.push(duplicate_id(
                        &path,
                        &runbook.id,
                        &library.runbooks[at].file,
                    ));
                }
                None => library.runbooks.push(runbook),
            }
        }
        library
    }

    /// Every runbook: the shipped ones (or the user's replacements) in order, then the
    /// user's additions by file name.
    pub fn runbooks(&self) -> &[Runbook] {
        &self.runbooks
    }

    /// The problems of skipped files, for the console to show.
    pub fn problems(&self) -> &[ConfigProblem] {
        &self.problems
    }

    /// The runbook with this id.
    pub fn get(&self, id: &str) -> Option<&Runbook> {
        self.runbooks.iter().find(|r| r.id == id)
    }

    /// Whether a user runbook replaced the shipped one with this id.
    pub fn replaces_shipped(&self, id: &str) -> bool {
        self.replaced.iter().any(|r| r == id)
    }

    /// [`matching`] over this library.
    pub fn matching(
        &self,
        labels: &BTreeMap<String, String>,
        severity: Option<Severity>,
    ) -> Vec<&Runbook> {
        matching(&self.runbooks, labels, severity)
    }
}

/// A second file defining an id, pointed at its `id:`.
pub(super) fn duplicate_id(path: &Path, id: &str, first: &Path) -> ConfigProblem {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let (line, column) = locate(&text, &YamlPath::root().key("id"));
    ConfigProblem {
        file: path.to_path_buf(),
        line,
        column,
        message: format!(
            "runbook id `{id}` is already defined by {}; this file is skipped",
            first.display()
        ),
    }
}

/// The runbooks that apply to an incident with an alert's `labels` (empty for one declared
/// by hand) and `severity`, best first:
///
/// 1. those with an alert matcher that matches, the most specific matcher first (more
///    labels, then more exact values rather than patterns);
/// 2. then those whose `severities` include the incident's.
///
/// Within a rank, library order (shipped first). Runbooks matching neither are left out,
/// so a check list with no `applies_to` is never suggested, only chosen.
pub fn matching<'a>(
    runbooks: &'a [Runbook],
    labels: &BTreeMap<String, String>,
    severity: Option<Severity>,
) -> Vec<&'a Runbook> {
    let mut scored: Vec<(u32, usize, &Runbook)> = runbooks
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let score = score(r, labels, severity);
            (score > 0).then_some((score, i, r))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, _, r)| r).collect()
}

fn score(runbook: &Runbook, labels: &BTreeMap<String, String>, severity: Option<Severity>) -> u32 {
    let by_severity =
        u32::from(severity.is_some_and(|s| runbook.applies_to.severities.contains(&s)));
    let by_alert = if labels.is_empty() {
        0
    } else {
        runbook
            .applies_to
            .alerts
            .iter()
            .filter(|m| {
                m.labels
                    .iter()
                    .all(|l| l.matches(labels.get(&l.name).map_or("", String::as_str)))
            })
            .map(|m| {
                let exact = m.labels.iter().filter(|l| l.is_literal()).count() as u32;
                1000 + 10 * m.labels.len() as u32 + exact
            })
            .max()
            .unwrap_or(0)
    };
    by_alert + by_severity
}
