//! Everything that changes the app's state arrives as an [`Action`] through `App::update`.

use crossterm::event::{KeyEvent, MouseEvent};

use super::KeyAction;
use crate::store::SourceEvent;

// Actions are moved straight into `update`, never stored in bulk, so the size of the
// largest variant costs nothing; boxing it would allocate once per source event instead.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Action {
    /// A key, before the keymap has resolved it.
    Key(KeyEvent),
    Mouse(MouseEvent),
    /// The terminal's new size in cells.
    Resize {
        width: u16,
        height: u16,
    },
    Source(SourceEvent),
    /// A bound action, as if its key had been pressed (tests and the palette use this).
    Do(KeyAction),
    /// A palette command line, without the leading `:`.
    Command(String),
    /// The clock moved on enough that ages on screen changed.
    Tick(jiff::Timestamp),
}
