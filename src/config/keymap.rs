//! Keymaps: key sequences to [`KeyAction`]s, one set per layer, with a trie per layer so
//! multi-key sequences (`g g`) work, and help entries generated from the same bindings.
//!
//! A keymap file has one array of tables per layer (`[[global]]`, `[[table]]`, `[[logs]]`,
//! `[[dialog]]`), each entry `keys = ["g", "g"]`, `action = "top"`, `desc = "Go to top"`,
//! and optionally `inherits = "NAME"` at the top. Key notation is [`KeyPress`]'s.

mod build;
mod file;
mod trie;

use std::path::Path;

/// Re-exported: the key type [`Keymap::resolve`] takes.
pub use super::key_press::KeyPress;
pub use build::action_name;

use super::key_press::display_sequence;
use super::library::{self, FileKind, FindError, Lookup, SourceFile};
use super::problem::{ConfigProblem, Place};
use crate::app::KeyAction;
use build::Binding;
use file::KeymapFile;
use trie::{KeyTrie, Walk};

/// The keymap used when none is configured, and instead of a broken one.
pub const DEFAULT_KEYMAP: &str = "default";

/// A group of bindings active together; the app searches several in order
/// (`[Layer::Logs, Layer::Global]`), so a view's bindings shadow the global ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// Everywhere except in dialogs: quit, help, switching views.
    Global,
    /// Table views: movement, sorting, drilling down.
    Table,
    /// The log view.
    Logs,
    /// Confirmation dialogs.
    Dialog,
    /// The incident view: walking a runbook, the timeline.
    Incident,
}

impl Layer {
    /// Every layer, in the order keymap files and the help overlay list them.
    pub const ALL: [Layer; 5] = [
        Layer::Global,
        Layer::Table,
        Layer::Logs,
        Layer::Incident,
        Layer::Dialog,
    ];

    /// The section name in keymap files.
    pub fn name(self) -> &'static str {
        match self {
            Layer::Global => "global",
            Layer::Table => "table",
            Layer::Logs => "logs",
            Layer::Dialog => "dialog",
            Layer::Incident => "incident",
        }
    }

    fn index(self) -> usize {
        match self {
            Layer::Global => 0,
            Layer::Table => 1,
            Layer::Logs => 2,
            Layer::Dialog => 3,
            Layer::Incident => 4,
        }
    }
}

/// What a key press means, given the keys pressed before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Do this; the pending keys are used up.
    Action(KeyAction),
    /// The keys so far begin a longer sequence (the first `g` of `g g`): remember this one
    /// and wait for the next.
    Pending,
    /// Nothing is bound; the pending keys are dropped.
    Unbound,
}

/// One line of the help overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpEntry {
    /// The sequence as notation: `g g`, `ctrl-d`.
    pub keys: String,
    pub action: KeyAction,
    /// The file's `desc`, or the action's name.
    pub desc: String,
}

/// Bindings of one layer: in file order for help, in a trie for resolving.
#[derive(Debug, Clone, Default)]
struct LayerBindings {
    bindings: Vec<Binding>,
    trie: KeyTrie,
}

impl LayerBindings {
    fn new(bindings: Vec<Binding>) -> LayerBindings {
        let mut trie = KeyTrie::default();
        for binding in &bindings {
            trie.insert(&binding.keys, binding.action);
        }
        LayerBindings { bindings, trie }
    }
}

/// A loaded keymap.
#[derive(Debug, Clone)]
pub struct Keymap {
    name: String,
    layers: [LayerBindings; 5],
}

impl Default for Keymap {
    /// The built-in `default` keymap.
    fn default() -> Keymap {
        builtin_or_empty(DEFAULT_KEYMAP)
    }
}

impl Keymap {
    /// What `key` means after `pending`, searching `layers` in order: the first layer in
    /// which the sequence is bound or begins a bound sequence decides.
    pub fn resolve(&self, layers: &[Layer], pending: &[KeyPress], key: KeyPress) -> Resolution {
        for layer in layers {
            match self.layers[layer.index()].trie.walk(pending, key) {
                Walk::Bound(action) => return Resolution::Action(action),
                Walk::Prefix => return Resolution::Pending,
                Walk::Nothing => {}
            }
        }
        Resolution::Unbound
    }

    /// The bindings of `layer` in file order (inherited ones first), for the help overlay.
    pub fn help(&self, layer: Layer) -> Vec<HelpEntry> {
        self.layers[layer.index()]
            .bindings
            .iter()
            .map(|binding| HelpEntry {
                keys: display_sequence(&binding.keys),
                action: binding.action,
                desc: binding.desc.clone(),
            })
            .collect()
    }

    /// The first sequence bound to `action` in `layers` (searched in order), as notation:
    /// for hints like "? help" in the status bar.
    pub fn keys_for(&self, layers: &[Layer], action: KeyAction) -> Option<String> {
        layers.iter().find_map(|layer| {
            self.layers[layer.index()]
                .bindings
                .iter()
                .find(|binding| binding.action == action)
                .map(|binding| display_sequence(&binding.keys))
        })
    }

