//! One key press, and the notation keymap files write it in (`g`, `G`, `ctrl-d`,
//! `shift-tab`, `f5`, `space`).

use std::fmt;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// A key with its modifiers, normalized so that what a keymap file says and what the
/// terminal reports compare equal:
///
/// - characters carry their shift in the character (`G`, `?`), never as a SHIFT flag;
/// - `shift-tab` is `backtab`, as terminals report it;
/// - only CONTROL, ALT and SHIFT are kept (SHIFT only on non-character keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyPress {
    code: KeyCode,
    modifiers: KeyModifiers,
}

impl KeyPress {
    /// A normalized key press.
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> KeyPress {
        let mut modifiers =
            modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            KeyCode::Char(c) => {
                let shifted = modifiers.contains(KeyModifiers::SHIFT);
                modifiers.remove(KeyModifiers::SHIFT);
                // Terminals differ: some report shift-g as 'G'+SHIFT, kitty's protocol can
                // report 'g'+SHIFT. Both mean 'G'. Non-letters already carry their shift.
                if shifted && c.is_lowercase() {
                    KeyCode::Char(c.to_uppercase().next().unwrap_or(c))
                } else {
                    KeyCode::Char(c)
                }
            }
            KeyCode::Tab if modifiers.contains(KeyModifiers::SHIFT) => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::BackTab => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        KeyPress { code, modifiers }
    }

    /// A key without modifiers.
    pub fn plain(code: KeyCode) -> KeyPress {
        KeyPress::new(code, KeyModifiers::NONE)
    }

    /// The press a terminal event reports, or `None` for a key release (which terminals
    /// with the kitty protocol send; acting on it would act twice).
    pub fn from_event(event: &KeyEvent) -> Option<KeyPress> {
        match event.kind {
            KeyEventKind::Release => None,
            KeyEventKind::Press | KeyEventKind::Repeat => Some(KeyPress::from(*event)),
        }
    }

    pub fn code(&self) -> KeyCode {
        self.code
    }

    pub fn modifiers(&self) -> KeyModifiers {
        self.modifiers
    }
}

impl From<KeyEvent> for KeyPress {
    /// The press of a terminal key event, whatever its kind (see [`KeyPress::from_event`]).
    fn from(event: KeyEvent) -> KeyPress {
        KeyPress::new(event.code, event.modifiers)
    }
}

/// Named keys, in the spelling files use and [`KeyPress`]'s Display prints.
const NAMED_KEYS: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("space", KeyCode::Char(' ')),
    ("backspace", KeyCode::Backspace),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("delete", KeyCode::Delete),
    ("insert", KeyCode::Insert),
];

const MODIFIER_PREFIXES: [(&str, KeyModifiers); 3] = [
    ("ctrl-", KeyModifiers::CONTROL),
    ("alt-", KeyModifiers::ALT),
    ("shift-", KeyModifiers::SHIFT),
];

/// Why a key notation could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad key `{text}`: {reason}")]
pub struct KeyNotationError {
    pub text: String,
    pub reason: String,
}

impl FromStr for KeyPress {
    type Err = KeyNotationError;

    /// Parse `g`, `G`, `?`, `-`, `enter`, `f5`, `ctrl-d`, `alt-x`, `shift-tab`,
    /// `ctrl-alt-delete`. Single characters are case-sensitive (`G` is shift-g); names and
    /// modifiers are not (`Enter`, `CTRL-d`).
    fn from_str(text: &str) -> Result<KeyPress, KeyNotationError> {
        let error = |reason: &str| KeyNotationError {
            text: text.to_owned(),
            reason: reason.to_owned(),
        };
        let mut rest = text;
        let mut modifiers = KeyModifiers::NONE;
        // A lone character is the key itself, even `-` or a letter that begins a modifier.
        while rest.chars().count() > 1 {
            let Some((prefix, modifier)) = MODIFIER_PREFIXES
                .iter()
                .find(|(prefix, _)| starts_with_ignore_case(rest, prefix))
            else {
                break;
            };
            if modifiers.contains(*modifier) {
                return Err(error("a modifier is repeated"));
            }
            modifiers |= *modifier;
            rest = &rest[prefix.len()..];
        }

        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (None, _) => return Err(error("a modifier needs a key after it")),
            (Some(c), None) if c.is_control() => {
                return Err(error("control characters are written by name"));
            }
            (Some(c), None) => {
                // `shift-1` would need the keyboard layout to mean anything: ask for `!`.
                if modifiers.contains(KeyModifiers::SHIFT) && !c.is_alphabetic() {
                    return Err(error(
                        "write the shifted character itself instead of shift-",
                    ));
                }
                KeyCode::Char(c)
            }
            _ => named_key(rest).ok_or_else(|| error(&unknown_name_reason()))?,
        };
        Ok(KeyPress::new(code, modifiers))
    }
}

