//! A problem found in a configuration file, with the place it was found.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Something wrong in a config, theme or keymap file. The console shows these and uses
/// defaults instead of the broken file: never a crash, never a silent fallback.
///
/// Displays as `path:line:column: message`, the format editors and `grep -n` users know.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConfigProblem {
    /// The file the problem is in (built-ins are named `builtin:themes/dark.toml`).
    pub file: PathBuf,
    /// 1-based line. Problems about a whole file (it cannot be read) point at 1:1.
    pub line: usize,
    /// 1-based column, counted in characters, not bytes.
    pub column: usize,
    /// What is wrong, in words.
    pub message: String,
}

impl ConfigProblem {
    /// A problem at a byte span of `text`, the contents of `file`.
    pub fn at_span(
        file: &Path,
        text: &str,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> ConfigProblem {
        let (line, column) = line_column(text, span.start);
        ConfigProblem {
            file: file.to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }

    /// A problem about the file as a whole (unreadable, not found); points at 1:1.
    pub fn whole_file(file: &Path, message: impl Into<String>) -> ConfigProblem {
        ConfigProblem {
            file: file.to_path_buf(),
            line: 1,
            column: 1,
            message: message.into(),
        }
    }

    /// The problem a TOML parse or deserialization error describes.
    pub fn from_toml(file: &Path, text: &str, error: &toml::de::Error) -> ConfigProblem {
        // Without a span (rare: errors about the document as a whole) 1:1 is the honest place.
        let span = error.span().unwrap_or(0..0);
        ConfigProblem::at_span(file, text, span, error.message().trim_end())
    }
}

/// Where something was written, kept so that a later problem about it (a theme name in
/// `config.toml` that names no theme) can point there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Place {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl Place {
    pub(crate) fn of_span(file: &Path, text: &str, span: Range<usize>) -> Place {
        let (line, column) = line_column(text, span.start);
        Place {
            file: file.to_path_buf(),
            line,
            column,
        }
    }

    pub(crate) fn problem(&self, message: impl Into<String>) -> ConfigProblem {
        ConfigProblem {
            file: self.file.clone(),
            line: self.line,
            column: self.column,
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

/// The 1-based line and character column of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    // A span from a parser always starts on a char boundary; clamp anyway, because a
    // wrong column is better than a panic while reporting an error.
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let text = "a = 1\nb = \"é\"x\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        // `x` comes after a two-byte `é`: byte 14, character column 8.
        assert_eq!(line_column(text, 14), (2, 8));
        // Inside `é`: clamped back to its start.
        assert_eq!(line_column(text, 12), (2, 6));
        assert_eq!(line_column(text, 999), (3, 1));
    }

    #[test]
    fn toml_errors_point_at_the_offending_key() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)] // Only the error matters here.
        struct Doc {
            a: u8,
        }
        let text = "a = 1\n  b = 2\n";
        let error = toml::from_str::<Doc>(text).unwrap_err();
        let problem = ConfigProblem::from_toml(Path::new("x.toml"), text, &error);
        assert_eq!((problem.line, problem.column), (2, 3));
        assert_eq!(
            problem.to_string(),
            "x.toml:2:3: unknown field `b`, expected `a`"
        );
    }
}
