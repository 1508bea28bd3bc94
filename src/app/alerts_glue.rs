//! The alerts view's part of the app (issue 6): silences from the console, new-since-
//! last-look marks, and the jump from an alert to what its labels name.
//!
//! Wiring (in `app/`): a field `pub alerts: super::alerts_glue::AlertsGlue` on `App`
//! (`Default`), and four calls —
//! - `prepare_frame`: `self.prepare_alerts_frame();` first;
//! - `run_command`, first: `if self.run_alert_command(line) { return; }`;
//! - `open_selected`: `ViewKind::Alerts => self.open_alert_context(),`.
//!
//! `main` gives it the sources' control: `app.alerts.attach(control)`.
//!
//! Creating or expiring a silence changes the world: it is an operation (issue 7), so it
//! goes through the operation dialog — plan, confirmation in proportion to risk, the
//! runner, the audit log — like a scale or a rollback.

use std::collections::{HashMap, HashSet};

use super::App;
use crate::model::{Alert, AlertId};
use crate::sources::alertmanager::settings::parse_duration;
use crate::sources::alertmanager::silence::DEFAULT_SILENCE;
use crate::sources::alertmanager::{AlertControl, SilenceOp, SilenceRequest};
use crate::ui::state::ViewKind;
use crate::ui::table::RowRef;
use crate::ui::views::alerts::{AlertsContext, set_context};

/// The palette commands this adds, for its suggestions: (command, what it does).
pub const ALERT_COMMANDS: &[(&str, &str)] = &[
    (
        "silence ",
        "silence [ALERTNAME] [DURATION] [COMMENT]: the named alerts, else the selection",
    ),
    ("expire", "expire the silences of the selected alert"),
    ("silences", "list the active silences"),
];

/// What the app keeps for the alerts view.
#[derive(Debug, Default)]
pub struct AlertsGlue {
    control: Option<AlertControl>,
    /// The alerts present when the user last looked (entered the view the first time,
    /// or left it since); `None` before the first look.
    seen: Option<HashSet<AlertId>>,
    on_alerts: bool,
    /// `who: why` per silence id, from the Alertmanagers.
    silences: HashMap<String, String>,
    /// The view's context needs setting again.
    context_changed: bool,
}

impl AlertsGlue {
    /// Take the alert sources' control (silences, their list).
    pub fn attach(&mut self, control: AlertControl) {
        self.control = Some(control);
    }

    /// Poll the Alertmanagers now: an operation may have changed their silences.
    pub fn refresh(&self) {
        if let Some(control) = &self.control {
            control.refresh();
        }
    }
}

impl App {
    /// Before each frame: note a look at the alerts view, show finished silence
    /// operations, and tell the view what is new and who silenced what.
    pub(super) fn prepare_alerts_frame(&mut self) {
        let on = self.ui.view == ViewKind::Alerts;
        let glue = &mut self.alerts;
        if on != glue.on_alerts && (!on || glue.seen.is_none()) {
            // Leaving the view, or entering it the first time: what is there now is seen.
            glue.seen = Some(self.fleet.alerts.values().map(|a| a.id.clone()).collect());
            glue.context_changed = true;
        }
        glue.on_alerts = on;
        let mut outcomes = Vec::new();
        if let Some(control) = &mut glue.control {
            while let Some(outcome) = control.take_outcome() {
                outcomes.push(outcome);
            }
            if control.silences_changed() {
                glue.silences = control
                    .silences()
                    .into_iter()
                    .map(|s| (s.id.clone(), s.who_and_why()))
                    .collect();
                glue.context_changed = true;
            }
        }
        if glue.context_changed {
            glue.context_changed = false;
            set_context(AlertsContext {
                seen: glue.seen.clone(),
                silences: glue.silences.clone(),
            });
        }
        for outcome in outcomes {
            self.set_status(outcome.message(), outcome.result.is_err());
        }
    }

