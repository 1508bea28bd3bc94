//! The palette's operation commands — `scale deploy/NAME N`, `restart sts/NAME`,
//! `rollback deploy/NAME [REVISION]`, `backup cronjob/NAME|ctr/NAME|schedule/NAME`,
//! `delete pod/NAME`, `cordon node/NAME`, `uncordon node/NAME`, `stop|start ctr/NAME`,
//! each with `-n NAMESPACE` and `@CONTEXT` (or `@HOST`) — parsed into an [`OpCommand`]
//! and resolved against the fleet into an [`Operation`]. The palette is scriptable and
//! what a runbook step names, so the grammar is small and strict.

use crate::config::Config;
use crate::model::{DockerContainer, KubeId, KubeKind};
use crate::ops::docker::ContainerAction;
use crate::ops::{ContainerRef, Operation, ScheduleRef};
use crate::store::Fleet;

/// The verbs, with what each says in the palette's suggestions.
pub const OP_COMMANDS: &[(&str, &str)] = &[
    ("scale ", "scale deploy/NAME N (also sts/)"),
    ("restart ", "restart deploy/NAME (also sts/, ds/, ctr/)"),
    (
        "rollback ",
        "rollback deploy/NAME [REVISION] (also sts/, ds/)",
    ),
    (
        "backup ",
        "backup cronjob/NAME (also ctr/NAME, schedule/NAME)",
    ),
    ("delete ", "delete pod/NAME"),
    ("cordon ", "cordon node/NAME"),
    ("uncordon ", "uncordon node/NAME"),
    ("stop ", "stop ctr/NAME"),
    ("start ", "start ctr/NAME"),
];

/// What the target's kind token names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Kube(KubeKind),
    Container,
    Schedule,
}

/// A parsed operation command, not yet looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpCommand {
    pub verb: String,
    pub kind: TargetKind,
    pub name: String,
    /// The replica count of `scale`, the revision of `rollback`.
    pub number: Option<i64>,
    pub namespace: Option<String>,
    /// `@NAME`: the context, or the Docker host of a container.
    pub place: Option<String>,
}

const VERBS: &[&str] = &[
    "scale", "restart", "rollback", "backup", "delete", "cordon", "uncordon", "stop", "start",
];

fn target_kind(token: &str) -> Option<TargetKind> {
    match token.to_ascii_lowercase().as_str() {
        "ctr" | "container" | "containers" => Some(TargetKind::Container),
        "schedule" | "schedules" | "schedules.velero.io" => Some(TargetKind::Schedule),
        other => KubeKind::parse(other).map(TargetKind::Kube),
    }
}

/// Parse `line`: `None` when it is not an operation command at all, `Some(Err)` with
/// what is wrong when it is one but malformed.
pub fn parse(line: &str) -> Option<Result<OpCommand, String>> {
    let mut words = line.split_whitespace();
    let verb = words.next()?;
    if !VERBS.contains(&verb) {
        return None;
    }
    Some(parse_rest(verb, words))
}

fn parse_rest<'a>(
    verb: &str,
    mut words: impl Iterator<Item = &'a str>,
) -> Result<OpCommand, String> {
    let usage = || {
        let (_, what) = OP_COMMANDS
            .iter()
            .find(|(c, _)| c.trim() == verb)
            .copied()
            .unwrap_or(("", ""));
        format!("usage: {what} [-n NAMESPACE] [@CONTEXT]")
    };
    let mut target = None;
    let mut number = None;
    let mut namespace = None;
    let mut place = None;
    while let Some(word) = words.next() {
        if word == "-n" || word == "--namespace" {
            namespace = Some(words.next().ok_or_else(usage)?.to_string());
        } else if let Some(ns) = word.strip_prefix("--namespace=") {
            namespace = Some(ns.to_string());
        } else if let Some(at) = word.strip_prefix('@') {
            place = Some(at.to_string());
        } else if target.is_none() && word.contains('/') {
            let (kind, name) = word.split_once('/').unwrap_or_default();
            let kind = target_kind(kind).ok_or_else(|| format!("unknown kind `{kind}`"))?;
            target = Some((kind, name.to_string()));
        } else if number.is_none() && target.is_some() {
            number = Some(
                word.parse::<i64>()
                    .map_err(|_| format!("`{word}` is not a number; {}", usage()))?,
            );
        } else {
            return Err(usage());
        }
    }
    let (kind, name) = target.ok_or_else(usage)?;
    if name.is_empty() {
        return Err(usage());
    }
    match (verb, number) {
        ("scale", None) => return Err(format!("scale needs a replica count; {}", usage())),
        ("scale", Some(n)) if n < 0 => return Err("replicas cannot be negative".into()),
        ("scale" | "rollback", _) => {}
        (_, Some(_)) => return Err(usage()),
        _ => {}
    }
    Ok(OpCommand {
        verb: verb.to_string(),
        kind,
        name,
        number,
        namespace,
        place,
    })
}

