//! The app's side of the log view: opening panes and routing log keys to the pane.

use super::prompt::new_prompt;
use super::{App, KeyAction};
use crate::logs::LogPane;
use crate::ui::logs_view::LogsView;
use crate::ui::state::{PromptKind, ViewKind};

/// Write the pane's lines to `<dir>/<title>-<time>.log`; returns the path and line count.
fn save_pane(
    pane: &LogPane,
    store: &crate::logs::LogStore,
    dir: &std::path::Path,
) -> std::io::Result<(std::path::PathBuf, u64)> {
    std::fs::create_dir_all(dir)?;
    let name: String = pane
        .title()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stamp = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%S");
    let path = dir.join(format!("{name}-{stamp}.log"));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let lines = pane.save(store, &mut out)?;
    std::io::Write::flush(&mut out)?;
    Ok((path, lines))
}

/// Lines filtered or searched per loop turn: small enough that a keystroke waits at most a
/// few milliseconds, large enough that 1M lines take well under a second.
const WORK_BUDGET_LINES: usize = 50_000;

impl App {
    /// Rows the log view has for lines, from the terminal size and the fixed chrome.
    fn log_rows(&self) -> usize {
        let body = ratatui::layout::Rect::new(0, 0, self.size.0, self.size.1.saturating_sub(4));
        LogsView::body_rows(body)
    }

    pub(super) fn open_logs_for_selection(&mut self) {
        let Some((title, streams)) = self.streams_for_selection() else {
            return;
        };
        // A workload's pane follows its pods as they come and go, so it may start empty.
        let subject = (self.ui.view == ViewKind::Workloads)
            .then(|| self.selected(ViewKind::Workloads))
            .flatten()
            .and_then(|i| self.fleet.workloads.get_index(i as usize))
            .map(|w| super::kube_glue::LogSubject::Workload(w.id.clone()));
        if streams.is_empty() && subject.is_none() {
            self.set_status(format!("{title}: no containers to show logs of"), true);
            return;
        }
        self.log_pane = Some(LogPane::new(title, streams));
        self.log_subject = subject;
        self.go(ViewKind::Logs);
    }

    /// `p` on a pod: the logs its containers wrote before their last restart (why did it
    /// crash?), as kubectl's `logs --previous`.
    pub(super) fn open_previous_logs_for_selection(&mut self) {
        if self.ui.view != ViewKind::Pods {
            self.set_status("previous logs: select a pod", true);
            return;
        }
        let Some(pod) = self
            .selected(ViewKind::Pods)
            .and_then(|i| self.fleet.pods.get_index(i as usize))
        else {
            return;
        };
        let streams: Vec<_> = super::navigate::pod_streams(pod)
            .into_iter()
            .map(|mut s| {
                if let crate::logs::StreamKey::Kube { previous, .. } = &mut s {
                    *previous = true;
                }
                s
            })
            .collect();
        let title = format!("pod {}/{} (previous)", pod.id.namespace, pod.id.name);
        self.log_pane = Some(LogPane::new(title, streams));
        self.log_subject = None;
        self.go(ViewKind::Logs);
    }

    pub(super) fn set_log_filter(&mut self, text: String) {
        if let Some(pane) = self.log_pane.as_mut() {
            let invert = pane.filter_status(&self.logs).is_some_and(|f| f.invert);
            pane.set_filter(&text, invert);
        }
    }

    pub(super) fn set_search(&mut self, text: String) {
        if let Some(pane) = self.log_pane.as_mut() {
            pane.set_search(&text);
        }
    }

    /// Handle a key meant for the log pane; false when the action is not a log action.
    pub(super) fn perform_log_action(&mut self, action: KeyAction) -> bool {
        let rows = self.log_rows();
        let Some(pane) = self.log_pane.as_mut() else {
            return false;
        };
        let store = &self.logs;
        match action {
            KeyAction::Up => pane.scroll_up(store, 1, rows),
            KeyAction::Down => pane.scroll_down(store, 1, rows),
            KeyAction::PageUp => pane.page_up(store, rows),
            KeyAction::PageDown => pane.page_down(store, rows),
            KeyAction::Top => pane.top(store, rows),
            KeyAction::Bottom => pane.bottom(),
            KeyAction::ToggleFollow => {
                if pane.is_following() {
                    // Scrolling by nothing anchors the view where it is: paused in place.
                    pane.scroll_up(store, 0, rows);
                } else {
                    pane.bottom();
                }
            }
            KeyAction::ToggleWrap => pane.toggle_wrap(),
            KeyAction::ToggleTimestamps => pane.toggle_timestamps(),
            KeyAction::Filter => {
                let current = pane
                    .filter_status(store)
                    .map(|f| f.pattern.to_string())
                    .unwrap_or_default();
                self.ui.prompt = Some(new_prompt(PromptKind::Filter, &current));
            }
            KeyAction::InvertFilter => {
                if let Some((pattern, invert)) = pane
                    .filter_status(store)
                    .map(|f| (f.pattern.to_string(), f.invert))
                {
                    pane.set_filter(&pattern, !invert);
                }
            }
            KeyAction::ClearFilter => {
                pane.clear_filter();
                pane.clear_search();
            }
            KeyAction::Search => self.ui.prompt = Some(new_prompt(PromptKind::Search, "")),
            KeyAction::SaveLogs => {
                let result = save_pane(pane, store, &self.save_dir);
                match result {
                    Ok((path, lines)) => {
                        self.set_status(format!("saved {lines} lines to {}", path.display()), false)
                    }
                    Err(e) => self.set_status(format!("could not save the lines: {e}"), true),
                }
            }
            KeyAction::NextMatch => pane.search_older(store, rows),
            KeyAction::PrevMatch => pane.search_newer(store, rows),
            _ => return false,
        }
        true
    }

    /// Whether the log pane's incremental filtering or searching has work left.
    pub(super) fn has_log_work(&self) -> bool {
        self.log_pane
            .as_ref()
            .is_some_and(|pane| self.logs_ingested || pane.pending_work())
    }

    /// One bounded slice of that work; marks the screen dirty if the pane changed.
    pub(super) fn do_log_work(&mut self) {
        self.logs_ingested = false;
        if let Some(pane) = self.log_pane.as_mut()
            && pane.do_work(&self.logs, WORK_BUDGET_LINES)
            && self.ui.view == ViewKind::Logs
        {
            self.dirty = true;
        }
    }
}
