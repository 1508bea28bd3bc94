//! Reading a runbook file and checking it, with every problem at its file:line:column.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::time::Duration;

use super::command::parse_action;
use super::condition::Condition;
use super::locate::{YamlPath, locate};
use super::model::{
    AlertMatcher, AppliesTo, DecisionOption, END, LabelMatcher, ObserveView, Origin, Parameter,
    Runbook, Step, StepBody,
};
use super::raw::{RawParameter, RawRunbook, RawStep, StepKind};
use super::template::{Template, is_param_name};
use crate::config::ConfigProblem;
use crate::sources::alertmanager::settings::parse_duration;

/// How long a `wait` step waits when it does not say.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// Parse and check the runbook in `text`; `file` names it in problems. Either a runbook
/// with no problems, or every problem found (at least one).
pub fn parse_runbook(
    text: &str,
    file: &Path,
    origin: Origin,
) -> Result<Runbook, Vec<ConfigProblem>> {
    // serde_norway reads an empty document as a map with nothing in it, which would be
    // reported as a missing `id`: say what is really wrong.
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(vec![ConfigProblem::whole_file(
            file,
            "the file is empty: a runbook needs id, title and steps",
        )]);
    }
    let raw: RawRunbook =
        serde_norway::from_str(text).map_err(|e| vec![syntax_problem(file, &e)])?;
    let mut checker = Checker {
        text,
        file,
        problems: Vec::new(),
    };
    let runbook = checker.check(raw, origin);
    if checker.problems.is_empty() {
        Ok(runbook)
    } else {
        checker.problems.sort_by_key(|p| (p.line, p.column));
        Err(checker.problems)
    }
}

/// A serde_norway error as a problem. Its message ends in ` at line L column C`, which the
/// problem says in its own way, so that part is cut.
fn syntax_problem(file: &Path, error: &serde_norway::Error) -> ConfigProblem {
    let (line, column) = error
        .location()
        .map_or((1, 1), |l| (l.line().max(1), l.column().max(1)));
    let text = error.to_string();
    let message = strip_position(&text);
    let message = if message.contains(".kind: unknown variant") {
        message.replacen("unknown variant", "unknown step kind", 1)
    } else {
        message
    };
    ConfigProblem {
        file: file.to_path_buf(),
        line,
        column,
        message,
    }
}

/// `… at line 8 column 7, while …` → `…, while …`: the problem's prefix says where.
fn strip_position(text: &str) -> String {
    let mut out = text.to_string();
    while let Some(at) = out.find(" at line ") {
        let rest = &out[at + " at line ".len()..];
        let digits = |s: &str| s.chars().take_while(char::is_ascii_digit).count();
        let line_len = digits(rest);
        let Some(after_column) = rest[line_len..].strip_prefix(" column ") else {
            break;
        };
        if line_len == 0 {
            break;
        }
        let column_len = digits(after_column);
        let end = at + " at line ".len() + line_len + " column ".len() + column_len;
        out.replace_range(at..end, "");
    }
    out
}

struct Checker<'a> {
    text: &'a str,
    file: &'a Path,
    problems: Vec<ConfigProblem>,
}