/// Find the command's target in the fleet and build the operation. `scope_*` are the
/// console's current scope, used where the command does not say.
pub fn resolve(
    command: &OpCommand,
    fleet: &Fleet,
    scope_context: Option<&str>,
    scope_namespace: Option<&str>,
    config: &Config,
) -> Result<Operation, String> {
    let context = command.place.as_deref().or(scope_context);
    let namespace = command.namespace.as_deref().or(scope_namespace);
    let verb = command.verb.as_str();
    match command.kind {
        TargetKind::Kube(kind) => {
            let stem = if verb == "uncordon" { "cordon" } else { verb };
            if !crate::ops::operation::accepts(stem, kind) {
                return Err(format!("{verb} does not apply to a {}", kind.name()));
            }
            let id = find_kube(fleet, kind, &command.name, context, namespace)?;
            Ok(match verb {
                "scale" => {
                    let from = fleet.workloads.get(&id).map_or(0, |w| w.desired);
                    Operation::Scale {
                        target: id,
                        from,
                        to: command.number.unwrap_or_default() as u32,
                    }
                }
                "restart" => Operation::Restart { target: id },
                "rollback" => Operation::Rollback {
                    target: id,
                    to_revision: command.number.unwrap_or(0),
                },
                "backup" => Operation::RunCronJob { target: id },
                "delete" => Operation::DeletePod { target: id },
                "cordon" => Operation::Cordon {
                    target: id,
                    cordon: true,
                },
                "uncordon" => Operation::Cordon {
                    target: id,
                    cordon: false,
                },
                _ => return Err(format!("{verb} does not apply to a {}", kind.name())),
            })
        }
        TargetKind::Container => {
            let action = match verb {
                "restart" => Some(ContainerAction::Restart),
                "stop" => Some(ContainerAction::Stop),
                "start" => Some(ContainerAction::Start),
                "backup" => None,
                _ => return Err(format!("{verb} does not apply to a container")),
            };
            match action {
                Some(action) => {
                    let c = find_container(fleet, &command.name, command.place.as_deref())?;
                    Ok(Operation::Container {
                        target: container_ref(c),
                        action,
                    })
                }
                None => {
                    let (backup, container) =
                        find_backup(fleet, config, &command.name, command.place.as_deref())?;
                    Ok(Operation::ContainerBackup {
                        target: container_ref(container),
                        backup,
                    })
                }
            }
        }
        TargetKind::Schedule => {
            if verb != "backup" {
                return Err(format!("{verb} does not apply to a Velero schedule"));
            }
            let context = match context {
                Some(c) => c.to_string(),
                None => only_context(fleet)?,
            };
            Ok(Operation::RunSchedule {
                target: ScheduleRef {
                    context,
                    namespace: namespace.unwrap_or("velero").to_string(),
                    name: command.name.clone(),
                },
            })
        }
    }
}

fn only_context(fleet: &Fleet) -> Result<String, String> {
    let mut names = fleet.contexts.keys();
    match (names.next(), names.next()) {
        (Some(one), None) => Ok(one.clone()),
        (None, _) => Err("no Kubernetes context is connected".into()),
        _ => Err("several contexts are connected: add @CONTEXT".into()),
    }
}

