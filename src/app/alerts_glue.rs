//! The alerts view's part of the app (issue 6): silences from the console with a y/N
//! prompt, new-since-last-look marks, and the jump from an alert to what its labels name.
//!
//! Wiring (in `app/`): a field `pub alerts: super::alerts_glue::AlertsGlue` on `App`
//! (`Default`), and four calls —
//! - `prepare_frame`: `self.prepare_alerts_frame();` first;
//! - `on_key`, after the Ctrl-C check: `if self.alerts_confirm_key(key) { return; }`;
//! - `run_command`, first: `if self.run_alert_command(line) { return; }`;
//! - `open_selected`: `ViewKind::Alerts => self.open_alert_context(),`.
//!
//! `main` gives it the sources' control: `app.alerts.attach(control)`.
//!
//! Creating or expiring a silence changes the world: it is refused when read-only, and
//! otherwise asked as `… ? y/N` in the status bar, defaulting to No, ignoring keys for its
//! first 300 ms so key repeat cannot answer it (DESIGN.md §6). It runs in the background;
//! the outcome replaces the question when it comes back.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent};

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
        "silence the selected alert or group: [DURATION] [COMMENT]",
    ),
    ("expire", "expire the silences of the selected alert"),
    ("silences", "list the active silences"),
];

/// How long a confirmation ignores keys after it opens.
pub const CONFIRM_GUARD: Duration = Duration::from_millis(300);

/// A question waiting for y or N.
#[derive(Debug)]
pub struct PendingSilence {
    pub ops: Vec<SilenceOp>,
    pub opened: Instant,
}

/// What the app keeps for the alerts view.
#[derive(Debug, Default)]
pub struct AlertsGlue {
    control: Option<AlertControl>,
    /// The silence operations waiting for y/N.
    pub pending: Option<PendingSilence>,
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

    /// A key while a silence waits for y/N: `y` runs it, anything else cancels. Returns
    /// whether the key was taken.
    pub(super) fn alerts_confirm_key(&mut self, key: KeyEvent) -> bool {
        let Some(pending) = &self.alerts.pending else {
            return false;
        };
        if pending.opened.elapsed() < CONFIRM_GUARD {
            return true;
        }
        let Some(pending) = self.alerts.pending.take() else {
            return false;
        };
        if !matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
            self.set_status("cancelled: nothing was changed", false);
            return true;
        }
        let Some(control) = &self.alerts.control else {
            self.set_status("no Alertmanager is connected", true);
            return true;
        };
        let mut started = 0;
        let mut refused = Vec::new();
        for op in pending.ops {
            match control.start(op) {
                Ok(()) => started += 1,
                Err(why) => refused.push(why),
            }
        }
        if refused.is_empty() {
            let what = if started == 1 { "request" } else { "requests" };
            self.set_status(format!("sent {started} silence {what}…"), false);
        } else {
            self.set_status(refused.join("; "), true);
        }
        true
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
    fn selected_alerts(&self) -> Vec<&Alert> {
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
        let question: Vec<String> = ops.iter().map(SilenceOp::describe).collect();
        self.set_status(format!("{}? y/N", question.join("; ")), false);
        self.alerts.pending = Some(PendingSilence {
            ops,
            opened: Instant::now(),
        });
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
        let (first, comment) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
        let (duration, comment) = match parse_duration(first) {
            Ok(d) if !d.is_zero() => (d, comment.trim()),
            _ => (DEFAULT_SILENCE, args),
        };
        let alerts = self.selected_alerts();
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
            self.set_status(format!("runbook: {url}"), false);
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

    fn key(app: &mut App, c: char) {
        app.update(super::super::Action::Key(KeyEvent::new(
            KeyCode::Char(c),
            crossterm::event::KeyModifiers::NONE,
        )));
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
    fn a_silence_is_asked_first_and_key_repeat_cannot_answer() {
        let mut app = app();
        app.attach_alerts_for_test();
        // Row 0 is a group heading; row 1 its first alert.
        app.ui.table_mut(ViewKind::Alerts).selected = 1;
        assert!(app.run_alert_command("silence 30m maintenance window"));
        let asked = status(&app);
        assert!(asked.starts_with("silence {alertname="), "{asked}");
        assert!(
            asked.contains(" for 30m on ") && asked.ends_with("? y/N"),
            "{asked}"
        );
        // Within the guard time a `y` (key repeat of the command's Enter, say) does nothing.
        key(&mut app, 'y');
        assert!(app.alerts.pending.is_some());
        app.alerts.pending.as_mut().unwrap().opened -= CONFIRM_GUARD;
        key(&mut app, 'n');
        assert!(app.alerts.pending.is_none());
        assert_eq!(status(&app), "cancelled: nothing was changed");
        // Yes, but the fixture's Alertmanager is not one pilothouse polls.
        app.run_alert_command("silence");
        assert!(status(&app).contains(" for 2h on "), "{}", status(&app));
        app.alerts.pending.as_mut().unwrap().opened -= CONFIRM_GUARD;
        key(&mut app, 'y');
        assert!(
            status(&app).contains("cannot be silenced"),
            "{}",
            status(&app)
        );
    }

    #[test]
    fn read_only_refuses_silences() {
        let mut app = app();
        app.ui.read_only = true;
        app.ui.table_mut(ViewKind::Alerts).selected = 1;
        app.run_alert_command("silence 1h");
        assert!(app.alerts.pending.is_none());
        assert!(status(&app).starts_with("read-only"));
    }

    impl App {
        fn attach_alerts_for_test(&mut self) {
            self.alerts.attach(AlertControl::none());
        }
    }
}
