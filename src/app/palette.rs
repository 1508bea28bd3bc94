//! The `:` command palette: jump to views by alias, set the namespace and context scope.
//!
//! Parsing is separate from doing, so the commands a runbook step names can be checked
//! without a screen.

use crate::store::Fleet;
use crate::ui::state::ViewKind;

/// A parsed palette command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Go(ViewKind),
    /// `:ns NAME`, `:ns all` (None).
    Namespace(Option<String>),
    /// `:ctx NAME`, `:ctx all` (None).
    Context(Option<String>),
    /// `:tail N`, `:tail all` (None): lines asked for when a log stream is first followed.
    Tail(Option<i64>),
    /// `:since 10m`, `:since all` (None): how far back a newly followed log stream starts.
    Since(Option<i64>),
    Help,
    Quit,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaletteError {
    #[error("unknown command `{0}` (try :help)")]
    Unknown(String),
    #[error("`:{0}` needs a name, or `all`")]
    MissingArgument(&'static str),
    #[error("`{0}` is not a {1} (e.g. {2}, or `all`)")]
    BadValue(String, &'static str, &'static str),
}

/// `30s`, `10m`, `2h`, `1d` (or plain seconds) as seconds.
fn seconds(text: &str) -> Option<i64> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (n, unit) = text.split_at(split);
    let n: i64 = n.parse().ok()?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return None,
    };
    Some(n * scale)
}