fn find_kube(
    fleet: &Fleet,
    kind: KubeKind,
    name: &str,
    context: Option<&str>,
    namespace: Option<&str>,
) -> Result<KubeId, String> {
    let fits = |id: &KubeId| {
        id.kind == kind
            && id.name == name
            && context.is_none_or(|c| id.context == c)
            && (kind == KubeKind::Node || namespace.is_none_or(|n| id.namespace == n))
    };
    let found: Vec<KubeId> = match kind {
        KubeKind::Pod => fleet
            .pods
            .values()
            .map(|p| &p.id)
            .filter(|id| fits(id))
            .cloned()
            .collect(),
        KubeKind::Node => fleet
            .nodes
            .values()
            .map(|n| KubeId {
                context: n.context.clone(),
                namespace: String::new(),
                kind: KubeKind::Node,
                name: n.name.clone(),
            })
            .filter(fits)
            .collect(),
        _ => fleet
            .workloads
            .values()
            .map(|w| &w.id)
            .filter(|id| fits(id))
            .cloned()
            .collect(),
    };
    match found.len() {
        1 => Ok(found.into_iter().next().unwrap_or_else(|| unreachable!())),
        0 => Err(format!(
            "no {}/{name}{}{} in the fleet",
            kind.short(),
            namespace
                .filter(|_| kind != KubeKind::Node)
                .map(|n| format!(" in {n}"))
                .unwrap_or_default(),
            context.map(|c| format!(" @{c}")).unwrap_or_default()
        )),
        _ => {
            let places: Vec<String> = found
                .iter()
                .map(|id| {
                    if id.namespace.is_empty() {
                        format!("@{}", id.context)
                    } else {
                        format!("{}@{}", id.namespace, id.context)
                    }
                })
                .collect();
            Err(format!(
                "{}/{name} is ambiguous ({}): add -n NAMESPACE or @CONTEXT",
                kind.short(),
                places.join(", ")
            ))
        }
    }
}

