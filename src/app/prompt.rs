//! Editing the one-line prompt (palette, filter, search) with ratatui-textarea.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::style::Style;
use ratatui_textarea::TextArea;

use super::palette;
use crate::store::Fleet;
use crate::ui::state::{Prompt, PromptKind};

/// What a key did to the prompt.
#[derive(Debug, PartialEq, Eq)]
pub enum PromptOutcome {
    Editing { changed: bool },
    Submit(String),
    Cancel,
}

pub fn new_prompt(kind: PromptKind, initial: &str) -> Prompt {
    let mut editor = TextArea::new(vec![initial.to_string()]);
    editor.set_cursor_line_style(Style::default());
    editor.move_cursor(ratatui_textarea::CursorMove::End);
    Prompt {
        kind,
        editor,
        suggestion: 0,
    }
}

pub fn handle_prompt_key(prompt: &mut Prompt, key: KeyEvent, fleet: &Fleet) -> PromptOutcome {
    match key.code {
        KeyCode::Esc => PromptOutcome::Cancel,
        KeyCode::Enter => {
            // In the palette, Enter on a highlighted suggestion that extends the text runs it.
            let mut text = prompt.text();
            if prompt.kind == PromptKind::Palette && prompt.suggestion > 0 {
                let s = palette::suggestions(&text, fleet);
                if let Some(pick) = s.get(prompt.suggestion % s.len().max(1)) {
                    text = pick.command.clone();
                }
            }
            PromptOutcome::Submit(text.trim().to_string())
        }
        KeyCode::Tab if prompt.kind == PromptKind::Palette => {
            let s = palette::suggestions(&prompt.text(), fleet);
            if let Some(pick) = s.get(prompt.suggestion % s.len().max(1)) {
                let completed = pick.command.clone();
                *prompt = new_prompt(PromptKind::Palette, &completed);
            }
            PromptOutcome::Editing { changed: true }
        }
        KeyCode::Down if prompt.kind == PromptKind::Palette => {
            prompt.suggestion += 1;
            PromptOutcome::Editing { changed: false }
        }
        KeyCode::Up if prompt.kind == PromptKind::Palette => {
            prompt.suggestion = prompt.suggestion.saturating_sub(1);
            PromptOutcome::Editing { changed: false }
        }
        // Ctrl-M / Ctrl-J would insert a newline in the textarea; a prompt is one line.
        _ => {
            let changed = prompt.editor.input(key);
            if changed {
                prompt.suggestion = 0;
            }
            PromptOutcome::Editing { changed }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn typing_then_enter_submits_the_text() {
        let fleet = Fleet::new();
        let mut p = new_prompt(PromptKind::Filter, "");
        for c in "api".chars() {
            assert_eq!(
                handle_prompt_key(&mut p, key(KeyCode::Char(c)), &fleet),
                PromptOutcome::Editing { changed: true }
            );
        }
        handle_prompt_key(&mut p, key(KeyCode::Backspace), &fleet);
        assert_eq!(
            handle_prompt_key(&mut p, key(KeyCode::Enter), &fleet),
            PromptOutcome::Submit("ap".into())
        );
    }

    #[test]
    fn tab_completes_palette_commands() {
        let fleet = Fleet::new();
        let mut p = new_prompt(PromptKind::Palette, "dep");
        handle_prompt_key(&mut p, key(KeyCode::Tab), &fleet);
        assert_eq!(p.text(), "deploy");
    }
}
