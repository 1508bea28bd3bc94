//! The wait-condition language of `wait` steps (`until:`), parsed into a [`Condition`].
//!
//! One line, words separated by spaces, with the palette's `-n NAMESPACE` and `@CONTEXT`
//! (or `@HOST`) anywhere; names may hold `{{param}}` placeholders:
//!
//! | condition                              | holds when                                      |
//! |----------------------------------------|-------------------------------------------------|
//! | `deployment/NAME ready == desired`     | rolled out: updated, ready and available replicas all reach desired (also `sts/`, `ds/`, any kubectl spelling) |
//! | `deployment/NAME ready >= N`           | at least N replicas are ready                    |
//! | `pod/NAME running`                     | phase Running and every container running       |
//! | `pod/NAME ready`                       | running, and every container ready              |
//! | `job/NAME succeeded` (or `job NAME …`) | the Job completed; `failed`: it failed. `NAME*` means the newest Job whose name starts so |
//! | `cronjob/NAME succeeded`               | the newest Job the CronJob started succeeded (`failed` likewise) |
//! | `ctr/NAME running`                     | the Docker container is running                 |
//! | `ctr/NAME healthy`                     | running, and its HEALTHCHECK (if any) says healthy |
//! | `node/NAME ready`                      | the node reports Ready                          |
//! | `alert NAME resolved`                  | no alert NAME is active (firing, silenced or inhibited); `-n NS` looks only at alerts labelled `namespace=NS` |
//! | `alert NAME firing`                    | an alert NAME is active                          |

use std::fmt;

use super::template::Template;
use crate::model::KubeKind;

/// A parsed wait condition. Names are [`Template`]s, filled from the runbook's parameters
/// when it is evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// A Deployment, StatefulSet or DaemonSet rolled out: `ready == desired`.
    RolledOut(KubeTarget),
    /// At least `count` replicas ready: `ready >= N`.
    ReadyAtLeast { target: KubeTarget, count: u32 },
    /// A pod running (`ready: false`) or running with every container ready.
    Pod { target: KubeTarget, ready: bool },
    /// A Job (or the newest of a name prefix) finished with `outcome`.
    Job {
        target: KubeTarget,
        prefix: bool,
        outcome: Outcome,
    },
    /// The newest Job a CronJob started finished with `outcome`.
    CronJob {
        target: KubeTarget,
        outcome: Outcome,
    },
    /// A Docker container running (or healthy).
    Container {
        name: Template,
        host: Option<Template>,
        healthy: bool,
    },
    /// A node Ready.
    NodeReady {
        name: Template,
        context: Option<Template>,
    },
    /// An alert resolved (gone) or firing (active).
    Alert {
        name: Template,
        namespace: Option<Template>,
        resolved: bool,
    },
}

/// A Kubernetes object named by a condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeTarget {
    pub kind: KubeKind,
    pub name: Template,
    pub namespace: Option<Template>,
    pub context: Option<Template>,
}

/// How a Job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    Failed,
}

const FORMS: &str = "KIND/NAME ready == desired, KIND/NAME ready >= N, pod/NAME running|ready, \
    job/NAME succeeded|failed, cronjob/NAME succeeded|failed, ctr/NAME running|healthy, \
    node/NAME ready, alert NAME resolved|firing";