impl Checker<'_> {
    fn problem(&mut self, path: &YamlPath, message: impl Into<String>) {
        let (line, column) = locate(self.text, path);
        self.problems.push(ConfigProblem {
            file: self.file.to_path_buf(),
            line,
            column,
            message: message.into(),
        });
    }

    /// A problem about `{{name}}` inside the string at `path`: pointed at the placeholder
    /// itself when it is on the string's first line, as it almost always is.
    fn placeholder_problem(&mut self, path: &YamlPath, name: &str, message: String) {
        let (line, column) = locate(self.text, path);
        let column = self
            .text
            .lines()
            .nth(line - 1)
            .and_then(|l| {
                let start = l.char_indices().nth(column - 1).map_or(l.len(), |(i, _)| i);
                let at = l[start..]
                    .find(&format!("{{{{{name}"))
                    .or_else(|| l[start..].find(&format!("{{{{ {name}")))?;
                Some(l[..start + at].chars().count() + 1)
            })
            .unwrap_or(column);
        self.problems.push(ConfigProblem {
            file: self.file.to_path_buf(),
            line,
            column,
            message,
        });
    }

    fn check(&mut self, mut raw: RawRunbook, origin: Origin) -> Runbook {
        let root = YamlPath::root();
        if !is_param_name(&raw.id) {
            self.problem(
                &root.key("id"),
                format!(
                    "`{}` is not a runbook id (letters, digits, `_` and `-`)",
                    raw.id
                ),
            );
        }
        if raw.title.trim().is_empty() {
            self.problem(&root.key("title"), "the title is empty");
        }
        let applies_to = self.applies_to(&raw, &root);
        let parameters = self.parameters(std::mem::take(&mut raw.parameters), &root);
        let declared: BTreeSet<&str> = parameters.iter().map(|p| p.name.as_str()).collect();
        let steps_path = root.key("steps");
        if raw.steps.is_empty() {
            self.problem(&steps_path, "a runbook needs at least one step");
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, step) in raw.steps.iter().enumerate() {
            let id_path = steps_path.index(i).key("id");
            if step.id == END {
                self.problem(
                    &id_path,
                    format!("`{END}` is reserved: it is the target that ends the runbook"),
                );
            } else if !is_param_name(&step.id) {
                self.problem(
                    &id_path,
                    format!(
                        "`{}` is not a step id (letters, digits, `_` and `-`)",
                        step.id
                    ),
                );
            }
            if let Some(first) = seen.insert(&step.id, i) {
                let (line, _) = locate(self.text, &steps_path.index(first).key("id"));
                self.problem(
                    &id_path,
                    format!(
                        "duplicate step id `{}` (first used on line {line})",
                        step.id
                    ),
                );
            }
        }
        let ids: BTreeSet<&str> = raw.steps.iter().map(|s| s.id.as_str()).collect();
        let context = StepContext {
            declared: &declared,
            ids: &ids,
            parameters: &parameters,
        };
        let steps = raw
            .steps
            .iter()
            .enumerate()
            .filter_map(|(i, step)| self.step(step, &steps_path.index(i), &context))
            .collect();
        Runbook {
            id: raw.id,
            title: raw.title,
            description: raw.description,
            applies_to,
            parameters,
            steps,
            file: self.file.to_path_buf(),
            origin,
        }
    }

    fn applies_to(&mut self, raw: &RawRunbook, root: &YamlPath) -> AppliesTo {
        let path = root.key("applies_to").key("alerts");
        let mut alerts = Vec::new();
        for (i, labels) in raw.applies_to.alerts.iter().enumerate() {
            if labels.is_empty() {
                self.problem(
                    &path.index(i),
                    "an alert matcher needs at least one label (alertname: NAME)",
                );
                continue;
            }
            let mut matchers = Vec::new();
            for (name, pattern) in labels {
                match LabelMatcher::new(name, pattern) {
                    Ok(m) => matchers.push(m),
                    Err(e) => self.problem(&path.index(i).key(name), e),
                }
            }
            alerts.push(AlertMatcher { labels: matchers });
        }
        AppliesTo {
            severities: raw.applies_to.severities.clone(),
            alerts,
        }
    }

    fn parameters(&mut self, raw: Vec<RawParameter>, root: &YamlPath) -> Vec<Parameter> {
        let path = root.key("parameters");
        let mut out: Vec<Parameter> = Vec::new();
        for (i, p) in raw.into_iter().enumerate() {
            if !is_param_name(&p.name) {
                self.problem(
                    &path.index(i).key("name"),
                    format!(
                        "`{}` is not a parameter name (letters, digits, `_` and `-`)",
                        p.name
                    ),
                );
            } else if out.iter().any(|q| q.name == p.name) {
                self.problem(
                    &path.index(i).key("name"),
                    format!("duplicate parameter `{}`", p.name),
                );
            }
            out.push(Parameter {
                name: p.name,
                description: p.description,
                from_labels: p.from_label.into_vec(),
                default: p.default,
                required: p.required,
            });
        }
        out
    }

    /// A template at `path` whose placeholders all name declared parameters.
    fn template(
        &mut self,
        text: &str,
        path: &YamlPath,
        declared: &BTreeSet<&str>,
    ) -> Option<Template> {
        let template = match Template::parse(text) {
            Ok(t) => t,
            Err(e) => {
                self.problem(path, e);
                return None;
            }
        };
        let mut ok = true;
        for name in template.names() {
            if !declared.contains(name) {
                ok = false;
                let known = if declared.is_empty() {
                    "this runbook declares no parameters".to_string()
                } else {
                    format!(
                        "declared: {}",
                        declared.iter().copied().collect::<Vec<_>>().join(", ")
                    )
                };
                self.placeholder_problem(
                    path,
                    name,
                    format!("`{{{{{name}}}}}` names no parameter ({known})"),
                );
            }
        }
        ok.then_some(template)
    }

    fn target(&mut self, target: Option<&str>, path: &YamlPath, ids: &BTreeSet<&str>, what: &str) {
        if let Some(id) = target
            && id != END
            && !ids.contains(id)
        {
            self.problem(
                path,
                format!(
                    "{what} `{id}` names no step (steps: {}; or `{END}`)",
                    ids.iter().copied().collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }

    fn step(&mut self, raw: &RawStep, path: &YamlPath, cx: &StepContext) -> Option<Step> {
        self.target(raw.next.as_deref(), &path.key("next"), cx.ids, "next");
        self.target(
            raw.on_failure.as_deref(),
            &path.key("on_failure"),
            cx.ids,
            "on_failure",
        );
        self.template(&raw.title, &path.key("title"), cx.declared);
        // Fields of another kind are a mistake worth naming: `command` on a check step
        // means the author meant an action.
        let (required, optional) = raw.kind.fields();
        let kind = raw.kind.name();
        let mut complete = true;
        for field in raw.present_fields() {
            if !required.contains(&field) && !optional.contains(&field) {
                complete = false;
                self.problem(
                    &path.key(field),
                    format!(
                        "`{field}` does not belong to a {kind} step ({}; a {kind} step has {})",
                        owner(field),
                        describe(required, optional)
                    ),
                );
            }
        }
        let present = raw.present_fields();
        for field in required {
            if !present.contains(field) {
                complete = false;
                self.problem(&path.key("kind"), format!("a {kind} step needs `{field}`"));
            }
        }
        if !complete {
            return None;
        }
        let body = self.body(raw, path, cx)?;
        Some(Step {
            id: raw.id.clone(),
            title: raw.title.clone(),
            next: raw.next.clone(),
            on_failure: raw.on_failure.clone(),
            body,
        })
    }

    fn body(&mut self, raw: &RawStep, path: &YamlPath, cx: &StepContext) -> Option<StepBody> {
        let declared = cx.declared;
        Some(match raw.kind {
            StepKind::Check => {
                let items = raw.items.clone().unwrap_or_default();
                if items.is_empty() {
                    self.problem(&path.key("items"), "a check step needs at least one item");
                }
                for (i, item) in items.iter().enumerate() {
                    self.template(item, &path.key("items").index(i), declared);
                }
                StepBody::Check { items }
            }
            StepKind::Action => {
                let text = raw.command.as_deref().unwrap_or_default();
                let command_path = path.key("command");
                let command = self.template(text, &command_path, declared)?;
                // Check the command's shape with stand-in values: a default where there
                // is one, else `1`, which is both a valid name and a valid number.
                let stand_in = command
                    .render_with(|name| cx.default_of(name).unwrap_or_else(|| "1".to_string()));
                if let Err(e) = parse_action(&stand_in) {
                    self.problem(&command_path, format!("action `{text}`: {e}"));
                    return None;
                }
                if let Some(note) = &raw.confirm_note {
                    self.template(note, &path.key("confirm_note"), declared);
                }
                StepBody::Action {
                    command,
                    confirm_note: raw.confirm_note.clone(),
                }
            }
            StepKind::Observe => {
                let view = raw.view.unwrap_or(ObserveView::Alerts);
                let target = match &raw.target {
                    Some(t) => Some(self.template(t, &path.key("target"), declared)?),
                    None => None,
                };
                let filter = match &raw.filter {
                    Some(f) => Some(self.template(f, &path.key("filter"), declared)?),
                    None => None,
                };
                if view == ObserveView::Logs && target.is_none() {
                    self.problem(
                        &path.key("view"),
                        "a logs view needs a `target` (deploy/NAME, pod/NAME, ctr/NAME)",
                    );
                    return None;
                }
                if let Some(t) = &target
                    && matches!(view, ObserveView::Logs | ObserveView::Pods)
                {
                    let stand_in =
                        t.render_with(|name| cx.default_of(name).unwrap_or_else(|| "x".into()));
                    if let Err(e) = observe_target(&stand_in) {
                        self.problem(&path.key("target"), e);
                        return None;
                    }
                }
                StepBody::Observe {
                    view,
                    target,
                    filter,
                }
            }
            StepKind::Wait => {
                let text = raw.until.as_deref().unwrap_or_default();
                let until = match Condition::parse(text) {
                    Ok(c) => c,
                    Err(e) => {
                        self.problem(&path.key("until"), e);
                        return None;
                    }
                };
                let mut ok = true;
                for t in until.templates() {
                    ok &= self
                        .template(t.as_str(), &path.key("until"), declared)
                        .is_some();
                }
                let timeout = match raw.timeout.as_deref().map(parse_duration) {
                    None => DEFAULT_WAIT_TIMEOUT,
                    Some(Ok(d)) if !d.is_zero() => d,
                    Some(Ok(_)) => {
                        self.problem(&path.key("timeout"), "a timeout of zero never waits");
                        return None;
                    }
                    Some(Err(e)) => {
                        self.problem(&path.key("timeout"), e);
                        return None;
                    }
                };
                if !ok {
                    return None;
                }
                StepBody::Wait { until, timeout }
            }
            StepKind::Decision => {
                let question = raw.question.clone().unwrap_or_default();
                self.template(&question, &path.key("question"), declared);
                let raw_options = raw.options.as_deref().unwrap_or_default();
                if raw_options.len() < 2 {
                    self.problem(
                        &path.key("options"),
                        "a decision needs at least two options",
                    );
                }
                let mut options = Vec::new();
                for (i, o) in raw_options.iter().enumerate() {
                    self.target(
                        Some(&o.next),
                        &path.key("options").index(i).key("next"),
                        cx.ids,
                        "option target",
                    );
                    options.push(DecisionOption {
                        label: o.label.clone(),
                        next: o.next.clone(),
                    });
                }
                StepBody::Decision { question, options }
            }
            StepKind::Note => {
                let text = raw.text.clone().unwrap_or_default();
                self.template(&text, &path.key("text"), declared);
                StepBody::Note { text }
            }
        })
    }
}

struct StepContext<'a> {
    declared: &'a BTreeSet<&'a str>,
    ids: &'a BTreeSet<&'a str>,
    parameters: &'a [Parameter],
}

impl StepContext<'_> {
    /// A parameter's default, when it has a non-empty one: the value the command will most
    /// likely run with, so a bad default (`replicas: three`) is caught too.
    fn default_of(&self, name: &str) -> Option<String> {
        self.parameters
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.default.clone())
            .filter(|d| !d.trim().is_empty())
    }
}

