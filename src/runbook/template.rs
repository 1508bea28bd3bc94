//! `{{param}}` templates in runbook steps: `restart deploy/{{deployment}} -n {{namespace}}`.
//!
//! Deliberately tiny: a placeholder is a parameter name between double braces (spaces
//! inside the braces are allowed), and that is all. No filters, no defaults, no escapes:
//! a runbook is read at 3 a.m., and what it will run must be obvious from the text.

use std::collections::BTreeMap;
use std::fmt;

/// Parameter values by name, as a runbook is started with them.
pub type Params = BTreeMap<String, String>;

/// A text with `{{name}}` placeholders, checked to be well formed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    text: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Param(String),
}

impl Template {
    /// Parse `text`; the error says what is malformed (`{{` without `}}`, a bad name).
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or_else(|| format!("`{{{{` without a closing `}}}}` in `{text}`"))?;
            let name = after[..close].trim();
            if !is_param_name(name) {
                return Err(format!(
                    "`{{{{{}}}}}` is not a parameter name (letters, digits, `_` and `-`)",
                    &after[..close]
                ));
            }
            parts.push(Part::Param(name.to_string()));
            rest = &after[close + 2..];
        }
        if rest.contains("}}") {
            return Err(format!("`}}}}` without an opening `{{{{` in `{text}`"));
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        Ok(Template {
            text: text.to_string(),
            parts,
        })
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parameters it names, in order, repeats included.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Param(name) => Some(name.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// The text with every placeholder replaced by its value; a parameter without a value
    /// becomes empty (a runbook that needs one declares it `required`).
    pub fn render(&self, params: &Params) -> String {
        self.render_with(|name| params.get(name).cloned().unwrap_or_default())
    }

    /// The text with each placeholder replaced by `value(name)`.
    pub fn render_with(&self, mut value: impl FnMut(&str) -> String) -> String {
        let mut out = String::with_capacity(self.text.len());
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Param(name) => out.push_str(&value(name)),
            }
        }
        out
    }

    /// Whether it has no placeholders.
    pub fn is_literal(&self) -> bool {
        self.names().next().is_none()
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A parameter name: starts with a letter or `_`, then letters, digits, `_` or `-`.
pub fn is_param_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_replaced_and_listed() {
        let t = Template::parse("restart deploy/{{deployment}} -n {{ namespace }}").unwrap();
        assert_eq!(t.names().collect::<Vec<_>>(), ["deployment", "namespace"]);
        let params = Params::from([
            ("deployment".to_string(), "api".to_string()),
            ("namespace".to_string(), "shop".to_string()),
        ]);
        assert_eq!(t.render(&params), "restart deploy/api -n shop");
        assert!(Template::parse("no placeholders").unwrap().is_literal());
    }

    #[test]
    fn malformed_placeholders_are_refused() {
        assert!(
            Template::parse("a {{b")
                .unwrap_err()
                .contains("without a closing")
        );
        assert!(
            Template::parse("a }} b")
                .unwrap_err()
                .contains("without an opening")
        );
        assert!(
            Template::parse("{{ two words }}")
                .unwrap_err()
                .contains("not a parameter name")
        );
        assert!(Template::parse("{{}}").is_err());
    }
}
