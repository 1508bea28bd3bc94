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
    Help,
    Quit,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaletteError {
    #[error("unknown command `{0}` (try :help)")]
    Unknown(String),
    #[error("`:{0}` needs a name, or `all`")]
    MissingArgument(&'static str),
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
        let mut names: Vec<&str> = fleet
            .workloads
            .values()
            .map(|w| w.id.namespace.as_str())
            .chain(fleet.pods.values().map(|p| p.id.namespace.as_str()))
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
        return fleet
            .contexts
            .keys()
            .map(String::as_str)
            .chain(["all"])
            .filter(|n| n.starts_with(rest.trim()))
            .map(|n| Suggestion {
                command: format!("ctx {n}"),
                description: "context scope".into(),
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
        .chain([
            Suggestion {
                command: "ns ".into(),
                description: "set namespace scope".into(),
            },
            Suggestion {
                command: "ctx ".into(),
                description: "set context scope".into(),
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
