//! Line predicates for filters and searches.

use regex::bytes::{Regex, RegexBuilder};

use super::store::LineRef;

/// A compiled pattern that decides whether a line matches.
///
/// Matching is on the text the user sees: the store keeps colors apart from the text, so
/// `ERROR` matches a red `ERROR` and `31m` matches no color code.
///
/// Besides the per-line regex it keeps a multi-line twin that searches a block of
/// `\n`-separated lines in one call ([`Self::mark_lines`]): a regex call costs tens of
/// nanoseconds before it reads a byte, and a block search skips non-matching text at
/// memory speed.
#[derive(Debug, Clone)]
pub struct LineMatcher {
    regex: Regex,
    /// `None` when the pattern's meaning depends on the haystack's ends (`\A`, `\z`,
    /// `(?-m)`), so a block search could miss lines.
    block: Option<Regex>,
    invert: bool,
}

impl LineMatcher {
    /// A regular expression, case-insensitive unless it has an uppercase letter
    /// ("smart case"). Returns the regex error text when the pattern does not compile.
    pub fn regex(pattern: &str, invert: bool) -> Result<Self, String> {
        Self::build(pattern, !has_uppercase_literal(pattern), invert)
    }

    fn build(pattern: &str, case_insensitive: bool, invert: bool) -> Result<Self, String> {
        let builder = |multi_line| {
            RegexBuilder::new(pattern)
                .case_insensitive(case_insensitive)
                .multi_line(multi_line)
                .build()
        };
        let regex = builder(false).map_err(|error| error.to_string())?;
        let block = if block_search_is_exact(pattern) {
            builder(true).ok()
        } else {
            None
        };
        Ok(LineMatcher {
            regex,
            block,
            invert,
        })
    }

    /// Plain text (no regex syntax), smart case as [`Self::regex`]. Fails only when the
    /// text is too long to compile (megabytes).
    pub fn text(text: &str) -> Result<Self, String> {
        let case_insensitive = !text.chars().any(char::is_uppercase);
        Self::build(&regex::escape(text), case_insensitive, false)
    }

    /// Whether `line` passes.
    pub fn matches(&self, line: &LineRef<'_>) -> bool {
        self.regex.is_match(line.text) != self.invert
    }

    /// Whether the pattern matches `text`, before inversion.
    pub(crate) fn raw_match(&self, text: &[u8]) -> bool {
        self.regex.is_match(text)
    }

    /// Whether the filter keeps the lines the pattern does not match.
    pub fn inverted(&self) -> bool {
        self.invert
    }

    /// Marks which of `count` lines laid out in `block` match (before inversion): line
    /// `k` ends at `end_of(k)` and the next starts one byte later, past a `\n`. Returns
    /// false, marking nothing, when this pattern cannot be searched by block.
    ///
    /// Exact: a match that lies within one line is a
    /// match of that line alone (`^`/`$` match at the separators in multi-line mode, and
    /// `\b` sees the same non-word `\n` as a line's end); a match that runs over a
    /// separator (`\s`, `[^x]` match `\n`) or starts on one is re-checked on its line
    /// alone; and a line that matches alone makes the leftmost search from its start stop
    /// within it (or on its separator).
    pub(crate) fn mark_lines(
        &self,
        block: &[u8],
        count: usize,
        end_of: impl Fn(usize) -> usize,
        marks: &mut Vec<bool>,
    ) -> bool {
        let Some(regex) = &self.block else {
            return false;
        };
        marks.clear();
        marks.resize(count, false);
        let (mut line, mut line_start, mut position) = (0, 0, 0);
        while position <= block.len() {
            let Some(found) = regex.find_at(block, position) else {
                break;
            };
            // Move to the line holding the match's start.
            while line < count && end_of(line) < found.start() {
                line_start = end_of(line) + 1;
                line += 1;
            }
            if line >= count {
                break;
            }
            let line_end = end_of(line);
            // A match wholly inside the line settles it; one that starts on or runs over
            // the separator is decided by the line alone (rare).
            marks[line] =
                found.end() <= line_end || self.regex.is_match(&block[line_start..line_end]);
            position = line_end + 1;
        }
        true
    }

    /// Byte ranges of the matches in `plain` (a line's text), for highlighting. Empty
    /// matches are skipped: there is nothing to highlight.
    pub fn find_ranges(&self, plain: &str) -> Vec<std::ops::Range<usize>> {
        self.regex
            .find_iter(plain.as_bytes())
            .filter(|m| !m.is_empty())
            .map(|m| m.range())
            .collect()
    }
}

/// Whether searching `\n`-separated lines in one haystack finds exactly the lines that
/// match alone: not when the pattern anchors to the haystack's ends (`\A`, `\z`) or
/// turns multi-line mode off (`(?-m)`), as then `^`/`$` stop matching at line breaks.
fn block_search_is_exact(pattern: &str) -> bool {
    if pattern.contains(r"\A") || pattern.contains(r"\z") {
        return false;
    }
    // Every inline flag group `(?flags)` or `(?flags:…)`.
    !pattern.match_indices("(?").any(|(at, _)| {
        let flags = &pattern[at + 2..];
        let flags = &flags[..flags.find([':', ')']).unwrap_or(flags.len())];
        flags
            .split_once('-')
            .is_some_and(|(_, off)| off.contains('m'))
    })
}

/// Whether a regex pattern contains an uppercase letter that is a literal, not part of
/// an escape such as `\S`, `\W`, `\D`, `\B`, `\A`, `\Z`, `\P{Lu}` or `\p{Greek}`.
pub fn has_uppercase_literal(pattern: &str) -> bool {
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            // `\p{…}` / `\x{…}` and friends: skip the braces' contents; `\pL`, `\x41`,
            // `\u00C9`, `\U0001F600`: skip the class letter or the hex digits.
            let skip = match chars.next() {
                Some('p' | 'P') => 1,
                Some('x') => 2,
                Some('u') => 4,
                Some('U') => 8,
                _ => 0,
            };
            if skip > 0 {
                let rest = chars.as_str();
                if rest.starts_with('{')
                    && let Some(close) = rest.find('}')
                {
                    chars = rest[close + 1..].chars();
                } else {
                    chars.nth(skip - 1);
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
        matcher.matches(&line)
    }

    #[test]
    fn smart_case() {
        assert!(!has_uppercase_literal(r"error\s+\S+\W\D\B\A\z"));
        assert!(!has_uppercase_literal(
            r"\p{Lu}\P{Greek}\pL\xAB\u{00C9}\u00C9\U0001F60A"
        ));
        assert!(has_uppercase_literal(r"\xABC"));
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
