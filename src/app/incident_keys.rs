//! Keys of the incident dialogs: the declare dialog's fields and the note editor. They
//! take every key while open, as the operation dialog does: nothing behind may react.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::App;
use crate::incident::Severity;
use crate::ui::incident::state::DeclareField;

impl App {
    /// A key while the declare dialog or the note editor is open; whether it was taken.
    pub(super) fn incident_dialog_key(&mut self, key: KeyEvent) -> bool {
        if self.ui.note.is_some() {
            self.note_key(key);
            return true;
        }
        if self.ui.declare.is_some() {
            self.declare_key(key);
            return true;
        }
        false
    }

    fn note_key(&mut self, key: KeyEvent) {
        let Some(editor) = self.ui.note.as_mut() else {
            return;
        };
        let newline = key.modifiers.contains(KeyModifiers::ALT)
            || key.modifiers.contains(KeyModifiers::SHIFT)
            || (key.code == KeyCode::Char('j') && key.modifiers.contains(KeyModifiers::CONTROL));
        match key.code {
            KeyCode::Esc => {
                self.ui.note = None;
                self.set_status("note discarded", false);
            }
            KeyCode::Enter if !newline => {
                let text = editor.text.lines().join("\n");
                self.ui.note = None;
                if text.trim().is_empty() {
                    self.set_status("empty note: nothing added", false);
                } else {
                    self.add_note(text.trim());
                }
            }
            KeyCode::Enter | KeyCode::Char('j') if newline => editor.text.insert_newline(),
            _ => {
                editor.text.input(key);
            }
        }
    }

    fn declare_key(&mut self, key: KeyEvent) {
        let Some(dialog) = self.ui.declare.as_mut() else {
            return;
        };
        dialog.hint = None;
        match key.code {
            KeyCode::Esc => {
                self.ui.declare = None;
                self.set_status("no incident declared", false);
                return;
            }
            KeyCode::Tab => dialog.field = dialog.field.next(),
            KeyCode::BackTab => dialog.field = dialog.field.previous(),
            KeyCode::Enter => {
                if dialog.title.lines().join("").trim().is_empty() {
                    dialog.hint = Some("an incident needs a title".into());
                    dialog.field = DeclareField::Title;
                } else {
                    self.declare_from_dialog();
                }
                return;
            }
            _ => {}
        }
        if matches!(key.code, KeyCode::Tab | KeyCode::BackTab) {
            return;
        }
        match dialog.field {
            DeclareField::Title => {
                dialog.title.input(key);
            }
            DeclareField::Commander => {
                dialog.commander.input(key);
            }
            DeclareField::Severity => {
                let at = Severity::ALL
                    .iter()
                    .position(|s| *s == dialog.severity)
                    .unwrap_or(0);
                let chosen = match key.code {
                    KeyCode::Up | KeyCode::Left => Some(at.saturating_sub(1)),
                    KeyCode::Down | KeyCode::Right => Some((at + 1).min(Severity::ALL.len() - 1)),
                    KeyCode::Char(c @ '0'..='3') => Some(c as usize - '0' as usize),
                    _ => None,
                };
                if let Some(i) = chosen {
                    dialog.severity = Severity::ALL[i];
                }
            }
            DeclareField::Runbooks => match key.code {
                KeyCode::Up => dialog.selected = dialog.selected.saturating_sub(1),
                KeyCode::Down => {
                    dialog.selected = (dialog.selected + 1).min(dialog.runbooks.len().max(1) - 1)
                }
                KeyCode::Char(' ') => {
                    if let Some(choice) = dialog.runbooks.get_mut(dialog.selected) {
                        choice.2 = !choice.2;
                    }
                }
                _ => {}
            },
        }
    }
}
