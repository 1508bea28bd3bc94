//! The incident view's keys (its keymap layer) and the palette's incident commands.

use jiff::Timestamp;

use super::App;
use crate::incident::{self, EntryKind, Severity};
use crate::ui::incident::state::DeskPane;

impl App {
    /// Palette commands about incidents. Returns whether the line was one.
    pub(super) fn run_incident_command(&mut self, line: &str) -> bool {
        let line = line.trim();
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        let rest = rest.trim();
        let now = Timestamp::now();
        let author = self.author();
        match word {
            "declare" => self.open_declare(None, rest),
            "note" if rest.is_empty() => self.open_note_editor(),
            "note" => self.add_note(rest),
            "skip" => self.skip_current_step(rest),
            "resume" => match self.resume_incident(rest) {
                Ok(()) => self.set_status(format!("resumed {rest}"), false),
                Err(e) => self.set_status(e, true),
            },
            "attach" if rest.is_empty() => self.open_attach_picker(),
            "attach" => {
                if self.ui.incident.is_none() {
                    self.set_status("no incident: declare one first", true);
                } else if self.attach(rest, now) {
                    self.save_incident();
                }
            }
            "param" => {
                let (name, value) = rest.split_once(' ').unwrap_or((rest, ""));
                let Some(desk) = self.ui.incident.as_mut() else {
                    self.set_status("no incident: declare one first", true);
                    return true;
                };
                let Some(progress) = desk.incident.runbooks.get_mut(desk.selected_runbook) else {
                    self.set_status("no runbook attached", true);
                    return true;
                };
                if name.is_empty() || value.trim().is_empty() {
                    self.set_status("usage: :param NAME VALUE", true);
                    return true;
                }
                progress
                    .params
                    .insert(name.to_string(), value.trim().to_string());
                self.save_incident();
                self.set_status(format!("{name} = {}", value.trim()), false);
            }
            "severity" | "sev" => match rest.parse::<Severity>() {
                Ok(severity) => {
                    if let Some(desk) = self.ui.incident.as_mut()
                        && incident::record_severity(&mut desk.incident, severity, &author, now)
                    {
                        self.save_incident();
                    }
                }
                Err(e) => self.set_status(e, true),
            },
            "resolve" | "mitigate" | "mitigated" | "reopen" => {
                let status = match word {
                    "resolve" => incident::Status::Resolved,
                    "reopen" => incident::Status::Open,
                    _ => incident::Status::Mitigated,
                };
                let Some(desk) = self.ui.incident.as_mut() else {
                    self.set_status("no incident open", true);
                    return true;
                };
                if incident::record_status(&mut desk.incident, status, &author, now) {
                    self.save_incident();
                    self.set_status(format!("incident {}", status.label()), false);
                }
            }
            "export" | "postmortem" => self.export_postmortem(),
            _ => return false,
        }
        true
    }

    /// The incident view's own keys (its layer): movement in the current step, do, tick,
    /// skip, retry, timeline, notes, attach, export.
    pub(super) fn perform_incident_action(&mut self, action: super::KeyAction) -> bool {
        use super::KeyAction as K;
        let items = self.step_items();
        let Some(desk) = self.ui.incident.as_mut() else {
            return false;
        };
        if let Some(picker) = desk.attach.as_mut() {
            match action {
                K::Up => picker.selected = picker.selected.saturating_sub(1),
                K::Down => {
                    picker.selected = (picker.selected + 1).min(picker.choices.len().max(1) - 1)
                }
                K::Open | K::StepDo => {
                    let chosen = picker.choices.get(picker.selected).map(|c| c.0.clone());
                    desk.attach = None;
                    if let Some(id) = chosen
                        && self.attach(&id, Timestamp::now())
                    {
                        self.save_incident();
                    }
                }
                _ => desk.attach = None,
            }
            return true;
        }
        match action {
            K::Up if desk.pane == DeskPane::Timeline => {
                desk.timeline_scroll = desk.timeline_scroll.saturating_add(1)
            }
            K::Down if desk.pane == DeskPane::Timeline => {
                desk.timeline_scroll = desk.timeline_scroll.saturating_sub(1)
            }
            K::Up => desk.item = desk.item.saturating_sub(1),
            K::Down => desk.item = desk.item.saturating_add(1).min(items.max(1) - 1),
            K::StepDo | K::Open => self.do_current_step(),
            K::StepTick => self.tick_item(),
            K::StepSkip => {
                self.ui.prompt = Some(super::prompt::new_prompt(
                    crate::ui::state::PromptKind::Palette,
                    "skip ",
                ));
                self.set_status(
                    "why is the step skipped? type the reason, then Enter",
                    false,
                );
            }
            K::StepRetry => self.retry_step(),
            K::NextRunbook => {
                let n = desk.incident.runbooks.len().max(1);
                desk.selected_runbook = (desk.selected_runbook + 1) % n;
                self.cursor_to_first_unticked();
            }
            K::ToggleTimeline => {
                desk.pane = match desk.pane {
                    DeskPane::Runbook => DeskPane::Timeline,
                    DeskPane::Timeline => DeskPane::Runbook,
                };
                if desk.pane == DeskPane::Timeline {
                    self.merge_incident_audit();
                }
            }
            K::TimelineKinds => {
                desk.timeline_filter.kinds = next_kind_filter(&desk.timeline_filter.kinds);
                desk.pane = DeskPane::Timeline;
                desk.timeline_scroll = 0;
            }
            K::Filter => {
                let current = desk.timeline_filter.text.clone().unwrap_or_default();
                desk.pane = DeskPane::Timeline;
                self.ui.prompt = Some(super::prompt::new_prompt(
                    crate::ui::state::PromptKind::Filter,
                    &current,
                ));
            }
            K::AddNote => self.open_note_editor(),
            K::AttachRunbook => self.open_attach_picker(),
            K::ExportPostmortem => self.export_postmortem(),
            K::OpenObserved => self.open_shown_observe(),
            _ => return false,
        }
        true
    }

    /// The timeline filter's text (the `/` prompt in the incident view).
    pub(super) fn set_timeline_filter(&mut self, text: String) {
        if let Some(desk) = self.ui.incident.as_mut() {
            desk.timeline_filter.text = (!text.is_empty()).then_some(text);
            desk.timeline_scroll = 0;
        }
    }
}

/// The kind filters `f` cycles through: everything, then each kind alone.
fn next_kind_filter(current: &[EntryKind]) -> Vec<EntryKind> {
    match current {
        [] => vec![EntryKind::ALL[0]],
        [one] => match EntryKind::ALL.iter().position(|k| k == one) {
            Some(i) if i + 1 < EntryKind::ALL.len() => vec![EntryKind::ALL[i + 1]],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_filters_cycle_through_every_kind_and_back_to_all() {
        let mut kinds = Vec::new();
        let mut seen = 0;
        loop {
            kinds = next_kind_filter(&kinds);
            if kinds.is_empty() {
                break;
            }
            seen += 1;
        }
        assert_eq!(seen, EntryKind::ALL.len());
    }
}
