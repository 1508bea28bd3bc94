//! The application state and `App::update`, the one place state changes.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, MouseEvent, MouseEventKind};
use jiff::Timestamp;

use super::ops_glue::OpKey;
use super::palette::{self, Command};
use super::prompt::{PromptOutcome, handle_prompt_key, new_prompt};
use super::{Action, KeyAction};
use crate::config::theme::Theme;
use crate::config::{Config, KeyPress, Keymap, Layer, Resolution};
use crate::logs::{LogPane, LogStore};
use crate::store::{Fleet, SourceEvent};
use crate::ui::Chrome;
use crate::ui::state::{Overlay, PromptKind, StatusMessage, UiState, ViewKind};
use crate::ui::table;
use crate::ui::views::table_spec;

/// Whether `event` can change what `view` draws. Host samples arrive every few seconds
/// from this machine and every Prometheus round; only the views that show hosts need a
/// frame for them — an idle console elsewhere must not redraw (DESIGN.md §3). An empty
/// batch is a wake-up for a control's outcome (a silence, an operation) and always counts.
fn shows(view: ViewKind, event: &SourceEvent) -> bool {
    match event {
        SourceEvent::HostSample { .. } => matches!(view, ViewKind::Nodes | ViewKind::Overview),
        SourceEvent::Batch(events) if !events.is_empty() => events.iter().any(|e| shows(view, e)),
        _ => true,
    }
}

/// Rows the header, table header and status bar take from the terminal's height.
const CHROME_ROWS: u16 = 5;

pub struct App {
    pub fleet: Fleet,
    pub logs: LogStore,
    pub ui: UiState,
    pub theme: Theme,
    pub keymap: Keymap,
    pub chrome: Chrome,
    /// The user's settings: environment overrides for contexts, read-only, protection.
    pub config: Config,
    /// The open log view, if one was opened from a pod, workload or container.
    pub log_pane: Option<LogPane>,
    /// Lines arrived since the pane last filtered; its filter must look at them.
    pub(super) logs_ingested: bool,
    pub should_quit: bool,
    /// Test-only (`PILOTHOUSE_TEST_PANIC`): panic after the first frame, to prove the
    /// panic hook restores the terminal.
    pub test_panic: bool,
    /// Keys typed so far of a multi-key sequence (`g` of `g g`).
    pending_keys: Vec<KeyPress>,
    /// Terminal size, for paging and mouse hit-testing.
    pub size: (u16, u16),
    pub(super) dirty: bool,
    /// Silences, new-since-last-look marks and the jump from an alert (issue 6).
    pub alerts: super::alerts_glue::AlertsGlue,
    /// The kubeconfig's contexts and which are connected.
    pub kube: super::kube_glue::KubeContexts,
    /// What the open log pane follows, when that can gain streams (a workload's pods).
    pub(super) log_subject: Option<super::kube_glue::LogSubject>,
    /// Where newly followed Kubernetes log streams start (tail size, since).
    pub log_request: crate::sources::kube::LogRequest,
    /// Where `S` in the log view saves lines (the data directory's `saved-logs`).
    pub save_dir: std::path::PathBuf,
    /// Operations: the runner's handle (issue 7).
    pub ops: super::ops_glue::OpsGlue,
    /// The data directory, where the container backup history is (`None`: no history,
    /// as in tests and fixtures).
    pub data_dir: Option<std::path::PathBuf>,
    /// Runbooks and the action steps running (issue 8); the incident itself is in `ui`.
    pub incidents: super::incident_glue::IncidentGlue,
}