fn unknown_name_reason() -> String {
    let names: Vec<&str> = NAMED_KEYS.iter().map(|(name, _)| *name).collect();
    format!(
        "expected a single character, a key name ({}, f1–f12) or ctrl-/alt-/shift- before one",
        names.join(", ")
    )
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

fn named_key(name: &str) -> Option<KeyCode> {
    let lower = name.to_ascii_lowercase();
    if let Some((_, code)) = NAMED_KEYS.iter().find(|(n, _)| *n == lower) {
        return Some(*code);
    }
    let number: u8 = lower.strip_prefix('f')?.parse().ok()?;
    (1..=12).contains(&number).then_some(KeyCode::F(number))
}

impl fmt::Display for KeyPress {
    /// The canonical notation, which parses back to the same key: `ctrl-alt-` then the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (prefix, modifier) in MODIFIER_PREFIXES {
            if self.modifiers.contains(modifier) {
                f.write_str(prefix)?;
            }
        }
        if let Some((name, _)) = NAMED_KEYS.iter().find(|(_, code)| *code == self.code) {
            return f.write_str(name);
        }
        match self.code {
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            // Keys a file cannot name (media keys, …) never come out of a keymap; show
            // crossterm's name for debugging.
            other => write!(f, "{other:?}"),
        }
    }
}

/// A key sequence as the help overlay shows it: `g g`, `ctrl-d`.
pub fn display_sequence(keys: &[KeyPress]) -> String {
    keys.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> KeyPress {
        text.parse().unwrap()
    }

    #[test]
    fn characters_names_and_modifiers_parse() {
        assert_eq!(key("g"), KeyPress::plain(KeyCode::Char('g')));
        assert_eq!(key("G"), KeyPress::plain(KeyCode::Char('G')));
        assert_eq!(key("?"), KeyPress::plain(KeyCode::Char('?')));
        assert_eq!(key("-"), KeyPress::plain(KeyCode::Char('-')));
        assert_eq!(key("enter"), KeyPress::plain(KeyCode::Enter));
        assert_eq!(key("Enter"), KeyPress::plain(KeyCode::Enter));
        assert_eq!(key("space"), KeyPress::plain(KeyCode::Char(' ')));
        assert_eq!(key("f12"), KeyPress::plain(KeyCode::F(12)));
        assert_eq!(
            key("ctrl-d"),
            KeyPress::new(KeyCode::Char('d'), KeyModifiers::CONTROL)
        );
        assert_eq!(
            key("alt-x"),
            KeyPress::new(KeyCode::Char('x'), KeyModifiers::ALT)
        );
        assert_eq!(
            key("ctrl--"),
            KeyPress::new(KeyCode::Char('-'), KeyModifiers::CONTROL)
        );
        assert_eq!(
            key("ctrl-alt-delete"),
            KeyPress::new(KeyCode::Delete, KeyModifiers::CONTROL | KeyModifiers::ALT)
        );
        assert_eq!(
            key("shift-up"),
            KeyPress::new(KeyCode::Up, KeyModifiers::SHIFT)
        );
    }

    #[test]
    fn shift_is_normalized_away_from_characters_and_tab() {
        assert_eq!(key("shift-g"), key("G"));
        assert_eq!(key("shift-tab"), key("backtab"));
        // What terminals report.
        let shift = KeyModifiers::SHIFT;
        assert_eq!(KeyPress::new(KeyCode::Char('G'), shift), key("G"));
        assert_eq!(KeyPress::new(KeyCode::Char('g'), shift), key("G"));
        assert_eq!(KeyPress::new(KeyCode::Char('?'), shift), key("?"));
        assert_eq!(KeyPress::new(KeyCode::BackTab, shift), key("backtab"));
        assert_eq!(KeyPress::new(KeyCode::Tab, shift), key("backtab"));
        assert_eq!(
            KeyPress::new(
                KeyCode::Char('c'),
                KeyModifiers::CONTROL | KeyModifiers::SUPER
            ),
            key("ctrl-c")
        );
    }

    #[test]
    fn bad_notation_says_why() {
        for bad in [
            "",
            "ctrl-",
            "hyper-x",
            "pgup",
            "f13",
            "shift-1",
            "ctrl-ctrl-c",
            "\t",
        ] {
            let error = bad.parse::<KeyPress>().unwrap_err();
            assert!(
                error.to_string().starts_with(&format!("bad key `{bad}`")),
                "{error}"
            );
        }
    }

    #[test]
    fn display_round_trips_the_canonical_notation() {
        for text in [
            "g",
            "G",
            "?",
            "-",
            ":",
            "1",
            "enter",
            "esc",
            "tab",
            "backtab",
            "space",
            "backspace",
            "up",
            "down",
            "left",
            "right",
            "pageup",
            "pagedown",
            "home",
            "end",
            "delete",
            "insert",
            "f1",
            "f12",
            "ctrl-c",
            "alt-x",
            "ctrl-alt-x",
            "shift-up",
            "ctrl--",
        ] {
            assert_eq!(key(text).to_string(), text);
        }
        assert_eq!(key("shift-tab").to_string(), "backtab");
        assert_eq!(key("CTRL-D").to_string(), "ctrl-D");
    }

    #[test]
    fn key_releases_are_not_presses() {
        let mut event = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(KeyPress::from_event(&event), Some(key("q")));
        event.kind = KeyEventKind::Release;
        assert_eq!(KeyPress::from_event(&event), None);
    }

    #[test]
    fn sequences_display_with_spaces() {
        assert_eq!(display_sequence(&[key("g"), key("g")]), "g g");
    }
}