    /// The keymap's name (`default`, or the user's file stem).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The names of the keymaps shipped with pilothouse.
    pub fn builtin_names() -> impl Iterator<Item = &'static str> {
        library::BUILTIN_KEYMAPS.iter().map(|(name, _)| *name)
    }

    /// A built-in keymap, or `None` if there is no built-in of that name.
    pub fn builtin(name: &str) -> Option<Keymap> {
        let file = SourceFile::builtin(FileKind::Keymap, name)?;
        // Built-ins load without problems: `every_builtin_keymap_loads_cleanly` proves it.
        Some(from_source(file, None).0)
    }

    /// The keymap called `name`: the user's `<config_dir>/keymaps/NAME.toml` if there is
    /// one, else the built-in. A broken keymap (or one inheriting from a broken one) is not
    /// used: the problems are returned and the built-in `default` keymap is used instead.
    pub fn load(name: &str, config_dir: Option<&Path>) -> (Keymap, Vec<ConfigProblem>) {
        Keymap::load_at(name, config_dir, None)
    }

    /// [`Keymap::load`], where `written_at` is where the name was written (in `config.toml`),
    /// which is where a name that names no keymap is reported.
    pub(crate) fn load_at(
        name: &str,
        config_dir: Option<&Path>,
        written_at: Option<&Place>,
    ) -> (Keymap, Vec<ConfigProblem>) {
        let problems = match library::find(FileKind::Keymap, name, config_dir, Lookup::UserFirst) {
            Ok(file) => {
                let (keymap, problems) = from_source(file, config_dir);
                if problems.is_empty() {
                    return (keymap, problems);
                }
                problems
            }
            Err(FindError::Unreadable(problem)) => vec![problem],
            Err(FindError::NotFound(message)) => {
                vec![library::not_found(
                    FileKind::Keymap,
                    name,
                    config_dir,
                    written_at,
                    message,
                )]
            }
        };
        (builtin_or_empty(DEFAULT_KEYMAP), problems)
    }

    /// The problems in the keymap file at `path` (for `keymaps check FILE`), resolving what
    /// it inherits from `config_dir` and the built-ins.
    pub fn check_file(path: &Path, config_dir: Option<&Path>) -> Vec<ConfigProblem> {
        match SourceFile::read(path) {
            Ok(file) => from_source(file, config_dir).1,
            Err(problem) => vec![problem],
        }
    }

    /// The problems in the built-in keymap `name` (none, as the tests prove).
    pub fn check_builtin(name: &str) -> Vec<ConfigProblem> {
        match SourceFile::builtin(FileKind::Keymap, name) {
            Some(file) => from_source(file, None).1,
            None => Vec::new(),
        }
    }
}

/// The built-in keymap `name`. Should a built-in ever fail to exist, a keymap without
/// bindings is returned rather than panicking; the tests make sure it does not happen.
fn builtin_or_empty(name: &str) -> Keymap {
    match SourceFile::builtin(FileKind::Keymap, name) {
        Some(file) => from_source(file, None).0,
        None => Keymap {
            name: name.to_owned(),
            layers: Default::default(),
        },
    }
}

fn from_source(file: SourceFile, config_dir: Option<&Path>) -> (Keymap, Vec<ConfigProblem>) {
    let name = file.name.clone();
    let (chain, mut problems) = library::load_chain(
        FileKind::Keymap,
        file,
        config_dir,
        parse_source,
        |keymap: &KeymapFile| keymap.inherits.as_ref(),
    );
    let (layers, build_problems) = build::build(&chain);
    problems.extend(build_problems);
    let layers = layers.map(LayerBindings::new);
    (Keymap { name, layers }, problems)
}

fn parse_source(file: &SourceFile) -> Result<KeymapFile, ConfigProblem> {
    file::parse(&file.text).map_err(|error| {
        let mut problem = ConfigProblem::from_toml(&file.path, &file.text, &error);
        // `[global]` with `q = "quit"` under it is the likely mistake behind this one.
        if problem.message.contains("expected a sequence") {
            problem.message.push_str(
                " (write each binding as [[layer]] with keys = [\"…\"], action = \"…\", desc = \"…\")",
            );
        }
        problem
    })
}

/// The keys typed so far of a multi-key sequence, and the logic around them: feed it
/// every key press and it answers with the action to run, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PendingKeys {
    keys: Vec<KeyPress>,
}

impl PendingKeys {
    /// Feed one key press. Returns the action it completes, if any. A key that does not
    /// continue the pending sequence drops it and is then tried on its own, so `g` `j`
    /// still moves down.
    pub fn feed(&mut self, keymap: &Keymap, layers: &[Layer], key: KeyPress) -> Option<KeyAction> {
        match keymap.resolve(layers, &self.keys, key) {
            Resolution::Action(action) => {
                self.keys.clear();
                Some(action)
            }
            Resolution::Pending => {
                self.keys.push(key);
                None
            }
            Resolution::Unbound if self.keys.is_empty() => None,
            Resolution::Unbound => {
                self.keys.clear();
                self.feed(keymap, layers, key)
            }
        }
    }

    /// The keys waiting for the rest of their sequence (for a "g…" hint in the status bar).
    pub fn keys(&self) -> &[KeyPress] {
        &self.keys
    }

    /// Whether a sequence is in progress.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Forget the pending keys (on a view change, a dialog, a mouse click).
    pub fn clear(&mut self) {
        self.keys.clear();
    }

    /// The pending keys as notation (`g`), empty when none.
    pub fn display(&self) -> String {
        display_sequence(&self.keys)
    }
}

#[cfg(test)]
mod tests;
