//! Where in a YAML text a value is, for problems found after deserializing.
//!
//! serde_norway reports the line and column of its own errors but keeps no spans on the
//! values it produces. So to point at, say, `steps[3].command`, we deserialize the text a
//! second time with a seed that walks that path, ignores everything else, and fails on
//! the value it reaches: serde_norway stamps that failure with the value's position, the
//! parser's own, right for flow style, quoting and anchors alike.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// One step of a path into a YAML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A path into a YAML document: `steps[3].command`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YamlPath(pub Vec<Segment>);

impl YamlPath {
    pub fn root() -> YamlPath {
        YamlPath(Vec::new())
    }

    /// This path, one key deeper.
    pub fn key(&self, key: &str) -> YamlPath {
        let mut path = self.clone();
        path.0.push(Segment::Key(key.to_string()));
        path
    }

    /// This path, one index deeper.
    pub fn index(&self, index: usize) -> YamlPath {
        let mut path = self.clone();
        path.0.push(Segment::Index(index));
        path
    }
}

/// The 1-based line and column of the value at `path` in `text`; when the path does not
/// exist (a missing field), of the deepest part of it that does.
pub fn locate(text: &str, path: &YamlPath) -> (usize, usize) {
    let mut segments = path.0.as_slice();
    loop {
        let deserializer = serde_norway::Deserializer::from_str(text);
        if let Err(error) = Seek(segments).deserialize(deserializer)
            && let Some(location) = error.location()
        {
            return (location.line(), location.column());
        }
        match segments.split_last() {
            Some((_, parent)) => segments = parent,
            None => return (1, 1),
        }
    }
}

/// Walks `self.0`; fails at the value it reaches, returns `Ok` when the path is absent.
struct Seek<'p>(&'p [Segment]);

impl<'de> DeserializeSeed<'de> for Seek<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        match self.0.split_first() {
            None => deserializer.deserialize_any(Here),
            Some((Segment::Key(key), rest)) => deserializer.deserialize_map(InMap { key, rest }),
            Some((Segment::Index(index), rest)) => deserializer.deserialize_seq(InSeq {
                index: *index,
                rest,
            }),
        }
    }
}

/// Refuses every value, so that the deserializer marks the refusal with its position.
struct Here;

impl<'de> Visitor<'de> for Here {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("nothing: this is the place being looked for")
    }
}

struct InMap<'k, 'p> {
    key: &'k str,
    rest: &'p [Segment],
}

impl<'de> Visitor<'de> for InMap<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a mapping with `{}`", self.key)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<KeyText>()? {
            if key.0.as_deref() == Some(self.key) {
                return map.next_value_seed(Seek(self.rest));
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

struct InSeq<'p> {
    index: usize,
    rest: &'p [Segment],
}

impl<'de> Visitor<'de> for InSeq<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a sequence with an item {}", self.index)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        for _ in 0..self.index {
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Ok(());
            }
        }
        seq.next_element_seed(Seek(self.rest))?;
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

/// A mapping key as text, or `None` for a key that is not a scalar.
struct KeyText(Option<String>);

impl<'de> de::Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<KeyText, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = KeyText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyText, E> {
                Ok(KeyText(Some(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<KeyText, E> {
                Ok(KeyText(Some(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<KeyText, E> {
                Ok(KeyText(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<KeyText, E> {
                Ok(KeyText(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<KeyText, E> {
                Ok(KeyText(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<KeyText, E> {
                Ok(KeyText(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeyText, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(KeyText(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeyText, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(KeyText(None))
            }
        }
        deserializer.deserialize_any(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, path: YamlPath) -> (usize, usize) {
        locate(text, &path)
    }

    #[test]
    fn values_are_found_in_block_and_flow_style() {
        let text = "id: x\nsteps:\n  - id: a\n    command: \"restart deploy/x\"\n  - {id: b, next: nowhere}\n";
        let steps = YamlPath::root().key("steps");
        assert_eq!(at(text, steps.index(0).key("command")), (4, 14));
        assert_eq!(at(text, steps.index(1).key("next")), (5, 19));
        assert_eq!(at(text, YamlPath::root().key("id")), (1, 5));
    }

    #[test]
    fn a_missing_value_points_at_its_nearest_parent() {
        let text = "steps:\n  - id: a\n    kind: action\n";
        let step = YamlPath::root().key("steps").index(0);
        assert_eq!(at(text, step.key("command")), (2, 5));
        assert_eq!(at(text, YamlPath::root().key("steps").index(7)), (2, 3));
    }
}
