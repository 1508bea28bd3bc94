//! Placeholder contract; the config work replaces the bodies.

use ratatui::style::Style;

#[derive(Debug, Clone, Default)]
pub struct Theme {}

impl Theme {
    /// The style for a semantic name (`status.critical`), falling back along the dots.
    pub fn style(&self, _key: &str) -> Style {
        Style::default()
    }
}
