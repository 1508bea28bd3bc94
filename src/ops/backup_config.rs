//! Backup targets for containers, from the config file's `[[backup]]` tables, and the
//! questions the backups view asks of them (is the last success too old?).
//!
//! ```toml
//! [[backup]]
//! name = "shop-db"                         # unique; what `:backup ctr/NAME` names (default: the container)
//! container = "shop-postgres-1"            # container name or id
//! host = "local"                           # which Docker host; any host with the container when absent
//! argv = ["pg_dump", "-U", "shop", "shop"] # the command, as a list: never a shell string
//! policy = "daily"                         # "daily" (default), "hourly" or a duration ("6h")
//! keep = "7d"                              # retention shown in the backups view (default 7d)
//! ```

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;
use serde::Deserialize;
use toml::Spanned;

use crate::config::ConfigProblem;

/// How long backups are kept when the file does not say: the ops manual's week.
pub const DEFAULT_KEEP: Duration = Duration::from_secs(7 * 24 * 3600);

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

/// One `[[backup]]`: a command whose stdout is a container's backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupTarget {
    /// Unique among the targets; the container's name unless the file names it.
    pub name: String,
    /// The container's name or id.
    pub container: String,
    /// The Docker host (its name in the host column); `None`: whichever host has the
    /// container.
    pub host: Option<String>,
    /// The program and its arguments, exactly as the program receives them.
    pub argv: Vec<String>,
    pub policy: BackupPolicy,
    /// How long backups are kept (shown in the backups view).
    pub keep: Duration,
}

/// How old the last successful backup may be before the target is overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupPolicy {
    Daily,
    Hourly,
    Every(Duration),
}

impl BackupPolicy {
    /// The age at which the last success stops being recent enough.
    pub fn max_age(self) -> Duration {
        match self {
            BackupPolicy::Daily => DAY,
            BackupPolicy::Hourly => HOUR,
            BackupPolicy::Every(every) => every,
        }
    }

    fn parse(text: &str) -> Result<BackupPolicy, String> {
        match text {
            "daily" => Ok(BackupPolicy::Daily),
            "hourly" => Ok(BackupPolicy::Hourly),
            other => parse_period(other)
                .map(BackupPolicy::Every)
                .map_err(|e| format!("{e}; or write \"daily\" or \"hourly\"")),
        }
    }
}

/// Whether a target whose last success was at `last_success` is overdue at `now`: it never
/// succeeded, or the success is older than the policy allows.
pub fn overdue(last_success: Option<Timestamp>, policy: BackupPolicy, now: Timestamp) -> bool {
    match last_success {
        None => true,
        Some(at) => age(at, now) > policy.max_age(),
    }
}

/// When the next backup is due: the last success plus the policy's age; `None` when it
/// never succeeded (due now).
pub fn due_at(last_success: Option<Timestamp>, policy: BackupPolicy) -> Option<Timestamp> {
    let max_age = jiff::SignedDuration::try_from(policy.max_age()).ok()?;
    last_success?.checked_add(max_age).ok()
}

/// How long ago `at` was; zero when it is in the future (a clock that disagrees).
fn age(at: Timestamp, now: Timestamp) -> Duration {
    Duration::try_from(now.duration_since(at)).unwrap_or(Duration::ZERO)
}

/// A positive period: `30m`, `6h`, `7d`, `1w`, `1h30m` (days are 24 hours here).
pub fn parse_period(text: &str) -> Result<Duration, String> {
    let not_a_period = || format!("`{text}` is not a duration (write 30m, 6h, 7d)");
    let span: jiff::Span = text.trim().parse().map_err(|_| not_a_period())?;
    let signed = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|_| not_a_period())?;
    match Duration::try_from(signed) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        _ => Err(format!("`{text}`: a duration must be more than zero")),
    }
}

/// `[[backup]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupFile {
    name: Option<Spanned<String>>,
    container: Spanned<String>,
    host: Option<Spanned<String>>,
    argv: Spanned<ArgvEntry>,
    policy: Option<Spanned<String>>,
    keep: Option<Spanned<String>>,
}

/// `argv` as written: a list, or the shell string that must be refused with a reason.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ArgvEntry {
    List(Vec<String>),
    Shell(String),
}