impl Condition {
    /// Parse a condition; the error says what is wrong and what forms exist.
    pub fn parse(text: &str) -> Result<Condition, String> {
        let normalized = tighten_placeholders(text);
        let mut words = Vec::new();
        let mut namespace = None;
        let mut place = None;
        let mut iter = normalized.split_whitespace();
        while let Some(word) = iter.next() {
            if word == "-n" || word == "--namespace" {
                let ns = iter.next().ok_or("`-n` needs a namespace")?;
                namespace = Some(template(ns)?);
            } else if let Some(ns) = word.strip_prefix("--namespace=") {
                namespace = Some(template(ns)?);
            } else if let Some(at) = word.strip_prefix('@') {
                place = Some(template(at)?);
            } else {
                words.push(word);
            }
        }
        let unknown = || {
            format!(
                "`{}` is not a condition; write one of: {FORMS}",
                text.trim()
            )
        };
        let Some((&subject, predicate)) = words.split_first() else {
            return Err(format!("an empty condition; write one of: {FORMS}"));
        };
        if subject == "alert" {
            let [name, state] = predicate else {
                return Err(unknown());
            };
            let resolved = match *state {
                "resolved" => true,
                "firing" => false,
                other => return Err(format!("an alert is `resolved` or `firing`, not `{other}`")),
            };
            if place.is_some() {
                return Err("`@` does not apply to an alert condition".into());
            }
            return Ok(Condition::Alert {
                name: template(name)?,
                namespace,
                resolved,
            });
        }
        // `job NAME succeeded` reads naturally; it means `job/NAME succeeded`.
        let (kind_word, name, predicate) = match subject.split_once('/') {
            Some((kind, name)) => (kind, name, predicate),
            None => match predicate.split_first() {
                Some((name, rest)) if KubeKind::parse(subject).is_some() => (subject, *name, rest),
                _ => return Err(unknown()),
            },
        };
        if name.is_empty() {
            return Err(format!("`{subject}` names no object"));
        }
        let predicate = predicate.join(" ");
        if matches!(kind_word, "ctr" | "container" | "containers") {
            if namespace.is_some() {
                return Err("`-n` does not apply to a container".into());
            }
            let healthy = match predicate.as_str() {
                "running" => false,
                "healthy" => true,
                _ => {
                    return Err(format!(
                        "a container is `running` or `healthy`, not `{predicate}`"
                    ));
                }
            };
            return Ok(Condition::Container {
                name: template(name)?,
                host: place,
                healthy,
            });
        }
        let kind =
            KubeKind::parse(kind_word).ok_or_else(|| format!("unknown kind `{kind_word}`"))?;
        let (prefix, name) = match name.strip_suffix('*') {
            Some(stem) if kind == KubeKind::Job => (true, stem),
            Some(_) => return Err("only a Job's name may end in `*`".into()),
            None => (false, name),
        };
        if kind == KubeKind::Node {
            if namespace.is_some() {
                return Err("`-n` does not apply to a node".into());
            }
            return match predicate.as_str() {
                "ready" => Ok(Condition::NodeReady {
                    name: template(name)?,
                    context: place,
                }),
                _ => Err(format!("a node is `ready`, not `{predicate}`")),
            };
        }
        let target = KubeTarget {
            kind,
            name: template(name)?,
            namespace,
            context: place,
        };
        let outcome = |p: &str| match p {
            "succeeded" | "complete" | "completed" => Some(Outcome::Succeeded),
            "failed" => Some(Outcome::Failed),
            _ => None,
        };
        match kind {
            KubeKind::Deployment | KubeKind::StatefulSet | KubeKind::DaemonSet => {
                let words: Vec<&str> = predicate.split_whitespace().collect();
                match words.as_slice() {
                    ["ready", "==", "desired"] => Ok(Condition::RolledOut(target)),
                    ["ready", ">=", n] => {
                        let count = n
                            .parse()
                            .map_err(|_| format!("`{n}` is not a replica count"))?;
                        Ok(Condition::ReadyAtLeast { target, count })
                    }
                    _ => Err(format!(
                        "a {} condition is `ready == desired` or `ready >= N`, not `{predicate}`",
                        kind.name()
                    )),
                }
            }
            KubeKind::Pod => match predicate.as_str() {
                "running" => Ok(Condition::Pod {
                    target,
                    ready: false,
                }),
                "ready" => Ok(Condition::Pod {
                    target,
                    ready: true,
                }),
                _ => Err(format!("a pod is `running` or `ready`, not `{predicate}`")),
            },
            KubeKind::Job => match outcome(&predicate) {
                Some(outcome) => Ok(Condition::Job {
                    target,
                    prefix,
                    outcome,
                }),
                None => Err(format!(
                    "a Job has `succeeded` or `failed`, not `{predicate}`"
                )),
            },
            KubeKind::CronJob => match outcome(&predicate) {
                Some(outcome) => Ok(Condition::CronJob { target, outcome }),
                None => Err(format!(
                    "a CronJob's newest job has `succeeded` or `failed`, not `{predicate}`"
                )),
            },
            KubeKind::Node => unreachable!("handled above"),
        }
    }

    /// Every template in the condition, to check the parameters they name.
    pub fn templates(&self) -> Vec<&Template> {
        fn target(t: &KubeTarget) -> Vec<&Template> {
            [Some(&t.name), t.namespace.as_ref(), t.context.as_ref()]
                .into_iter()
                .flatten()
                .collect()
        }
        match self {
            Condition::RolledOut(t)
            | Condition::ReadyAtLeast { target: t, .. }
            | Condition::Pod { target: t, .. }
            | Condition::Job { target: t, .. }
            | Condition::CronJob { target: t, .. } => target(t),
            Condition::Container { name, host, .. } => {
                [Some(name), host.as_ref()].into_iter().flatten().collect()
            }
            Condition::NodeReady { name, context } => [Some(name), context.as_ref()]
                .into_iter()
                .flatten()
                .collect(),
            Condition::Alert {
                name, namespace, ..
            } => [Some(name), namespace.as_ref()]
                .into_iter()
                .flatten()
                .collect(),
        }
    }
}

fn template(text: &str) -> Result<Template, String> {
    Template::parse(text)
}

