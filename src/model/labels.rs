//! A pod's labels, packed into one allocation.
//!
//! The fleet keeps every pod of every context in scope, and a `BTreeMap<String, String>`
//! costs a pod about 640 bytes for two labels (a B-tree leaf has room for eleven, and
//! every key and value is an allocation of its own): 32 MB of a 50,000-pod cluster's
//! memory. Packed, the same labels are one string of their own length. Pods are read
//! for a handful of labels at a time (a workload's selector, the pod-template hash), so a
//! scan of a few pairs is as quick as a tree's lookup.

use std::fmt;

/// Label pairs stored as `key NUL value NUL key NUL value`, sorted by key, keys unique.
/// Kubernetes keeps NUL out of label keys and values (they are `[A-Za-z0-9._/-]`), so
/// the separator cannot collide; a pair that holds one anyway is left out rather than
/// misread.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Labels(Box<str>);

const SEPARATOR: char = '\0';

impl Labels {
    /// The value of `key`, if the labels have it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The pairs, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut parts = (!self.0.is_empty()).then(|| self.0.split(SEPARATOR));
        std::iter::from_fn(move || {
            let parts = parts.as_mut()?;
            Some((parts.next()?, parts.next()?))
        })
    }

    pub fn len(&self) -> usize {
        self.iter().count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for Labels {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        let mut pairs: Vec<(K, V)> = pairs
            .into_iter()
            .filter(|(k, v)| !k.as_ref().contains(SEPARATOR) && !v.as_ref().contains(SEPARATOR))
            .collect();
        // Stable, so of two pairs with one key the last wins, as in a map.
        pairs.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
        let mut unique: Vec<(K, V)> = Vec::with_capacity(pairs.len());
        for pair in pairs {
            match unique.last_mut() {
                Some(last) if last.0.as_ref() == pair.0.as_ref() => *last = pair,
                _ => unique.push(pair),
            }
        }
        let length = unique
            .iter()
            .map(|(k, v)| k.as_ref().len() + v.as_ref().len() + 2)
            .sum::<usize>();
        let mut packed = String::with_capacity(length);
        for (k, v) in &unique {
            if !packed.is_empty() {
                packed.push(SEPARATOR);
            }
            packed.push_str(k.as_ref());
            packed.push(SEPARATOR);
            packed.push_str(v.as_ref());
        }
        Labels(packed.into_boxed_str())
    }
}

impl<K: AsRef<str>, V: AsRef<str>, const N: usize> From<[(K, V); N]> for Labels {
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_come_back_sorted_and_found_by_key() {
        let labels = Labels::from([("tier", "db"), ("app", "pg"), ("pod-template-hash", "7d9f")]);
        assert_eq!(
            labels.iter().collect::<Vec<_>>(),
            [("app", "pg"), ("pod-template-hash", "7d9f"), ("tier", "db")]
        );
        assert_eq!(labels.get("tier"), Some("db"));
        assert_eq!(labels.get("app"), Some("pg"));
        assert_eq!(labels.get("pg"), None, "a value is not a key");
        assert_eq!(labels.len(), 3);
    }

    #[test]
    fn empty_values_and_empty_labels_are_kept_apart() {
        let role = Labels::from([("node-role.kubernetes.io/worker", "")]);
        assert_eq!(role.get("node-role.kubernetes.io/worker"), Some(""));
        assert_eq!(role.len(), 1);
        let none = Labels::default();
        assert!(none.is_empty());
        assert_eq!(none.iter().count(), 0);
        assert_eq!(none.get(""), None);
    }

    #[test]
    fn the_last_of_a_repeated_key_wins_and_a_nul_is_left_out() {
        let labels: Labels = [("app", "old"), ("bad", "a\0b"), ("app", "new")]
            .into_iter()
            .collect();
        assert_eq!(labels.iter().collect::<Vec<_>>(), [("app", "new")]);
    }

    #[test]
    fn equal_labels_compare_equal_whatever_their_order() {
        assert_eq!(
            Labels::from([("a", "1"), ("b", "2")]),
            Labels::from([("b", "2"), ("a", "1")])
        );
        assert_ne!(Labels::from([("a", "1")]), Labels::from([("a", "2")]));
    }
}