fn find_container<'a>(
    fleet: &'a Fleet,
    name: &str,
    host: Option<&str>,
) -> Result<&'a DockerContainer, String> {
    let found: Vec<&DockerContainer> = fleet
        .containers
        .values()
        .filter(|c| {
            (c.name == name || c.id.id.starts_with(name)) && host.is_none_or(|h| c.id.host == h)
        })
        .collect();
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(format!("no container {name} in the fleet")),
        many => Err(format!(
            "ctr/{name} is ambiguous (on {}): add @HOST",
            many.iter()
                .map(|c| c.id.host.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn container_ref(c: &DockerContainer) -> ContainerRef {
    ContainerRef {
        host: c.id.host.clone(),
        id: c.id.id.clone(),
        name: c.name.clone(),
    }
}

/// The `[[backup]]` named `name` (or naming container `name`) and its container.
fn find_backup<'a>(
    fleet: &'a Fleet,
    config: &Config,
    name: &str,
    host: Option<&str>,
) -> Result<(String, &'a DockerContainer), String> {
    let entry = config
        .backups
        .iter()
        .find(|b| b.name == name)
        .or_else(|| config.backups.iter().find(|b| b.container == name))
        .ok_or_else(|| format!("no [[backup]] named {name} in the config"))?;
    let host = host.or(entry.host.as_deref());
    let container = find_container(fleet, &entry.container, host)?;
    Ok((entry.name.clone(), container))
}

/// The `[[backup]]` entry for a container, if the config has one.
pub fn backup_for_container(config: &Config, container: &DockerContainer) -> Option<String> {
    config
        .backups
        .iter()
        .find(|b| {
            (b.container == container.name || container.id.id.starts_with(&b.container))
                && b.host.as_deref().is_none_or(|h| h == container.id.host)
        })
        .map(|b| b.name.clone())
}

/// Tab completion for an operation command being typed: the fleet's targets the verb
/// applies to, fully qualified (`scale deploy/api -n shop @sim-prod `) so the line is
/// never ambiguous. `None` when `input` is not an operation command with its verb typed.
pub fn complete(input: &str, fleet: &Fleet) -> Option<Vec<(String, String)>> {
    let (verb, typed) = input.split_once(' ')?;
    if !VERBS.contains(&verb) || typed.contains(' ') {
        return None;
    }
    let stem = if verb == "uncordon" { "cordon" } else { verb };
    let mut out = Vec::new();
    let mut offer = |target: String, namespace: &str, place: &str, what: String| {
        if target.starts_with(typed) || typed.is_empty() {
            let ns = if namespace.is_empty() {
                String::new()
            } else {
                format!(" -n {namespace}")
            };
            let trailing = if verb == "scale" { " " } else { "" };
            out.push((format!("{verb} {target}{ns} @{place}{trailing}"), what));
        }
    };
    for w in fleet.workloads.values() {
        if crate::ops::operation::accepts(stem, w.id.kind) {
            let what = format!(
                "{} in {}@{}",
                w.id.kind.name(),
                w.id.namespace,
                w.id.context
            );
            offer(
                format!("{}/{}", w.id.kind.short(), w.id.name),
                &w.id.namespace,
                &w.id.context,
                what,
            );
        }
    }
    if stem == "delete" {
        for p in fleet.pods.values() {
            let what = format!("pod in {}@{}", p.id.namespace, p.id.context);
            offer(
                format!("pod/{}", p.id.name),
                &p.id.namespace,
                &p.id.context,
                what,
            );
        }
    }
    if stem == "cordon" {
        for n in fleet.nodes.values() {
            offer(
                format!("node/{}", n.name),
                "",
                &n.context,
                format!("node of {}", n.context),
            );
        }
    }
    if matches!(verb, "restart" | "stop" | "start") {
        for c in fleet.containers.values() {
            offer(
                format!("ctr/{}", c.name),
                "",
                &c.id.host,
                format!("container on {}", c.id.host),
            );
        }
    }
    out.sort();
    out.truncate(200);
    Some(out)
}

/// The RBAC question whose cached answer decides whether `op` is offered:
/// (verb, resource, target).
pub fn rbac_question(op: &Operation) -> Option<(&'static str, String, &KubeId)> {
    let (verb, resource, target) = match op {
        Operation::Scale { target, .. } => {
            ("patch", format!("{}/scale", plural(target.kind)), target)
        }
        Operation::Restart { target } | Operation::Rollback { target, .. } => {
            ("patch", plural(target.kind).to_string(), target)
        }
        Operation::RunCronJob { target } => ("create", "jobs".to_string(), target),
        Operation::DeletePod { target } => ("delete", "pods".to_string(), target),
        Operation::Cordon { target, .. } => ("patch", "nodes".to_string(), target),
        _ => return None,
    };
    Some((verb, resource, target))
}

fn plural(kind: KubeKind) -> &'static str {
    match kind {
        KubeKind::Deployment => "deployments",
        KubeKind::StatefulSet => "statefulsets",
        KubeKind::DaemonSet => "daemonsets",
        KubeKind::CronJob => "cronjobs",
        KubeKind::Job => "jobs",
        KubeKind::Pod => "pods",
        KubeKind::Node => "nodes",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> OpCommand {
        parse(line).expect("an op command").expect("valid")
    }

    #[test]
    fn commands_parse_with_namespace_and_context_anywhere() {
        let c = ok("scale deploy/api 5 -n shop @sim-prod");
        assert_eq!(c.kind, TargetKind::Kube(KubeKind::Deployment));
        assert_eq!(
            (
                c.name.as_str(),
                c.number,
                c.namespace.as_deref(),
                c.place.as_deref()
            ),
            ("api", Some(5), Some("shop"), Some("sim-prod"))
        );
        let c = ok("rollback @stg sts/db 3");
        assert_eq!((c.number, c.place.as_deref()), (Some(3), Some("stg")));
        assert_eq!(ok("backup schedule/daily-full").kind, TargetKind::Schedule);
        assert_eq!(ok("restart ctr/web-1").kind, TargetKind::Container);
    }

    #[test]
    fn malformed_commands_say_what_is_wrong() {
        assert!(parse("pods").is_none(), "not an operation");
        let err = |line: &str| parse(line).unwrap().unwrap_err();
        assert!(err("scale deploy/api").contains("replica count"));
        assert!(err("scale deploy/api x").contains("not a number"));
        assert!(err("scale deploy/api -1").contains("negative"));
        assert!(err("delete pod/x 3").starts_with("usage"));
        assert!(err("restart widget/x").contains("unknown kind"));
        assert!(err("cordon").starts_with("usage"));
    }
}
