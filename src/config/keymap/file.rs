//! The TOML shape of a keymap file, as written.
//!
//! ```toml
//! inherits = "default"    # optional: start from another keymap
//!
//! [[table]]
//! keys = ["g", "g"]
//! action = "top"
//! desc = "Go to top"
//! ```

use serde::Deserialize;
use toml::Spanned;

use crate::app::KeyAction;

/// A whole keymap file: one array of bindings per layer. Unknown sections are errors.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeymapFile {
    /// The keymap this one starts from; its bindings stay unless this file rebinds their keys.
    pub inherits: Option<Spanned<String>>,
    #[serde(default)]
    pub global: Vec<BindingSpec>,
    #[serde(default)]
    pub table: Vec<BindingSpec>,
    #[serde(default)]
    pub logs: Vec<BindingSpec>,
    #[serde(default)]
    pub dialog: Vec<BindingSpec>,
    #[serde(default)]
    pub incident: Vec<BindingSpec>,
}

/// One binding as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BindingSpec {
    /// The key sequence, one notation per key (`["g", "g"]`); parsed after
    /// deserialization so that a bad key is reported at its own position.
    pub keys: Spanned<Vec<Spanned<String>>>,
    pub action: KeyAction,
    /// The help overlay's text; the action's name when left out.
    pub desc: Option<String>,
}

/// Parse a keymap file's text.
pub(crate) fn parse(text: &str) -> Result<KeymapFile, toml::de::Error> {
    toml::from_str(text)
}