impl App {
    pub fn new(
        theme: Theme,
        keymap: Keymap,
        chrome: Chrome,
        log_budget: usize,
        now: Timestamp,
    ) -> App {
        let mut ui = UiState::new(now);
        if !chrome.problems.is_empty() {
            ui.overlay = Some(Overlay::Problems);
        }
        App {
            fleet: Fleet::new(),
            logs: LogStore::new(log_budget),
            ui,
            theme,
            keymap,
            chrome,
            config: Config::default(),
            log_pane: None,
            logs_ingested: false,
            should_quit: false,
            test_panic: false,
            pending_keys: Vec::new(),
            size: (80, 24),
            dirty: true,
            alerts: Default::default(),
            kube: Default::default(),
            log_subject: None,
            log_request: super::kube_glue::default_log_request(),
            save_dir: std::env::temp_dir().join("pilothouse-saved-logs"),
            ops: Default::default(),
            data_dir: None,
            incidents: Default::default(),
        }
    }

    /// True when something changed since the last frame.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Bring cached row orders up to date and clear the dirty flag; call before drawing.
    pub fn prepare_frame(&mut self) {
        self.prepare_alerts_frame();
        self.prepare_ops_frame();
        self.prepare_incident_frame();
        self.refresh_log_subject();
        self.dirty = false;
        if let Some(spec) = table_spec(self.ui.view) {
            let scope = self.ui.scope.clone();
            let view = self.ui.view;
            table::refresh(spec, &self.fleet, &scope, self.ui.table_mut(view));
        }
        self.prepare_op_hints();
    }

    pub fn update(&mut self, action: Action) {
        match action {
            Action::Key(key) => {
                // Release and repeat events from terminals that report them are not presses.
                if key.kind == KeyEventKind::Press {
                    self.on_key(key);
                    self.dirty = true;
                }
            }
            Action::Mouse(mouse) => self.on_mouse(mouse),
            Action::Resize { width, height } => {
                self.size = (width, height);
                self.dirty = true;
            }
            Action::Source(event) => self.on_source(event),
            Action::Do(action) => {
                self.perform(action);
                self.dirty = true;
            }
            Action::Command(line) => {
                self.run_command(&line);
                self.dirty = true;
            }
            Action::Tick(now) => {
                self.ui.now = now;
                self.dirty = true;
            }
        }
    }

    fn on_source(&mut self, event: SourceEvent) {
        match event {
            SourceEvent::Log(lines) => {
                for line in lines {
                    self.logs.ingest(line);
                }
                self.logs_ingested = true;
                // Only the logs view shows lines; other views need no redraw for them.
                if self.ui.view == ViewKind::Logs {
                    self.dirty = true;
                }
            }
            SourceEvent::LogDropped { stream, lines } => self.logs.note_dropped(&stream, lines),
            SourceEvent::Context(mut info) => {
                // The user's word on what a context is beats any guess from its name.
                if let Some(environment) = self.config.environment_override(&info.name) {
                    info.environment = environment;
                }
                self.fleet.apply(SourceEvent::Context(info));
                self.dirty = true;
            }
            other if self.of_dropped_context(&other) => {}
            SourceEvent::Batch(events) if !self.kube.active.is_empty() && !events.is_empty() => {
                let kept: Vec<SourceEvent> = events
                    .into_iter()
                    .filter(|e| !self.of_dropped_context(e))
                    .collect();
                if kept.iter().any(|e| shows(self.ui.view, e)) {
                    self.dirty = true;
                }
                self.fleet.apply(SourceEvent::Batch(kept));
            }
            other => {
                if shows(self.ui.view, &other) {
                    self.dirty = true;
                }
                self.fleet.apply(other);
            }
        }
    }

    /// An object of a context the user disconnected (`:ctx -NAME`), still in the channel
    /// when the context went: applying it would bring back a ghost row.
    fn of_dropped_context(&self, event: &SourceEvent) -> bool {
        if self.kube.active.is_empty() {
            // No Kubernetes source (a fixture, Docker only): nothing is ever dropped.
            return false;
        }
        let context = match event {
            SourceEvent::UpsertWorkload(w) => &w.id.context,
            SourceEvent::UpsertPod(p) => &p.id.context,
            SourceEvent::UpsertNode(n) => &n.context,
            SourceEvent::UpsertEvent(e) => &e.context,
            SourceEvent::UpsertSchedule(s) => &s.context,
            _ => return false,
        };
        !self.kube.active.contains(context)
    }