/// `KIND/NAME [-n NS] [@CTX]` for the logs and pods views.
fn observe_target(text: &str) -> Result<(), String> {
    let Some(first) = text.split_whitespace().next() else {
        return Ok(());
    };
    let Some((kind, _)) = first.split_once('/') else {
        return Err(format!(
            "observe target `{text}` is not KIND/NAME (deploy/NAME, pod/NAME, ctr/NAME)"
        ));
    };
    let known =
        matches!(kind, "ctr" | "container") || crate::model::KubeKind::parse(kind).is_some();
    if known {
        Ok(())
    } else {
        Err(format!("unknown kind `{kind}` in observe target `{text}`"))
    }
}

/// `it is for action steps`: which kind a field belongs to.
fn owner(field: &str) -> String {
    let kinds = [
        StepKind::Check,
        StepKind::Action,
        StepKind::Observe,
        StepKind::Wait,
        StepKind::Decision,
        StepKind::Note,
    ];
    let owners: Vec<&str> = kinds
        .iter()
        .filter(|k| {
            let (required, optional) = k.fields();
            required.contains(&field) || optional.contains(&field)
        })
        .map(|k| k.name())
        .collect();
    format!("it is for {} steps", owners.join(" and "))
}

fn describe(required: &[&str], optional: &[&str]) -> String {
    let mut parts: Vec<String> = required.iter().map(|f| format!("`{f}`")).collect();
    parts.extend(optional.iter().map(|f| format!("optional `{f}`")));
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::model::NextStep;

    fn parse(text: &str) -> Result<Runbook, Vec<String>> {
        parse_runbook(text, Path::new("r.yaml"), Origin::User)
            .map_err(|ps| ps.iter().map(ToString::to_string).collect())
    }

    const WALK: &str = "\
id: walk
title: Walk
parameters:
  - {name: deployment, from_label: [deployment, service], default: api}
steps:
  - {id: a, kind: check, title: 'Check {{deployment}}', items: [x]}
  - {id: b, kind: decision, title: B, question: Q, options: [{label: y, next: d}, {label: n, next: end}]}
  - {id: c, kind: wait, title: C, until: 'deploy/{{deployment}} ready >= 1', on_failure: a}
  - {id: d, kind: note, title: D, text: done, next: c}
";

    #[test]
    fn steps_follow_in_order_unless_they_say_otherwise() {
        let r = parse(WALK).unwrap();
        assert_eq!(r.next_after(0), NextStep::Step(1));
        assert_eq!(r.next_after(3), NextStep::Step(2));
        assert_eq!(r.next_after(2), NextStep::Step(3));
        assert_eq!(r.on_failure(2), Some(NextStep::Step(0)));
        assert_eq!(r.on_failure(0), None);
        assert_eq!(r.target("end"), NextStep::End);
        let StepBody::Wait { timeout, .. } = &r.steps[2].body else {
            unreachable!()
        };
        assert_eq!(*timeout, DEFAULT_WAIT_TIMEOUT);
        let params = r.fill_parameters(&[("service".to_string(), "web".to_string())].into());
        assert_eq!(
            crate::runbook::fill(&r.steps[0].title, &params),
            "Check web"
        );
    }

    #[test]
    fn a_bad_default_fails_the_action_it_feeds() {
        let text = "\
id: x
title: X
parameters:
  - {name: replicas, default: three}
steps:
  - {id: s, kind: action, title: S, command: 'scale deploy/api {{replicas}}'}
";
        let problems = parse(text).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].starts_with(
                "r.yaml:6:46: action `scale deploy/api {{replicas}}`: `three` is not a number"
            ),
            "{problems:?}"
        );
    }

    #[test]
    fn reserved_and_malformed_names_are_refused() {
        let text = "\
id: 'bad id'
title: ''
applies_to:
  alerts:
    - {alertname: '(unclosed'}
    - {}
parameters:
  - {name: ns}
  - {name: ns}
steps:
  - {id: end, kind: note, title: N, text: '{{nope}}'}
  - {id: o, kind: observe, title: O, view: logs}
";
        let problems = parse(text).unwrap_err();
        let expected = [
            "r.yaml:1:5: `bad id` is not a runbook id",
            "r.yaml:2:8: the title is empty",
            "r.yaml:5:19: `(unclosed` is not a regular expression",
            "r.yaml:6:7: an alert matcher needs at least one label",
            "r.yaml:9:12: duplicate parameter `ns`",
            "r.yaml:11:10: `end` is reserved",
            "r.yaml:11:44: `{{nope}}` names no parameter (declared: ns)",
            "r.yaml:12:44: a logs view needs a `target`",
        ];
        assert_eq!(problems.len(), expected.len(), "{problems:#?}");
        for (problem, want) in problems.iter().zip(expected) {
            assert!(problem.starts_with(want), "{problem}\nwant {want}");
        }
    }

    #[test]
    fn an_empty_file_says_what_a_runbook_needs() {
        let problems = parse("").unwrap_err();
        assert_eq!(
            problems,
            ["r.yaml:1:1: the file is empty: a runbook needs id, title and steps"]
        );
    }
}
