//! Line predicates for filters and searches.

use regex::bytes::{Regex, RegexBuilder};

use super::sgr::strip_sgr_into;
use super::store::LineRef;

/// A compiled pattern that decides whether a line matches.
///
/// Matching is on the text the user sees: SGR color sequences are stripped first, so
/// `ERROR` matches `\x1b[31mERROR` and `31m` matches nothing it should not.
#[derive(Debug, Clone)]
pub struct LineMatcher {
    regex: Regex,
    invert: bool,
}

impl LineMatcher {
    /// A regular expression, case-insensitive unless it has an uppercase letter
    /// ("smart case"). Returns the regex error text when the pattern does not compile.
    pub fn regex(pattern: &str, invert: bool) -> Result<Self, String> {
        let regex = RegexBuilder::new(pattern)
            .case_insensitive(!has_uppercase_literal(pattern))
            .build()
            .map_err(|error| error.to_string())?;
        Ok(LineMatcher { regex, invert })
    }

    /// Plain text (no regex syntax), smart case as [`Self::regex`]. Fails only when the
    /// text is too long to compile (megabytes).
    pub fn text(text: &str) -> Result<Self, String> {
        let regex = RegexBuilder::new(&regex::escape(text))
            .case_insensitive(!text.chars().any(char::is_uppercase))
            .build()
            .map_err(|error| error.to_string())?;
        Ok(LineMatcher {
            regex,
            invert: false,
        })
    }

    /// Whether `line` passes. `scratch` is reused to strip colors without allocating.
    pub fn matches(&self, line: &LineRef<'_>, scratch: &mut Vec<u8>) -> bool {
        let text = if line.has_sgr() {
            scratch.clear();
            strip_sgr_into(line.text, scratch);
            scratch.as_slice()
        } else {
            line.text
        };
        self.regex.is_match(text) != self.invert
    }

    /// Byte ranges of the matches in `plain` (text already stripped of colors), for
    /// highlighting. Empty matches are skipped: there is nothing to highlight.
    pub fn find_ranges(&self, plain: &str) -> Vec<std::ops::Range<usize>> {
        self.regex
            .find_iter(plain.as_bytes())
            .filter(|m| !m.is_empty())
            .map(|m| m.range())
            .collect()
    }
}

/// Whether a regex pattern contains an uppercase letter that is a literal, not part of
/// an escape such as `\S`, `\W`, `\D`, `\B`, `\A`, `\Z`, `\P{Lu}` or `\p{Greek}`.
pub fn has_uppercase_literal(pattern: &str) -> bool {
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            // `\p{…}` / `\P{…}` / `\x{…}` / `\u{…}`: skip the braces' contents too.
            if let Some('p' | 'P' | 'x' | 'u' | 'U') = chars.next() {
                let rest = chars.as_str();
                if rest.starts_with('{')
                    && let Some(close) = rest.find('}')
                {
                    chars = rest[close + 1..].chars();
                } else {
                    // `\pL`, `\x41`: one class letter or two hex digits.
                    chars.next();
                }
            }
            continue;
        }
        if c.is_uppercase() {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::store::{LogStore, StreamKey};

    fn key() -> StreamKey {
        StreamKey::Docker {
            host: "local".into(),
            id: "abc".into(),
        }
    }

    fn matches(matcher: &LineMatcher, text: &[u8]) -> bool {
        let mut store = LogStore::new(1 << 20);
        let id = store.ingest_bytes(&key(), None, false, text);
        let line = store.line(id).unwrap();
        matcher.matches(&line, &mut Vec::new())
    }

    #[test]
    fn smart_case() {
        assert!(!has_uppercase_literal(r"error\s+\S+\W\D\B\A\z"));
        assert!(!has_uppercase_literal(r"\p{Lu}\P{Greek}\pL\x41\u{00C9}"));
        assert!(has_uppercase_literal("Error"));
        assert!(has_uppercase_literal(r"\d+ FAIL"));
        let insensitive = LineMatcher::regex("error", false).unwrap();
        assert!(matches(&insensitive, b"ERROR: disk full"));
        let sensitive = LineMatcher::regex("Error", false).unwrap();
        assert!(!matches(&sensitive, b"ERROR: disk full"));
        assert!(matches(&sensitive, b"Error: disk full"));
    }

    #[test]
    fn invert() {
        let matcher = LineMatcher::regex("health", true).unwrap();
        assert!(!matches(&matcher, b"GET /health 200"));
        assert!(matches(&matcher, b"GET /api 500"));
    }

    #[test]
    fn invalid_regex_reports_the_error() {
        let error = LineMatcher::regex("(unclosed", false).unwrap_err();
        assert!(error.contains("unclosed group"), "{error}");
    }

    #[test]
    fn colors_are_not_part_of_the_text() {
        let matcher = LineMatcher::regex("^ERROR disk", false).unwrap();
        assert!(matches(&matcher, b"\x1b[31mERROR\x1b[0m disk"));
        let matcher = LineMatcher::text("31m").unwrap();
        assert!(!matches(&matcher, b"\x1b[31mERROR\x1b[0m disk"));
    }

    #[test]
    fn plain_text_is_not_a_regex() {
        let matcher = LineMatcher::text("a.b(").unwrap();
        assert!(matches(&matcher, b"x a.b( y"));
        assert!(!matches(&matcher, b"axb("));
        assert_eq!(matcher.find_ranges("A.B( a.b("), vec![0..4, 5..9]);
    }
}
