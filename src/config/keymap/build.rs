//! From parsed keymap files to bindings: key notation, default descriptions, conflicts
//! within a file, and merging a chain of files (root first).

use std::ops::Range;

use super::Layer;
use super::file::{BindingSpec, KeymapFile};
use super::trie::overlaps;
use crate::app::KeyAction;
use crate::config::key_press::{KeyPress, display_sequence};
use crate::config::library::{Link, SourceFile};
use crate::config::problem::{ConfigProblem, line_column};

/// One binding of a layer, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Binding {
    pub keys: Vec<KeyPress>,
    pub action: KeyAction,
    pub desc: String,
}

/// The bindings of each layer (indexed by [`Layer::index`]) of a chain of files, root
/// first, with the problems found. A file's bindings replace the inherited ones whose
/// keys they overlap, so a user's file can rebind `g` without a conflict.
pub(crate) fn build(chain: &[Link<KeymapFile>]) -> ([Vec<Binding>; 5], Vec<ConfigProblem>) {
    let mut layers: [Vec<Binding>; 5] = Default::default();
    let mut problems = Vec::new();
    for link in chain {
        let at = Reporter { file: &link.file };
        for layer in Layer::ALL {
            let own = file_layer(&link.parsed, layer, &at, &mut problems);
            let merged = &mut layers[layer.index()];
            merged.retain(|inherited| !own.iter().any(|b| overlaps(&inherited.keys, &b.keys)));
            merged.extend(own);
        }
    }
    (layers, problems)
}

/// Places problems in one file.
struct Reporter<'a> {
    file: &'a SourceFile,
}

impl Reporter<'_> {
    fn problem(&self, span: Range<usize>, message: String) -> ConfigProblem {
        ConfigProblem::at_span(&self.file.path, &self.file.text, span, message)
    }

    fn line(&self, span: &Range<usize>) -> usize {
        line_column(&self.file.text, span.start).0
    }
}

/// The bindings `file` gives `layer`, leaving out (and reporting) broken or conflicting ones.
fn file_layer(
    file: &KeymapFile,
    layer: Layer,
    at: &Reporter<'_>,
    problems: &mut Vec<ConfigProblem>,
) -> Vec<Binding> {
    let specs = match layer {
        Layer::Global => &file.global,
        Layer::Table => &file.table,
        Layer::Logs => &file.logs,
        Layer::Dialog => &file.dialog,
        Layer::Incident => &file.incident,
    };
    // (binding, span of its keys, its line) for conflict messages.
    let mut accepted: Vec<(Binding, Range<usize>)> = Vec::new();
    for spec in specs {
        let Some(binding) = binding_from_spec(spec, at, problems) else {
            continue;
        };
        let span = spec.keys.span();
        if let Some((earlier, earlier_span)) = accepted
            .iter()
            .find(|(b, _)| overlaps(&b.keys, &binding.keys))
        {
            let line = at.line(earlier_span);
            let (this, that) = (
                display_sequence(&binding.keys),
                display_sequence(&earlier.keys),
            );
            let message = if binding.keys == earlier.keys {
                format!(
                    "`{this}` is bound twice in [{}] (also at line {line})",
                    layer.name()
                )
            } else if binding.keys.len() < earlier.keys.len() {
                format!(
                    "`{this}` in [{}] is a prefix of `{that}` (line {line}), which could never be typed",
                    layer.name()
                )
            } else {
                format!(
                    "`{this}` in [{}] starts with `{that}` (line {line}), so it could never be typed",
                    layer.name()
                )
            };
            problems.push(at.problem(span, message));
            continue;
        }
        accepted.push((binding, span));
    }
    accepted.into_iter().map(|(binding, _)| binding).collect()
}

fn binding_from_spec(
    spec: &BindingSpec,
    at: &Reporter<'_>,
    problems: &mut Vec<ConfigProblem>,
) -> Option<Binding> {
    if spec.keys.get_ref().is_empty() {
        problems.push(at.problem(
            spec.keys.span(),
            "`keys` is empty: bind at least one key".into(),
        ));
        return None;
    }
    let mut keys = Vec::with_capacity(spec.keys.get_ref().len());
    for key in spec.keys.get_ref() {
        match key.get_ref().parse::<KeyPress>() {
            Ok(press) => keys.push(press),
            Err(error) => {
                problems.push(at.problem(key.span(), error.to_string()));
                return None;
            }
        }
    }
    let desc = spec
        .desc
        .clone()
        .unwrap_or_else(|| default_description(spec.action));
    Some(Binding {
        keys,
        action: spec.action,
        desc,
    })
}

/// `page_down` → `Page down`: the help text of a binding without `desc`.
pub(crate) fn default_description(action: KeyAction) -> String {
    let words = action_name(action).replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

/// The name keymap files use for `action` (`page_down`).
pub fn action_name(action: KeyAction) -> String {
    // KeyAction's serde names are the file names; serializing a unit variant to a TOML
    // value cannot fail, but an empty name is a harmless answer if it ever did.
    match toml::Value::try_from(action) {
        Ok(toml::Value::String(name)) => name,
        _ => String::new(),
    }
}