pub fn parse(input: &str) -> Result<Command, PaletteError> {
    let mut words = input.split_whitespace();
    let Some(head) = words.next() else {
        return Err(PaletteError::Unknown(String::new()));
    };
    let arg = words.next();
    let scope = |arg: Option<&str>| arg.filter(|a| *a != "all" && *a != "*").map(String::from);
    match head {
        "q" | "quit" | "q!" => Ok(Command::Quit),
        "help" | "h" | "?" => Ok(Command::Help),
        "ns" | "namespace" => match arg {
            Some(a) => Ok(Command::Namespace(scope(Some(a)))),
            None => Err(PaletteError::MissingArgument("ns")),
        },
        "tail" => match arg {
            None | Some("all") => Ok(Command::Tail(None)),
            Some(a) => a
                .parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .map(|n| Command::Tail(Some(n)))
                .ok_or_else(|| PaletteError::BadValue(a.into(), "line count", "`:tail 500`")),
        },
        "since" => match arg {
            None | Some("all") => Ok(Command::Since(None)),
            Some(a) => seconds(a)
                .filter(|n| *n > 0)
                .map(|n| Command::Since(Some(n)))
                .ok_or_else(|| PaletteError::BadValue(a.into(), "duration", "`:since 15m`")),
        },
        "ctx" | "context" => match arg {
            Some(a) => Ok(Command::Context(scope(Some(a)))),
            None => Err(PaletteError::MissingArgument("ctx")),
        },
        other => ViewKind::ALL
            .iter()
            .find(|v| v.aliases().contains(&other))
            .map(|v| Command::Go(*v))
            .ok_or_else(|| PaletteError::Unknown(other.to_string())),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// What Tab puts in the prompt.
    pub command: String,
    pub description: String,
}

/// What the palette offers for the text typed so far: commands, then namespaces and contexts.
pub fn suggestions(input: &str, fleet: &Fleet) -> Vec<Suggestion> {
    let input = input.trim_start();
    if let Some(rest) = input.strip_prefix("ns ") {
        // The namespaces the sources listed, and any a workload is in (fixtures list none).
        let mut names: Vec<&str> = fleet
            .namespaces
            .values()
            .flatten()
            .map(String::as_str)
            .chain(fleet.workloads.values().map(|w| w.id.namespace.as_str()))
            .collect();
        names.push("all");
        names.sort_unstable();
        names.dedup();
        return names
            .into_iter()
            .filter(|n| n.starts_with(rest.trim()))
            .map(|n| Suggestion {
                command: format!("ns {n}"),
                description: "namespace scope".into(),
            })
            .collect();
    }
    if let Some(rest) = input.strip_prefix("ctx ") {
        let mut names: Vec<&str> = fleet
            .contexts
            .keys()
            .chain(&fleet.available_contexts)
            .map(String::as_str)
            .chain(["all"])
            .collect();
        names.sort_unstable();
        names.dedup();
        return names
            .into_iter()
            .filter(|n| n.starts_with(rest.trim()))
            .map(|n| Suggestion {
                command: format!("ctx {n}"),
                description: "context scope".into(),
            })
            .collect();
    }
    if let Some(targets) = super::ops_target::complete(input, fleet) {
        return targets
            .into_iter()
            .map(|(command, description)| Suggestion {
                command,
                description,
            })
            .collect();
    }
    let mut out: Vec<Suggestion> = ViewKind::ALL
        .iter()
        .flat_map(|v| {
            v.aliases().iter().map(move |a| Suggestion {
                command: (*a).to_string(),
                description: format!("go to {}", v.title()),
            })
        })
        .chain(
            super::alerts_glue::ALERT_COMMANDS
                .iter()
                .map(|(command, what)| Suggestion {
                    command: (*command).to_string(),
                    description: (*what).to_string(),
                }),
        )
        .chain(
            super::ops_target::OP_COMMANDS
                .iter()
                .map(|(command, what)| Suggestion {
                    command: (*command).to_string(),
                    description: (*what).to_string(),
                }),
        )
        .chain([
            Suggestion {
                command: "ns ".into(),
                description: "set namespace scope".into(),
            },
            Suggestion {
                command: "ctx ".into(),
                description: "set context scope (+NAME adds, -NAME drops)".into(),
            },
            Suggestion {
                command: "tail ".into(),
                description: "lines a new log stream starts with".into(),
            },
            Suggestion {
                command: "since ".into(),
                description: "how far back a new log stream starts".into(),
            },
            Suggestion {
                command: "help".into(),
                description: "show keys".into(),
            },
            Suggestion {
                command: "quit".into(),
                description: "leave pilothouse".into(),
            },
        ])
        .filter(|s| s.command.starts_with(input))
        .collect();
    out.dedup_by(|a, b| a.command == b.command);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_reach_their_views() {
        assert_eq!(parse("po"), Ok(Command::Go(ViewKind::Pods)));
        assert_eq!(parse("deploy"), Ok(Command::Go(ViewKind::Workloads)));
        assert_eq!(parse("ctr"), Ok(Command::Go(ViewKind::Containers)));
        assert_eq!(parse(" alerts "), Ok(Command::Go(ViewKind::Alerts)));
    }

    #[test]
    fn scope_commands_take_a_name_or_all() {
        assert_eq!(
            parse("ns shop"),
            Ok(Command::Namespace(Some("shop".into())))
        );
        assert_eq!(parse("ns all"), Ok(Command::Namespace(None)));
        assert_eq!(parse("ctx prod"), Ok(Command::Context(Some("prod".into()))));
        assert_eq!(parse("ns"), Err(PaletteError::MissingArgument("ns")));
        assert_eq!(parse("tail 500"), Ok(Command::Tail(Some(500))));
        assert_eq!(parse("tail all"), Ok(Command::Tail(None)));
        assert!(matches!(
            parse("tail lots"),
            Err(PaletteError::BadValue(..))
        ));
        assert_eq!(parse("since 15m"), Ok(Command::Since(Some(900))));
        assert_eq!(parse("since 2h"), Ok(Command::Since(Some(7200))));
        assert!(matches!(
            parse("since soon"),
            Err(PaletteError::BadValue(..))
        ));
        assert!(matches!(parse("frobnicate"), Err(PaletteError::Unknown(_))));
    }

    #[test]
    fn suggestions_complete_prefixes_and_namespaces() {
        let mut fleet = Fleet::new();
        for e in crate::fixture::embedded(jiff::Timestamp::UNIX_EPOCH) {
            fleet.apply(e);
        }
        let s = suggestions("de", &fleet);
        assert!(s.iter().any(|s| s.command == "deploy"));
        let ns: Vec<_> = suggestions("ns p", &fleet)
            .into_iter()
            .map(|s| s.command)
            .collect();
        assert_eq!(ns, vec!["ns payments"]);
    }
}