/// The targets of every `[[backup]]` in `text` (the file at `path`), or the first problem.
pub fn resolve_backups(
    written: Vec<BackupFile>,
    path: &Path,
    text: &str,
) -> Result<Vec<BackupTarget>, ConfigProblem> {
    let problem =
        |span: Range<usize>, message: String| ConfigProblem::at_span(path, text, span, message);
    let mut targets = Vec::new();
    let mut seen: HashMap<String, Range<usize>> = HashMap::new();
    for entry in written {
        let (name_span, target) = entry.resolve().map_err(|(span, m)| problem(span, m))?;
        if let Some(first) = seen.get(&target.name) {
            let (line, _) = crate::config::problem::line_column(text, first.start);
            return Err(problem(
                name_span,
                format!(
                    "backup name `{}` is already used on line {line}; names must be unique \
                     (set name = \"…\" to tell them apart)",
                    target.name
                ),
            ));
        }
        seen.insert(target.name.clone(), name_span);
        targets.push(target);
    }
    Ok(targets)
}

type Placed = (Range<usize>, String);

impl BackupFile {
    /// The target, and where its name was written (the container's, when it has none).
    fn resolve(self) -> Result<(Range<usize>, BackupTarget), Placed> {
        let container_span = self.container.span();
        let container = self.container.into_inner();
        if container.trim().is_empty() {
            return Err((container_span, "container must not be empty".into()));
        }
        let (name_span, name) = match self.name {
            Some(name) => (name.span(), name.into_inner()),
            None => (container_span, container.clone()),
        };
        if name.trim().is_empty() {
            return Err((name_span, "name must not be empty".into()));
        }
        let host = match self.host {
            Some(host) if host.get_ref().trim().is_empty() => {
                return Err((host.span(), "host must not be empty (leave it out)".into()));
            }
            host => host.map(Spanned::into_inner),
        };
        let argv_span = self.argv.span();
        let argv = match self.argv.into_inner() {
            ArgvEntry::Shell(line) => {
                // A suggestion only: splitting on spaces is what the user must check.
                let words: Vec<&str> = line.split_whitespace().collect();
                return Err((
                    argv_span,
                    format!(
                        "argv must be a list, not a shell string (did you mean argv = {words:?}?)"
                    ),
                ));
            }
            ArgvEntry::List(argv) => argv,
        };
        if argv.first().is_none_or(|program| program.is_empty()) {
            return Err((argv_span, "argv must name a program: it is empty".into()));
        }
        let policy = match self.policy {
            None => BackupPolicy::Daily,
            Some(p) => BackupPolicy::parse(p.get_ref()).map_err(|m| (p.span(), m))?,
        };
        let keep = match self.keep {
            None => DEFAULT_KEEP,
            Some(k) => parse_period(k.get_ref()).map_err(|m| (k.span(), m))?,
        };
        let target = BackupTarget {
            name,
            container,
            host,
            argv,
            policy,
            keep,
        };
        Ok((name_span, target))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(text: &str) -> Result<Vec<BackupTarget>, ConfigProblem> {
        #[derive(Deserialize)]
        struct File {
            #[serde(default)]
            backup: Vec<BackupFile>,
        }
        let file: File = toml::from_str(text)
            .map_err(|e| ConfigProblem::from_toml(Path::new("config.toml"), text, &e))?;
        resolve_backups(file.backup, Path::new("config.toml"), text)
    }

    fn at(problem: &ConfigProblem) -> (usize, usize) {
        (problem.line, problem.column)
    }

    #[test]
    fn a_full_table_and_the_defaults_are_read() {
        let targets = resolve(
            "[[backup]]\nname = \"shop-db\"\ncontainer = \"shop-postgres-1\"\nhost = \"local\"\n\
             argv = [\"pg_dump\", \"-U\", \"shop\", \"shop\"]\npolicy = \"6h\"\nkeep = \"14d\"\n\
             [[backup]]\ncontainer = \"cache\"\nargv = [\"redis-cli\", \"--rdb\", \"-\"]\n",
        )
        .unwrap();
        assert_eq!(
            targets[0],
            BackupTarget {
                name: "shop-db".into(),
                container: "shop-postgres-1".into(),
                host: Some("local".into()),
                argv: vec!["pg_dump".into(), "-U".into(), "shop".into(), "shop".into()],
                policy: BackupPolicy::Every(Duration::from_secs(6 * 3600)),
                keep: Duration::from_secs(14 * 24 * 3600),
            }
        );
        let defaults = &targets[1];
        assert_eq!(defaults.name, "cache", "named after the container");
        assert_eq!(defaults.host, None);
        assert_eq!(defaults.policy, BackupPolicy::Daily);
        assert_eq!(defaults.keep, DEFAULT_KEEP);
        let hourly =
            resolve("[[backup]]\ncontainer = \"c\"\nargv = [\"x\"]\npolicy = \"hourly\"\n")
                .unwrap();
        assert_eq!(hourly[0].policy.max_age(), HOUR);
    }

    #[test]
    fn a_shell_string_is_refused_with_the_reason() {
        let problem = resolve("[[backup]]\ncontainer = \"db\"\nargv = \"pg_dump -U shop shop\"\n")
            .unwrap_err();
        assert_eq!(at(&problem), (3, 8));
        assert_eq!(
            problem.message,
            "argv must be a list, not a shell string \
             (did you mean argv = [\"pg_dump\", \"-U\", \"shop\", \"shop\"]?)"
        );
    }

    #[test]
    fn empty_and_missing_argv_are_placed() {
        let problem = resolve("[[backup]]\ncontainer = \"db\"\nargv = []\n").unwrap_err();
        assert_eq!(at(&problem), (3, 8));
        assert!(problem.message.contains("empty"), "{problem}");
        let problem = resolve("[[backup]]\ncontainer = \"db\"\nargv = [\"\"]\n").unwrap_err();
        assert_eq!(at(&problem), (3, 8));
        let problem = resolve("\n[[backup]]\ncontainer = \"db\"\n").unwrap_err();
        assert!(problem.message.contains("argv"), "{problem}");
        assert_eq!(problem.line, 2, "{problem}");
    }

    #[test]
    fn duplicate_names_point_at_the_second_and_name_the_first() {
        let problem = resolve(
            "[[backup]]\ncontainer = \"db\"\nargv = [\"x\"]\n\
             [[backup]]\nname = \"db\"\ncontainer = \"db-2\"\nargv = [\"y\"]\n",
        )
        .unwrap_err();
        assert_eq!(at(&problem), (5, 8));
        assert!(problem.message.contains("line 2"), "{problem}");
    }

    #[test]
    fn bad_durations_and_unknown_keys_are_placed() {
        let problem =
            resolve("[[backup]]\ncontainer = \"db\"\nargv = [\"x\"]\npolicy = \"weekly\"\n")
                .unwrap_err();
        assert_eq!(at(&problem), (4, 10));
        assert!(problem.message.contains("hourly"), "{problem}");
        let problem =
            resolve("[[backup]]\ncontainer = \"db\"\nargv = [\"x\"]\nkeep = \"0s\"\n").unwrap_err();
        assert_eq!(at(&problem), (4, 8));
        let problem = resolve("[[backup]]\ncontainer = \"db\"\nargv = [\"x\"]\nkeep = \"-1d\"\n")
            .unwrap_err();
        assert_eq!(problem.line, 4);
        let problem = resolve("[[backup]]\ncontainer = \"db\"\nargv = [\"x\"]\ncommand = \"y\"\n")
            .unwrap_err();
        assert_eq!(at(&problem), (4, 1));
        let problem = resolve("[[backup]]\ncontainer = \"\"\nargv = [\"x\"]\n").unwrap_err();
        assert_eq!(at(&problem), (2, 13));
    }

    #[test]
    fn periods_take_days_and_weeks() {
        assert_eq!(parse_period("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_period("7d"), Ok(DEFAULT_KEEP));
        assert_eq!(parse_period("1w"), Ok(DEFAULT_KEEP));
        assert_eq!(parse_period("1h30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_period("soon").is_err());
        assert!(
            parse_period("1 month").is_err(),
            "months have no fixed length"
        );
    }

    #[test]
    fn overdue_is_never_succeeded_or_older_than_the_policy() {
        let now: Timestamp = "2026-11-22T12:00:00Z".parse().unwrap();
        let ago = |hours: i64| Some(now - jiff::SignedDuration::from_hours(hours));
        assert!(overdue(None, BackupPolicy::Hourly, now));
        assert!(!overdue(ago(23), BackupPolicy::Daily, now));
        assert!(
            !overdue(ago(24), BackupPolicy::Daily, now),
            "exactly a day is in time"
        );
        assert!(overdue(ago(25), BackupPolicy::Daily, now));
        assert!(overdue(ago(2), BackupPolicy::Hourly, now));
        let six_hours = BackupPolicy::Every(Duration::from_secs(6 * 3600));
        assert!(!overdue(ago(5), six_hours, now));
        assert!(overdue(ago(7), six_hours, now));
        assert!(
            !overdue(ago(-1), BackupPolicy::Hourly, now),
            "a success in the future"
        );
        assert_eq!(
            due_at(ago(1), BackupPolicy::Daily),
            Some(now + jiff::SignedDuration::from_hours(23))
        );
        assert_eq!(due_at(None, BackupPolicy::Daily), None);
    }
}