    fn page(&self) -> isize {
        self.size.1.saturating_sub(CHROME_ROWS).max(1) as isize
    }

    pub(super) fn layers(&self) -> &'static [Layer] {
        match self.ui.view {
            ViewKind::Logs => &[Layer::Logs, Layer::Global],
            ViewKind::Incident => &[Layer::Incident, Layer::Global],
            _ => &[Layer::Table, Layer::Global],
        }
    }

    fn on_key(&mut self, key: KeyEvent) {
        // Ctrl-C always quits, whatever the keymap says: the way out must never be lost.
        if key.code == KeyCode::Char('c')
            && key
                .modifiers
                .contains(crossterm::event::KeyModifiers::CONTROL)
        {
            self.should_quit = true;
            return;
        }
        if self.ops_dialog_key(key) || self.incident_dialog_key(key) {
            return;
        }
        if self.ui.prompt.is_some() {
            self.on_prompt_key(key);
            return;
        }
        match &mut self.ui.overlay {
            Some(Overlay::Problems) => {
                if matches!(key.code, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q')) {
                    self.ui.overlay = None;
                }
                return;
            }
            Some(Overlay::Help { scroll }) => {
                let total: usize = self.chrome.help.iter().map(|s| s.entries.len() + 2).sum();
                let total = total as u16;
                match key.code {
                    KeyCode::Down | KeyCode::Char('j') => {
                        *scroll = scroll.saturating_add(1).min(total)
                    }
                    KeyCode::Up | KeyCode::Char('k') => *scroll = scroll.saturating_sub(1),
                    KeyCode::PageDown => *scroll = scroll.saturating_add(10).min(total),
                    KeyCode::PageUp => *scroll = scroll.saturating_sub(10),
                    _ => self.ui.overlay = None,
                }
                return;
            }
            None => {}
        }
        let press = KeyPress::from(key);
        match self
            .keymap
            .resolve(self.layers(), &self.pending_keys, press)
        {
            Resolution::Pending => self.pending_keys.push(press),
            Resolution::Action(action) => {
                self.pending_keys.clear();
                self.perform(action);
            }
            Resolution::Unbound => {
                // A broken sequence: try the key on its own, as vim does.
                let had_pending = !self.pending_keys.is_empty();
                self.pending_keys.clear();
                if had_pending
                    && let Resolution::Action(action) =
                        self.keymap.resolve(self.layers(), &[], press)
                {
                    self.perform(action);
                }
            }
        }
    }

    fn on_prompt_key(&mut self, key: KeyEvent) {
        let Some(prompt) = self.ui.prompt.as_mut() else {
            return;
        };
        match handle_prompt_key(prompt, key, &self.fleet) {
            PromptOutcome::Editing { changed } => {
                if changed && prompt.kind == PromptKind::Filter {
                    let text = prompt.text();
                    self.set_filter(text);
                }
            }
            PromptOutcome::Cancel => {
                let kind = prompt.kind.clone();
                self.ui.prompt = None;
                if kind == PromptKind::Filter {
                    self.set_filter(String::new());
                }
            }
            PromptOutcome::Submit(text) => {
                let kind = prompt.kind.clone();
                self.ui.prompt = None;
                match kind {
                    PromptKind::Palette => self.run_command(&text),
                    PromptKind::Filter => self.set_filter(text),
                    PromptKind::Search => self.set_search(text),
                }
            }
        }
    }

    fn on_mouse(&mut self, mouse: MouseEvent) {
        if !self.ui.mouse {
            return;
        }
        match mouse.kind {
            MouseEventKind::ScrollDown => self.perform(KeyAction::Down),
            MouseEventKind::ScrollUp => self.perform(KeyAction::Up),
            MouseEventKind::Down(crossterm::event::MouseButton::Left) => {
                // Header is 3 rows, then the table's own header row.
                if self.ui.view.has_table() && mouse.row >= 4 {
                    let view = self.ui.view;
                    let state = self.ui.table_mut(view);
                    let row = state.offset.get() + (mouse.row - 4) as usize;
                    if row < state.rows.len() {
                        state.selected = row;
                    }
                } else if mouse.row == 2 {
                    // The tab bar: find the tab under the pointer.
                    let mut x = 1u16;
                    for (i, view) in ViewKind::ALL.iter().enumerate() {
                        let w = view.tab_label(i).chars().count() as u16;
                        if mouse.column >= x && mouse.column < x + w {
                            self.go(*view);
                            break;
                        }
                        x += w;
                    }
                }
            }
            _ => return,
        }
        self.dirty = true;
    }

    /// Switch view, remembering where we came from for `back`.
    pub fn go(&mut self, view: ViewKind) {
        if view != self.ui.view {
            self.ui.previous_views.push(self.ui.view);
            if self.ui.previous_views.len() > 32 {
                self.ui.previous_views.remove(0);
            }
            self.ui.view = view;
        }
    }

    pub(super) fn set_status(&mut self, text: impl Into<String>, error: bool) {
        self.ui.status = Some(StatusMessage {
            text: text.into(),
            error,
        });
    }

    pub fn run_command(&mut self, line: &str) {
        if self.run_op_command(line)
            || self.run_alert_command(line)
            || self.run_incident_command(line)
        {
            return;
        }
        match palette::parse(line) {
            Ok(Command::Go(view)) => self.go(view),
            Ok(Command::Namespace(ns)) => {
                self.set_status(
                    format!("namespace scope: {}", ns.as_deref().unwrap_or("all")),
                    false,
                );
                self.ui.scope.namespace = ns;
            }
            Ok(Command::Context(None)) => {
                self.set_status("context scope: all", false);
                self.ui.scope.context = None;
            }
            Ok(Command::Context(Some(name))) => {
                let (done, message) = if let Some(added) = name.strip_prefix('+') {
                    (
                        self.add_context(added),
                        format!("connecting context {added}"),
                    )
                } else if let Some(dropped) = name.strip_prefix('-') {
                    (
                        self.drop_context(dropped),
                        format!("disconnected context {dropped}"),
                    )
                } else {
                    (self.switch_context(&name), format!("context scope: {name}"))
                };
                if done {
                    self.set_status(message, false);
                } else {
                    let bare = name.trim_start_matches(['+', '-']);
                    self.set_status(format!("no context named `{bare}`"), true);
                }
            }
            Ok(Command::Tail(lines)) => {
                self.log_request.tail_lines = lines;
                let what = lines.map_or("all lines".to_string(), |n| format!("last {n} lines"));
                self.set_status(format!("logs opened from now start with the {what}"), false);
            }
            Ok(Command::Since(seconds)) => {
                self.log_request.since_seconds = seconds;
                let what = seconds.map_or("all retained".to_string(), |s| format!("the last {s}s"));
                self.set_status(format!("logs opened from now start from {what}"), false);
            }
            Ok(Command::Help) => self.ui.overlay = Some(Overlay::Help { scroll: 0 }),
            Ok(Command::Quit) => self.should_quit = true,
            Err(e) => self.set_status(e.to_string(), true),
        }
    }

    fn set_filter(&mut self, text: String) {
        let view = self.ui.view;
        if view == ViewKind::Logs {
            self.set_log_filter(text);
            return;
        }
        if view == ViewKind::Incident {
            self.set_timeline_filter(text);
            return;
        }
        if view.has_table() {
            // No invalidate(): the cached order is keyed by the filter text, and a new filter
            // is picked out of the cached sorted order without sorting again.
            let state = self.ui.table_mut(view);
            state.filter = text;
            state.selected = 0;
        }
    }

    /// Perform a bound action.
    pub fn perform(&mut self, action: KeyAction) {
        use KeyAction as K;
        self.ui.status = None;
        if self.ui.view == ViewKind::Logs && self.perform_log_action(action) {
            return;
        }
        if self.ui.view == ViewKind::Incident && self.perform_incident_action(action) {
            return;
        }
        let view = self.ui.view;
        let page = self.page();
        match action {
            K::Quit => self.should_quit = true,
            K::Help => self.ui.overlay = Some(Overlay::Help { scroll: 0 }),
            K::Palette => self.ui.prompt = Some(new_prompt(PromptKind::Palette, "")),
            K::Filter => {
                if view.has_table() || view == ViewKind::Logs {
                    let current = if view.has_table() {
                        self.ui.table(view).filter.clone()
                    } else {
                        String::new()
                    };
                    self.ui.prompt = Some(new_prompt(PromptKind::Filter, &current));
                }
            }
            K::Back | K::Cancel => {
                if view.has_table() && !self.ui.table(view).filter.is_empty() {
                    self.set_filter(String::new());
                } else if let Some(prev) = self.ui.previous_views.pop() {
                    self.ui.view = prev;
                }
            }
            K::NextView | K::PrevView => {
                let n = ViewKind::ALL.len();
                let step = if action == K::NextView { 1 } else { n - 1 };
                self.go(ViewKind::ALL[(view.index() + step) % n]);
            }
            K::ViewOverview => self.go(ViewKind::Overview),
            K::ViewWorkloads => self.go(ViewKind::Workloads),
            K::ViewPods => self.go(ViewKind::Pods),
            K::ViewNodes => self.go(ViewKind::Nodes),
            K::ViewContainers => self.go(ViewKind::Containers),
            K::ViewAlerts => self.go(ViewKind::Alerts),
            K::ViewEvents => self.go(ViewKind::Events),
            K::ViewLogs => self.go(ViewKind::Logs),
            K::ViewBackups => self.go(ViewKind::Backups),
            K::ViewIncident => {
                // Operations another console (or a shell) ran meanwhile join the timeline.
                self.merge_incident_audit();
                self.go(ViewKind::Incident);
            }
            K::AddNote => self.open_note_editor(),
            K::DeclareIncident => {
                let alert = self.selected_alerts().into_iter().next().cloned();
                self.open_declare(alert, "");
            }
            K::ToggleMouse => {
                self.ui.mouse = !self.ui.mouse;
                let state = if self.ui.mouse { "on" } else { "off" };
                self.set_status(format!("mouse {state}"), false);
            }
            K::Up => self.move_selection(-1),
            K::Down => self.move_selection(1),
            K::PageUp => self.move_selection(-page),
            K::PageDown => self.move_selection(page),
            K::Top => self.move_selection(isize::MIN / 2),
            K::Bottom => self.move_selection(isize::MAX / 2),
            K::SortNext | K::SortPrev | K::SortReverse => self.sort(action),
            K::Open => self.open_selected(),
            K::OpenLogs => self.open_logs_for_selection(),
            K::OpenPreviousLogs => self.open_previous_logs_for_selection(),
            K::OpenEvents => self.open_events_for_selection(),
            K::OpenOwner => self.open_owner_of_selection(),
            K::Scale => self.op_key(OpKey::Scale),
            K::Restart => self.op_key(OpKey::Restart),
            K::Rollback => self.op_key(OpKey::Rollback),
            K::Backup => self.op_key(OpKey::Backup),
            K::Delete => self.op_key(OpKey::Delete),
            K::Cordon => self.op_key(OpKey::Cordon),
            K::StopStart => self.op_key(OpKey::StopStart),
            K::ToggleFollow
            | K::ToggleWrap
            | K::ToggleTimestamps
            | K::InvertFilter
            | K::ClearFilter
            | K::Search
            | K::NextMatch
            | K::PrevMatch
            | K::SaveLogs
            | K::Confirm
            | K::StepDo
            | K::StepTick
            | K::StepSkip
            | K::StepRetry
            | K::NextRunbook
            | K::ToggleTimeline
            | K::TimelineKinds
            | K::AttachRunbook
            | K::ExportPostmortem
            | K::OpenObserved => {}
        }
    }

    fn move_selection(&mut self, delta: isize) {
        let view = self.ui.view;
        if view.has_table() {
            self.ui.table_mut(view).move_by(delta);
        }
    }

    fn sort(&mut self, action: KeyAction) {
        let view = self.ui.view;
        let Some(spec) = table_spec(view) else {
            return;
        };
        let columns = spec.columns().len();
        let state = self.ui.table_mut(view);
        match action {
            KeyAction::SortNext => state.sort.column = (state.sort.column + 1) % columns,
            KeyAction::SortPrev => state.sort.column = (state.sort.column + columns - 1) % columns,
            _ => state.sort.descending = !state.sort.descending,
        }
        let title = spec.columns()[state.sort.column].title;
        let dir = if state.sort.descending {
            "descending"
        } else {
            "ascending"
        };
        // The cached order is keyed by the sort, so it is rebuilt without an invalidate().
        self.set_status(format!("sorted by {title}, {dir}"), false);
    }
}

