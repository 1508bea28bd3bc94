//! A key trie: sequences of key presses to actions, walked one press at a time.

use std::collections::HashMap;

use crate::app::KeyAction;
use crate::config::key_press::KeyPress;

/// What a sequence of presses means in one trie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Walk {
    /// The sequence is bound.
    Bound(KeyAction),
    /// The sequence begins one or more longer bound sequences.
    Prefix,
    /// Nothing starts with this sequence.
    Nothing,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct KeyTrie {
    action: Option<KeyAction>,
    children: HashMap<KeyPress, KeyTrie>,
}

impl KeyTrie {
    /// Bind `keys` (non-empty) to `action`. The loader has already rejected sequences that
    /// are prefixes of each other, so no node ends up both bound and with children.
    pub(crate) fn insert(&mut self, keys: &[KeyPress], action: KeyAction) {
        let node = keys
            .iter()
            .fold(self, |node, key| node.children.entry(*key).or_default());
        node.action = Some(action);
    }

    /// What `pending` followed by `key` means.
    pub(crate) fn walk(&self, pending: &[KeyPress], key: KeyPress) -> Walk {
        let mut node = self;
        for press in pending.iter().chain(std::iter::once(&key)) {
            match node.children.get(press) {
                Some(child) => node = child,
                None => return Walk::Nothing,
            }
        }
        match node.action {
            Some(action) => Walk::Bound(action),
            None if node.children.is_empty() => Walk::Nothing,
            None => Walk::Prefix,
        }
    }
}

/// Whether two sequences cannot both be bound: one equals or begins the other.
pub(crate) fn overlaps(a: &[KeyPress], b: &[KeyPress]) -> bool {
    let shorter = a.len().min(b.len());
    a[..shorter] == b[..shorter]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<KeyPress> {
        text.split(' ').map(|k| k.parse().unwrap()).collect()
    }

    #[test]
    fn walks_report_bound_prefix_or_nothing() {
        let mut trie = KeyTrie::default();
        trie.insert(&keys("g g"), KeyAction::Top);
        trie.insert(&keys("G"), KeyAction::Bottom);
        let g = keys("g")[0];
        assert_eq!(trie.walk(&[], g), Walk::Prefix);
        assert_eq!(trie.walk(&[g], g), Walk::Bound(KeyAction::Top));
        assert_eq!(trie.walk(&[], keys("G")[0]), Walk::Bound(KeyAction::Bottom));
        assert_eq!(trie.walk(&[g], keys("x")[0]), Walk::Nothing);
        assert_eq!(trie.walk(&[], keys("x")[0]), Walk::Nothing);
    }

    #[test]
    fn overlap_is_equality_or_prefix() {
        assert!(overlaps(&keys("g"), &keys("g g")));
        assert!(overlaps(&keys("g g"), &keys("g")));
        assert!(overlaps(&keys("g g"), &keys("g g")));
        assert!(!overlaps(&keys("g x"), &keys("g g")));
    }
}