    /// `:silence [DURATION] [COMMENT…]`, `:expire` (or `:unsilence`), `:silences`. Returns
    /// whether `line` was one of these.
    pub(super) fn run_alert_command(&mut self, line: &str) -> bool {
        let line = line.trim();
        let (head, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        match head {
            "silence" => self.ask_silence(rest.trim()),
            "expire" | "unsilence" => self.ask_expire(),
            "silences" => self.list_silences(),
            _ => return false,
        }
        true
    }

    /// The selected alerts: the row's alert, or every alert of a selected group heading.
    pub(super) fn selected_alerts(&self) -> Vec<&Alert> {
        if self.ui.view != ViewKind::Alerts {
            return Vec::new();
        }
        let state = self.ui.table(ViewKind::Alerts);
        let at = |i: u32| self.fleet.alerts.get_index(i as usize);
        match state.selected_row() {
            Some(RowRef::Item(i)) => at(i).into_iter().collect(),
            Some(RowRef::Group(_)) => {
                // The items below the heading, up to the next heading.
                let from = state.selected + 1;
                state.rows[from.min(state.rows.len())..]
                    .iter()
                    .map_while(|row| row.item())
                    .filter_map(at)
                    .collect()
            }
            None => Vec::new(),
        }
    }

    fn ask(&mut self, ops: Vec<SilenceOp>) {
        self.ask_operation(crate::ops::Operation::Silence { ops });
    }

    fn refuse_if_read_only(&mut self) -> bool {
        if self.ui.read_only {
            self.set_status("read-only: silences change the Alertmanager", true);
        }
        self.ui.read_only
    }

    fn ask_silence(&mut self, args: &str) {
        if self.refuse_if_read_only() {
            return;
        }
        // `:silence ALERTNAME [DURATION] [COMMENT]` names the alerts (what a runbook step
        // says); `:silence [DURATION] [COMMENT]` silences the selection.
        let (first, rest) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
        let named: Vec<&Alert> = self
            .fleet
            .alerts
            .values()
            .filter(|a| !first.is_empty() && a.name() == first)
            .collect();
        let args = if named.is_empty() { args } else { rest.trim() };
        let (first, comment) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
        let (duration, comment) = match parse_duration(first) {
            Ok(d) if !d.is_zero() => (d, comment.trim()),
            _ => (DEFAULT_SILENCE, args),
        };
        let alerts = if named.is_empty() {
            self.selected_alerts()
        } else {
            named
        };
        if alerts.is_empty() {
            self.set_status(
                "select an alert, or a group, in the alerts view to silence",
                true,
            );
            return;
        }
        // One silence per Alertmanager the selection comes from.
        let mut by_source: Vec<(&str, Vec<&Alert>)> = Vec::new();
        for a in alerts {
            match by_source.iter_mut().find(|(s, _)| *s == a.id.source) {
                Some((_, list)) => list.push(a),
                None => by_source.push((&a.id.source, vec![a])),
            }
        }
        let ops = by_source
            .into_iter()
            .map(|(_, list)| {
                let request = match list.as_slice() {
                    [one] => SilenceRequest::for_alert(one, duration, comment),
                    many => SilenceRequest::for_alerts(many, duration, comment),
                };
                SilenceOp::Create(request)
            })
            .collect();
        self.ask(ops);
    }

    fn ask_expire(&mut self) {
        if self.refuse_if_read_only() {
            return;
        }
        let mut ops: Vec<SilenceOp> = Vec::new();
        for a in self.selected_alerts() {
            for id in &a.silenced_by {
                let op = SilenceOp::Expire {
                    source: a.id.source.clone(),
                    id: id.clone(),
                };
                if !ops.contains(&op) {
                    ops.push(op);
                }
            }
        }
        if ops.is_empty() {
            self.set_status("the selected alert is not silenced", true);
            return;
        }
        self.ask(ops);
    }

    fn list_silences(&mut self) {
        let Some(control) = &self.alerts.control else {
            self.set_status("no Alertmanager is connected", true);
            return;
        };
        let active: Vec<String> = control
            .silences()
            .iter()
            .filter(|s| s.state != crate::model::alert::SilenceState::Expired)
            .map(|s| {
                let short: String = s.id.chars().take(8).collect();
                format!(
                    "{short} {} until {}",
                    s.who_and_why(),
                    s.ends_at.strftime("%H:%M")
                )
            })
            .collect();
        let text = if active.is_empty() {
            "no active silences".to_string()
        } else {
            format!("{} active: {}", active.len(), active.join(" | "))
        };
        self.set_status(text, false);
    }

    /// Enter on an alert: go to the pods, workload, node, host or container its labels
    /// name, filtered to it; say its runbook when it has one.
    pub(super) fn open_alert_context(&mut self) {
        let Some(a) = self.selected_alerts().into_iter().next().cloned() else {
            return;
        };
        let Some((view, filter)) = alert_context(&a) else {
            self.set_status(format!("{} names nothing pilothouse shows", a.name()), true);
            return;
        };
        self.go(view);
        let state = self.ui.table_mut(view);
        state.filter = filter;
        state.selected = 0;
        if let Some(url) = a.runbook_url() {
            // A runbook_url naming one of ours opens it in the incident view, through I.
            let text = match super::incident_glue::runbook_of_url(&self.incidents.library, url) {
                Some(runbook) => format!(
                    "runbook: {url} — I declares an incident walking runbook {}",
                    runbook.id
                ),
                None => format!("runbook: {url}"),
            };
            self.set_status(text, false);
        }
    }
}

/// The view and filter that show what an alert's labels name, most specific first.
pub fn alert_context(a: &Alert) -> Option<(ViewKind, String)> {
    let l = &a.labels;
    let scoped = |name: &String| match l.get("namespace") {
        Some(ns) => format!("{ns} {name}"),
        None => name.clone(),
    };
    if let Some(pod) = l.get("pod") {
        return Some((ViewKind::Pods, scoped(pod)));
    }
    for kind in [
        "deployment",
        "statefulset",
        "daemonset",
        "cronjob",
        "job_name",
    ] {
        if let Some(name) = l.get(kind) {
            return Some((ViewKind::Workloads, scoped(name)));
        }
    }
    if let Some(container) = l.get("container").or_else(|| l.get("name")) {
        // A container label of a pod alert names a container in a pod, handled above.
        return Some((ViewKind::Containers, container.clone()));
    }
    if let Some(node) = l.get("node") {
        return Some((ViewKind::Nodes, node.clone()));
    }
    if let Some(instance) = l.get("instance") {
        // node_exporter's `host:9100` names the node or host `host`; a host named by its
        // whole instance (Prometheus hosts) still matches the shorter filter.
        let host = match instance.rsplit_once(':') {
            Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
            _ => instance.as_str(),
        };
        return Some((ViewKind::Nodes, host.to_string()));
    }
    if let Some(ns) = l.get("namespace") {
        return Some((ViewKind::Pods, ns.clone()));
    }
    None
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::AlertState;

    fn alert(labels: &[(&str, &str)]) -> Alert {
        Alert {
            id: AlertId {
                source: "am".into(),
                fingerprint: "f".into(),
            },
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .chain([("alertname".to_string(), "X".to_string())])
                .collect::<BTreeMap<_, _>>(),
            annotations: BTreeMap::new(),
            state: AlertState::Firing,
            starts_at: None,
            silenced_by: vec![],
        }
    }

    #[test]
    fn alerts_lead_to_what_their_labels_name() {
        let ctx = |labels: &[(&str, &str)]| alert_context(&alert(labels));
        assert_eq!(
            ctx(&[
                ("namespace", "shop"),
                ("pod", "api-1"),
                ("container", "api")
            ]),
            Some((ViewKind::Pods, "shop api-1".into()))
        );
        assert_eq!(
            ctx(&[("namespace", "shop"), ("deployment", "api")]),
            Some((ViewKind::Workloads, "shop api".into()))
        );
        assert_eq!(
            ctx(&[("container", "shop-db-1"), ("docker_host", "local")]),
            Some((ViewKind::Containers, "shop-db-1".into()))
        );
        assert_eq!(
            ctx(&[("instance", "10.0.3.21:9100")]),
            Some((ViewKind::Nodes, "10.0.3.21".into()))
        );
        assert_eq!(
            ctx(&[("node", "node-c")]),
            Some((ViewKind::Nodes, "node-c".into()))
        );
        assert_eq!(ctx(&[("job", "x")]), None);
    }

    fn app() -> App {
        let now: jiff::Timestamp = "2026-11-22T03:12:10Z".parse().unwrap();
        let theme = crate::config::Theme::builtin("dark").unwrap();
        let keymap = crate::config::Keymap::builtin("default").unwrap();
        let chrome = crate::ui::chrome_text(&keymap, &[]);
        let mut app = App::new(theme, keymap, chrome, 1 << 20, now);
        for event in crate::fixture::embedded(now) {
            app.update(super::super::Action::Source(event));
        }
        app.update(super::super::Action::Do(
            super::super::KeyAction::ViewAlerts,
        ));
        app.prepare_frame();
        app
    }

    fn status(app: &App) -> String {
        app.ui
            .status
            .as_ref()
            .map(|s| s.text.clone())
            .unwrap_or_default()
    }

    #[test]
    fn alerts_that_arrive_after_a_look_are_new_until_the_next() {
        let mut app = app();
        let mut fresh = alert(&[("instance", "web-9")]);
        fresh.id.fingerprint = "fresh".into();
        app.update(super::super::Action::Source(
            crate::store::SourceEvent::UpsertAlert(fresh.clone()),
        ));
        app.prepare_frame();
        let item = app.fleet.alerts.len() as u32 - 1;
        let name = |app: &App| {
            use crate::ui::table::TableSpec;
            crate::ui::views::alerts::AlertsTable.cells(&app.fleet, item, app.ui.now)[1]
                .text
                .clone()
        };
        assert_eq!(name(&app), "● X", "arrived while looking");
        app.update(super::super::Action::Do(super::super::KeyAction::ViewPods));
        app.prepare_frame();
        assert_eq!(name(&app), "X", "seen once the user left the view");
    }

    #[test]
    fn a_silence_is_an_operation_planned_in_the_dialog() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let _inside = runtime.enter();
        let mut app = app();
        app.attach_alerts_for_test();
        let cancel = tokio_util::sync::CancellationToken::new();
        app.ops.attach(crate::ops::runner::spawn(
            crate::ops::runner::OpsSettings::default(),
            None,
            &cancel,
        ));
        // Row 0 is a group heading; row 1 its first alert.
        app.ui.table_mut(ViewKind::Alerts).selected = 1;
        assert!(app.run_alert_command("silence 30m maintenance window"));
        let dialog = app
            .ui
            .operation
            .as_ref()
            .expect("the operation dialog opened");
        let summary = dialog.op.summary();
        assert!(summary.starts_with("silence {alertname="), "{summary}");
        assert!(summary.contains(" for 30m on "), "{summary}");
        assert_eq!(dialog.op.verb(), "silence");
        // The fixture's Alertmanager is not one pilothouse polls: refused at the plan,
        // before anything could be confirmed.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            std::thread::sleep(std::time::Duration::from_millis(20));
            app.prepare_frame();
            if let Some(d) = &app.ui.operation
                && let crate::ui::confirm::Phase::Refused(e) = &d.phase
            {
                assert!(e.to_string().contains("cannot be silenced"), "{e}");
                break;
            }
            assert!(std::time::Instant::now() < deadline, "no plan came back");
        }
        cancel.cancel();
    }

    #[test]
    fn read_only_refuses_silences() {
        let mut app = app();
        app.ui.read_only = true;
        app.ui.table_mut(ViewKind::Alerts).selected = 1;
        app.run_alert_command("silence 1h");
        assert!(app.ui.operation.is_none());
        assert!(status(&app).starts_with("read-only"));
    }

    impl App {
        fn attach_alerts_for_test(&mut self) {
            self.alerts.attach(AlertControl::none());
        }
    }
}