#[cfg(test)]
mod redraw_tests {
    use super::*;
    use crate::model::{HostId, HostSample};

    fn sample() -> SourceEvent {
        SourceEvent::HostSample {
            id: HostId {
                source: "local".into(),
                name: "box".into(),
            },
            sample: HostSample::default(),
        }
    }

    #[test]
    fn host_samples_redraw_only_the_views_that_show_hosts() {
        assert!(shows(ViewKind::Nodes, &sample()));
        assert!(shows(ViewKind::Overview, &sample()));
        assert!(!shows(ViewKind::Pods, &sample()));
        assert!(!shows(ViewKind::Logs, &sample()));
        assert!(!shows(ViewKind::Pods, &SourceEvent::Batch(vec![sample()])));
        // An empty batch wakes the console for an operation's or a silence's outcome.
        assert!(shows(ViewKind::Pods, &SourceEvent::Batch(Vec::new())));
    }

    fn pod(context: &str, name: &str) -> crate::model::Pod {
        use crate::model::{KubeId, KubeKind, PodPhase};
        crate::model::Pod {
            id: KubeId::new(context, "shop", KubeKind::Pod, name),
            created: None,
            labels: Default::default(),
            phase: PodPhase::Running,
            node: None,
            ip: None,
            owner: None,
            containers: Vec::new(),
            deleting: false,
            cpu_millis: None,
            memory_bytes: None,
        }
    }

    #[test]
    fn objects_of_a_disconnected_context_still_in_the_channel_are_dropped() {
        let theme = Theme::builtin("dark").unwrap();
        let keymap = Keymap::builtin("default").unwrap();
        let chrome = crate::ui::chrome_text(&keymap, &[]);
        let mut app = App::new(theme, keymap, chrome, 1 << 20, Timestamp::UNIX_EPOCH);
        app.kube.active = ["kept".to_string()].into();
        app.update(Action::Source(SourceEvent::UpsertPod(pod("gone", "ghost"))));
        app.update(Action::Source(SourceEvent::Batch(vec![
            SourceEvent::UpsertPod(pod("gone", "ghost-2")),
            SourceEvent::UpsertPod(pod("kept", "api-1")),
        ])));
        let names: Vec<&str> = app
            .fleet
            .pods
            .values()
            .map(|p| p.id.name.as_str())
            .collect();
        assert_eq!(names, ["api-1"]);
    }
}
