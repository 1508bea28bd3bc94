//! What an `action` step may run: a palette operation command (`scale`, `restart`,
//! `rollback`, `backup`, `delete`, `cordon`, `uncordon`, `stop`, `start`, as
//! [`ops_target`](crate::app::ops_target) parses them) or an alert command (`silence`,
//! `expire`). Checked here so that a runbook that could never run fails `runbooks check`,
//! not the engineer in the middle of an incident.

use std::time::Duration;

use crate::app::ops_target::{self, OpCommand, TargetKind};
use crate::sources::alertmanager::settings::parse_duration;

/// A checked action command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionCommand {
    /// An operation on a workload, pod, node, container or Velero schedule.
    Operation(OpCommand),
    /// `silence ALERTNAME [DURATION] [COMMENT…]`.
    Silence {
        alertname: String,
        duration: Option<Duration>,
        comment: String,
    },
    /// `expire [ALERTNAME]`: the silences of the named alert, else of the incident's.
    Expire { alertname: Option<String> },
}

/// The verbs an action may start with, for messages.
const ACTION_VERBS: &str =
    "scale, restart, rollback, backup, delete, cordon, uncordon, stop, start, silence, expire";

/// Parse and check `line`, a palette command with its parameters already filled in.
pub fn parse_action(line: &str) -> Result<ActionCommand, String> {
    let line = line.trim();
    let (verb, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    if let Some(parsed) = ops_target::parse(line) {
        let command = parsed?;
        applies(&command)?;
        return Ok(ActionCommand::Operation(command));
    }
    match verb {
        "silence" => parse_silence(rest.trim()),
        "expire" | "unsilence" => {
            let mut words = rest.split_whitespace();
            let alertname = words.next().map(str::to_string);
            if words.next().is_some() {
                return Err("usage: expire [ALERTNAME]".into());
            }
            Ok(ActionCommand::Expire { alertname })
        }
        "" => Err(format!("an empty action: write one of {ACTION_VERBS}")),
        other => Err(format!(
            "unknown action `{other}`: an action is one of {ACTION_VERBS}"
        )),
    }
}

fn parse_silence(args: &str) -> Result<ActionCommand, String> {
    let usage = "usage: silence ALERTNAME [DURATION] [COMMENT]";
    let (alertname, rest) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    if alertname.is_empty() {
        // The palette silences the selection; a runbook has none, so it names the alert.
        return Err(format!("{usage} (a runbook names the alert)"));
    }
    let rest = rest.trim();
    let (first, comment) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    // As in the palette: a first word that reads as a duration is one, else it is comment.
    let (duration, comment) = match parse_duration(first) {
        Ok(d) if d.is_zero() => return Err(format!("a silence of `{first}` ends at once")),
        Ok(d) => (Some(d), comment.trim()),
        Err(_) if looks_like_duration(first) => {
            return Err(format!("`{first}` is not a duration (write 30m, 2h)"));
        }
        Err(_) => (None, rest),
    };
    Ok(ActionCommand::Silence {
        alertname: alertname.to_string(),
        duration,
        comment: comment.to_string(),
    })
}

/// `30x`, `2hh`: a typo of a duration, better refused than taken for a comment.
fn looks_like_duration(word: &str) -> bool {
    word.chars().next().is_some_and(|c| c.is_ascii_digit())
        && word.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The checks [`ops_target::resolve`] makes before it looks at the fleet: does the verb
/// apply to the kind at all.
fn applies(command: &OpCommand) -> Result<(), String> {
    let verb = command.verb.as_str();
    let ok = match command.kind {
        TargetKind::Kube(kind) => {
            let stem = if verb == "uncordon" { "cordon" } else { verb };
            crate::ops::operation::accepts(stem, kind)
        }
        TargetKind::Container => matches!(verb, "restart" | "stop" | "start" | "backup"),
        TargetKind::Schedule => verb == "backup",
    };
    if ok {
        Ok(())
    } else {
        let what = match command.kind {
            TargetKind::Kube(kind) => kind.name(),
            TargetKind::Container => "container",
            TargetKind::Schedule => "Velero schedule",
        };
        Err(format!("{verb} does not apply to a {what}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_verb_and_the_alert_commands_are_actions() {
        for line in [
            "scale deploy/api 5 -n shop",
            "restart sts/postgres -n shop @sim-prod",
            "rollback deploy/api 2",
            "backup cronjob/postgres-backup -n shop",
            "backup ctr/shop-db",
            "backup schedule/daily-full",
            "delete pod/postgres-0 -n shop",
            "cordon node/prod-node-2",
            "uncordon node/prod-node-2",
            "stop ctr/shop-worker-1",
            "start ctr/shop-worker-1",
            "expire",
            "expire HighErrorRate",
        ] {
            assert!(
                parse_action(line).is_ok(),
                "{line}: {:?}",
                parse_action(line)
            );
        }
        assert_eq!(
            parse_action("silence HighCPUUsage 30m scaling out").unwrap(),
            ActionCommand::Silence {
                alertname: "HighCPUUsage".into(),
                duration: Some(Duration::from_secs(1800)),
                comment: "scaling out".into(),
            }
        );
    }

    #[test]
    fn wrong_actions_say_why() {
        let err = |line: &str| parse_action(line).unwrap_err();
        assert!(err("reboot node/x").starts_with("unknown action `reboot`"));
        assert!(err("scale pod/x 3").contains("does not apply to a Pod"));
        assert!(err("stop deploy/api").contains("does not apply"));
        assert!(err("scale deploy/api").contains("replica count"));
        assert!(err("silence").contains("names the alert"));
        assert!(err("silence HighCPUUsage 30x").contains("not a duration"));
        assert!(err("").contains("empty action"));
    }
}