/// `{{ name }}` → `{{name}}`, so that a placeholder is one word when the line is split.
fn tighten_placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        match after.find("}}") {
            Some(close) => {
                out.push_str("{{");
                out.push_str(after[..close].trim());
                out.push_str("}}");
                rest = &after[close + 2..];
            }
            None => {
                // Left as is: the template parser reports it.
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The canonical spelling, which parses back to the same condition.
impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scope = |f: &mut fmt::Formatter<'_>, ns: &Option<Template>, at: &Option<Template>| {
            if let Some(ns) = ns {
                write!(f, " -n {ns}")?;
            }
            if let Some(at) = at {
                write!(f, " @{at}")?;
            }
            Ok(())
        };
        let outcome = |o: &Outcome| match o {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
        };
        match self {
            Condition::RolledOut(t) => {
                write!(f, "{}/{} ready == desired", t.kind.short(), t.name)?;
                scope(f, &t.namespace, &t.context)
            }
            Condition::ReadyAtLeast { target: t, count } => {
                write!(f, "{}/{} ready >= {count}", t.kind.short(), t.name)?;
                scope(f, &t.namespace, &t.context)
            }
            Condition::Pod { target: t, ready } => {
                let state = if *ready { "ready" } else { "running" };
                write!(f, "pod/{} {state}", t.name)?;
                scope(f, &t.namespace, &t.context)
            }
            Condition::Job {
                target: t,
                prefix,
                outcome: o,
            } => {
                let star = if *prefix { "*" } else { "" };
                write!(f, "job/{}{star} {}", t.name, outcome(o))?;
                scope(f, &t.namespace, &t.context)
            }
            Condition::CronJob {
                target: t,
                outcome: o,
            } => {
                write!(f, "cronjob/{} {}", t.name, outcome(o))?;
                scope(f, &t.namespace, &t.context)
            }
            Condition::Container {
                name,
                host,
                healthy,
            } => {
                let state = if *healthy { "healthy" } else { "running" };
                write!(f, "ctr/{name} {state}")?;
                scope(f, &None, host)
            }
            Condition::NodeReady { name, context } => {
                write!(f, "node/{name} ready")?;
                scope(f, &None, context)
            }
            Condition::Alert {
                name,
                namespace,
                resolved,
            } => {
                let state = if *resolved { "resolved" } else { "firing" };
                write!(f, "alert {name} {state}")?;
                scope(f, namespace, &None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Condition {
        Condition::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn every_form_parses_and_prints_back() {
        for (text, canonical) in [
            (
                "deployment/api ready == desired",
                "deploy/api ready == desired",
            ),
            (
                "sts/{{database}} ready == desired -n {{ namespace }}",
                "sts/{{database}} ready == desired -n {{namespace}}",
            ),
            (
                "deploy/api ready >= 2 @sim-prod",
                "deploy/api ready >= 2 @sim-prod",
            ),
            (
                "pod/postgres-0 running -n shop",
                "pod/postgres-0 running -n shop",
            ),
            ("pod/postgres-0 ready", "pod/postgres-0 ready"),
            ("job NAME succeeded", "job/NAME succeeded"),
            ("job/redis-backup-* failed", "job/redis-backup-* failed"),
            (
                "cj/postgres-backup succeeded",
                "cronjob/postgres-backup succeeded",
            ),
            ("ctr/shop-db-1 healthy", "ctr/shop-db-1 healthy"),
            ("node/prod-node-2 ready", "node/prod-node-2 ready"),
            (
                "alert HighErrorRate resolved",
                "alert HighErrorRate resolved",
            ),
            (
                "alert HighErrorRate firing -n shop",
                "alert HighErrorRate firing -n shop",
            ),
        ] {
            let condition = parse(text);
            assert_eq!(condition.to_string(), canonical);
            assert_eq!(parse(canonical), condition, "{canonical}");
        }
        assert!(matches!(
            parse("job backup-* succeeded"),
            Condition::Job { prefix: true, .. }
        ));
    }

    #[test]
    fn malformed_conditions_say_what_is_wrong() {
        let err = |text: &str| Condition::parse(text).unwrap_err();
        assert!(err("").contains("empty condition"));
        assert!(err("deployment/api is happy").contains("ready == desired"));
        assert!(err("widget/x ready").contains("unknown kind `widget`"));
        assert!(err("alert HighErrorRate gone").contains("`resolved` or `firing`"));
        assert!(err("deploy/api ready >= many").contains("not a replica count"));
        assert!(err("eventually").contains("is not a condition"));
        assert!(err("deploy/api* ready == desired").contains("only a Job"));
        assert!(err("node/x ready -n shop").contains("does not apply to a node"));
        assert!(err("pod/{{name ready").contains("closing"));
    }
}
