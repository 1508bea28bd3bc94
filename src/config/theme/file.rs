//! The TOML shape of a theme file, as written, before palette names are resolved.
//!
//! ```toml
//! inherits = "dark"
//!
//! [palette]
//! accent = "#7aa2f7"
//! selection = { color = "#33467c", ansi16 = "blue" }
//!
//! [styles]
//! "status.critical" = { fg = "light_red", modifiers = ["bold"] }
//! "table.selected" = { bg = "selection" }
//! "log.timestamp" = "accent"
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use toml::Spanned;

/// A whole theme file. Unknown top-level keys are errors, so a typo is reported, not ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ThemeFile {
    /// The theme this one starts from.
    pub inherits: Option<Spanned<String>>,
    /// Named colors the styles (of this theme and of those it inherits) refer to.
    #[serde(default)]
    pub palette: BTreeMap<Spanned<String>, Spanned<PaletteEntry>>,
    /// Semantic style names (`"status.critical"`) to styles.
    #[serde(default)]
    pub styles: BTreeMap<Spanned<String>, Spanned<StyleSpec>>,
}

/// A color as written: a name, `#rrggbb` or an index. Integers are accepted too
/// (`fg = 208`), and kept as their decimal text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ColorText(pub String);

impl<'de> Deserialize<'de> for ColorText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ColorTextVisitor)
    }
}

struct ColorTextVisitor;

impl Visitor<'_> for ColorTextVisitor {
    type Value = ColorText;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a color: a name, \"#rrggbb\" or 0–255")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<ColorText, E> {
        Ok(ColorText(v.to_owned()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<ColorText, E> {
        if (0..=255).contains(&v) {
            Ok(ColorText(v.to_string()))
        } else {
            Err(E::custom(format!("bad color index {v}: expected 0–255")))
        }
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<ColorText, E> {
        self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

/// A `[palette]` entry: a color literal, or `{ color = …, ansi16 = … }` to say what to use
/// on a 16-color terminal instead of the nearest match (a dark selection background would
/// otherwise become black, i.e. invisible).
#[derive(Debug, Clone)]
pub(crate) struct PaletteEntry {
    pub color: Spanned<ColorText>,
    pub ansi16: Option<Spanned<ColorText>>,
}

impl<'de> Deserialize<'de> for PaletteEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// The table form; `color` is required.
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Table {
            color: Spanned<ColorText>,
            ansi16: Option<Spanned<ColorText>>,
        }

        struct EntryVisitor;

        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = PaletteEntry;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a color or a table { color = …, ansi16 = … }")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<PaletteEntry, E> {
                Ok(PaletteEntry::plain(ColorText(v.to_owned())))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PaletteEntry, E> {
                ColorTextVisitor.visit_i64(v).map(PaletteEntry::plain)
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PaletteEntry, E> {
                ColorTextVisitor.visit_u64(v).map(PaletteEntry::plain)
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<PaletteEntry, A::Error> {
                let table = Table::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(PaletteEntry {
                    color: table.color,
                    ansi16: table.ansi16,
                })
            }
        }

        deserializer.deserialize_any(EntryVisitor)
    }
}

impl PaletteEntry {
    fn plain(color: ColorText) -> PaletteEntry {
        // The plain form has no span of its own inside the value; the entry's Spanned
        // wrapper carries it, and problems use that.
        PaletteEntry {
            color: Spanned::new(0..0, color),
            ansi16: None,
        }
    }
}

/// A style as written: a color (meaning the foreground) or `{ fg, bg, modifiers }`.
#[derive(Debug, Clone, Default)]
pub(crate) struct StyleSpec {
    pub fg: Option<Spanned<ColorText>>,
    pub bg: Option<Spanned<ColorText>>,
    pub modifiers: Vec<Spanned<String>>,
}

impl<'de> Deserialize<'de> for StyleSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StyleVisitor)
    }
}

struct StyleVisitor;

impl<'de> Visitor<'de> for StyleVisitor {
    type Value = StyleSpec;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a color or a table { fg = …, bg = …, modifiers = [ … ] }")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<StyleSpec, E> {
        Ok(StyleSpec::fg_only(ColorText(v.to_owned())))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<StyleSpec, E> {
        ColorTextVisitor.visit_i64(v).map(StyleSpec::fg_only)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<StyleSpec, E> {
        ColorTextVisitor.visit_u64(v).map(StyleSpec::fg_only)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StyleSpec, A::Error> {
        let mut spec = StyleSpec::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "fg" => spec.fg = Some(map.next_value()?),
                "bg" => spec.bg = Some(map.next_value()?),
                "modifiers" => spec.modifiers = map.next_value()?,
                // The likely cause is an unquoted dotted name (`status.critical = …` is the
                // table `status` with a key `critical`), so say how to write it.
                other => {
                    return Err(de::Error::custom(format!(
                        "unknown field `{other}`, expected `fg`, `bg` or `modifiers` \
                         (write dotted style names in quotes: \"table.header\" = …)"
                    )));
                }
            }
        }
        Ok(spec)
    }
}

impl StyleSpec {
    fn fg_only(color: ColorText) -> StyleSpec {
        // As for palette entries, the enclosing Spanned carries the position.
        StyleSpec {
            fg: Some(Spanned::new(0..0, color)),
            ..StyleSpec::default()
        }
    }
}

/// Parse a theme file's text.
pub(crate) fn parse(text: &str) -> Result<ThemeFile, toml::de::Error> {
    toml::from_str(text)
}
