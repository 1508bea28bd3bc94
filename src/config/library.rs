//! Themes and keymaps by name: the built-in files embedded in the binary, the user's
//! files in the config directory, and `inherits` chains across both.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::problem::{ConfigProblem, Place};

/// The built-in themes, embedded from the repository's `themes/`. A test proves each parses
/// and resolves with zero problems, which is what lets the loaders rely on them.
pub(crate) const BUILTIN_THEMES: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../themes/mono.toml")),
];

/// The built-in keymaps, embedded from the repository's `keymaps/` (tested like the themes).
pub(crate) const BUILTIN_KEYMAPS: &[(&str, &str)] = &[
    ("default", include_str!("../../keymaps/default.toml")),
    ("vim", include_str!("../../keymaps/vim.toml")),
];

/// Which family of files a lookup is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    Theme,
    Keymap,
}

impl FileKind {
    /// The subdirectory of the config dir (and of the repository) holding these files.
    pub(crate) fn dir_name(self) -> &'static str {
        match self {
            FileKind::Theme => "themes",
            FileKind::Keymap => "keymaps",
        }
    }

    /// The word for one of these in messages.
    pub(crate) fn noun(self) -> &'static str {
        match self {
            FileKind::Theme => "theme",
            FileKind::Keymap => "keymap",
        }
    }

    pub(crate) fn builtins(self) -> &'static [(&'static str, &'static str)] {
        match self {
            FileKind::Theme => BUILTIN_THEMES,
            FileKind::Keymap => BUILTIN_KEYMAPS,
        }
    }

    fn user_path(self, config_dir: &Path, name: &str) -> PathBuf {
        config_dir
            .join(self.dir_name())
            .join(format!("{name}.toml"))
    }
}

/// Where a file came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Builtin,
    User,
}

/// One theme or keymap file's text and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    /// The name it is known by (the file stem).
    pub name: String,
    /// Its path; built-ins get a `builtin:` pseudo-path so problems still name a file.
    pub path: PathBuf,
    pub text: Cow<'static, str>,
    pub origin: Origin,
}

impl SourceFile {
    /// The built-in file called `name`, if there is one.
    pub(crate) fn builtin(kind: FileKind, name: &str) -> Option<SourceFile> {
        let (name, text) = kind.builtins().iter().find(|(n, _)| *n == name)?;
        Some(SourceFile {
            name: (*name).to_owned(),
            path: builtin_path(kind, name),
            text: Cow::Borrowed(text),
            origin: Origin::Builtin,
        })
    }

    /// A user's file at an explicit path (for `themes check FILE`); named by its stem.
    pub(crate) fn read(path: &Path) -> Result<SourceFile, ConfigProblem> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigProblem::whole_file(path, format!("cannot read: {e}")))?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(SourceFile {
            name,
            path: path.to_path_buf(),
            text: Cow::Owned(text),
            origin: Origin::User,
        })
    }
}

/// The pseudo-path problems in a built-in file are reported under.
pub(crate) fn builtin_path(kind: FileKind, name: &str) -> PathBuf {
    PathBuf::from(format!("builtin:{}/{name}.toml", kind.dir_name()))
}

/// Why a name could not be turned into a file.
#[derive(Debug)]
pub(crate) enum FindError {
    /// The name is not a plain file name, or nothing is called that. The message is for
    /// the caller to place where the name was written.
    NotFound(String),
    /// The user's file exists but could not be read.
    Unreadable(ConfigProblem),
}

/// Whether a lookup may return the user's file or only a built-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// The user's `<config>/<kind>/NAME.toml` if it exists, else the built-in.
    UserFirst,
    BuiltinOnly,
}

/// The file called `name`: the user's if it exists (and `lookup` allows), else the built-in.
pub(crate) fn find(
    kind: FileKind,
    name: &str,
    config_dir: Option<&Path>,
    lookup: Lookup,
) -> Result<SourceFile, FindError> {
    // Names become file names: refuse anything that could leave the directory.
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !plain {
        return Err(FindError::NotFound(format!(
            "bad {} name `{name}`: use letters, digits, `-` and `_`",
            kind.noun()
        )));
    }
    if let (Lookup::UserFirst, Some(dir)) = (lookup, config_dir) {
        let path = kind.user_path(dir, name);
        if path.is_file() {
            return SourceFile::read(&path).map_err(FindError::Unreadable);
        }
    }
    SourceFile::builtin(kind, name).ok_or_else(|| {
        let builtins: Vec<&str> = kind.builtins().iter().map(|(n, _)| *n).collect();
        let place = match config_dir {
            Some(dir) => format!(" and no {}", kind.user_path(dir, name).display()),
            None => String::new(),
        };
        FindError::NotFound(format!(
            "no {} named `{name}`: built-in ones are {}{place}",
            kind.noun(),
            builtins.join(", "),
        ))
    })
}

/// The problem for a `name` that names no file: at `written_at` if known, else at the
/// user file that would have been used.
pub(crate) fn not_found(
    kind: FileKind,
    name: &str,
    config_dir: Option<&Path>,
    written_at: Option<&Place>,
    message: String,
) -> ConfigProblem {
    match (written_at, config_dir) {
        (Some(place), _) => place.problem(message),
        (None, Some(dir)) => ConfigProblem::whole_file(&kind.user_path(dir, name), message),
        (None, None) => ConfigProblem::whole_file(&builtin_path(kind, name), message),
    }
}

/// A parsed file of a chain, with the file it came from.
pub(crate) struct Link<T> {
    pub file: SourceFile,
    pub parsed: T,
}

/// Load `leaf` and everything it `inherits`, root first.
///
/// A parent named like the file itself is the built-in of that name (so a user's
/// `dark.toml` can say `inherits = "dark"`); built-ins inherit only built-ins, so a user's
/// override of `dark` does not leak into the built-in `light`. Stops at the first problem:
/// a chain with a problem is not used anyway.
pub(crate) fn load_chain<T>(
    kind: FileKind,
    leaf: SourceFile,
    config_dir: Option<&Path>,
    parse: impl Fn(&SourceFile) -> Result<T, ConfigProblem>,
    inherits: impl Fn(&T) -> Option<&Spanned<String>>,
) -> (Vec<Link<T>>, Vec<ConfigProblem>) {
    let mut chain: Vec<Link<T>> = Vec::new();
    let mut next = Some(leaf);
    while let Some(file) = next.take() {
        let parsed = match parse(&file) {
            Ok(parsed) => parsed,
            Err(problem) => return (chain, vec![problem]),
        };
        let parent = inherits(&parsed).cloned();
        chain.push(Link { file, parsed });
        let Some(parent) = parent else { break };
        let child = &chain[chain.len() - 1].file;
        let at = |message: String| {
            ConfigProblem::at_span(&child.path, &child.text, parent.span(), message)
        };
        let lookup = if child.origin == Origin::Builtin || parent.get_ref() == &child.name {
            Lookup::BuiltinOnly
        } else {
            Lookup::UserFirst
        };
        match find(kind, parent.get_ref(), config_dir, lookup) {
            Ok(file) if chain.iter().any(|link| link.file.path == file.path) => {
                let mut names: Vec<&str> = chain.iter().map(|l| l.file.name.as_str()).collect();
                names.push(&file.name);
                let problem = at(format!("inheritance cycle: {}", names.join(" → ")));
                return (chain, vec![problem]);
            }
            Ok(file) => next = Some(file),
            Err(FindError::Unreadable(problem)) => return (chain, vec![problem]),
            Err(FindError::NotFound(message)) => {
                let problem = at(format!("unknown parent: {message}"));
                return (chain, vec![problem]);
            }
        }
    }
    chain.reverse();
    (chain, Vec::new())
}

/// A theme or keymap that can be chosen by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Available {
    pub name: String,
    /// Whether pilothouse ships one of this name.
    pub builtin: bool,
    /// The user's file of this name, which is used instead of the built-in.
    pub user_file: Option<PathBuf>,
}

/// Every name of `kind`: built-ins in their order, then the user's others alphabetically.
pub(crate) fn available(kind: FileKind, config_dir: Option<&Path>) -> Vec<Available> {
    let user = config_dir.map_or_else(Vec::new, |dir| user_files(kind, dir));
    let mut list: Vec<Available> = kind
        .builtins()
        .iter()
        .map(|(name, _)| Available {
            name: (*name).to_owned(),
            builtin: true,
            user_file: user.iter().find(|(n, _)| n == name).map(|(_, p)| p.clone()),
        })
        .collect();
    for (name, path) in user {
        if !list.iter().any(|a| a.name == name) {
            list.push(Available {
                name,
                builtin: false,
                user_file: Some(path),
            });
        }
    }
    list
}

/// The user's `<config>/<kind>/*.toml` files as (name, path), sorted by name.
pub(crate) fn user_files(kind: FileKind, config_dir: &Path) -> Vec<(String, PathBuf)> {
    let dir = config_dir.join(kind.dir_name());
    // A missing or unreadable directory simply has no user files.
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml") && path.is_file())
        .filter_map(|path| {
            let name = path.file_stem()?.to_str()?.to_owned();
            Some((name, path))
        })
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_leave_the_directory_are_refused() {
        let result = find(FileKind::Theme, "../etc/passwd", None, Lookup::UserFirst);
        assert!(matches!(result, Err(FindError::NotFound(m)) if m.starts_with("bad theme name")));
    }

    #[test]
    fn unknown_names_list_the_builtins() {
        let Err(FindError::NotFound(message)) =
            find(FileKind::Keymap, "emacs", None, Lookup::UserFirst)
        else {
            panic!("emacs is not a built-in keymap");
        };
        assert_eq!(
            message,
            "no keymap named `emacs`: built-in ones are default, vim"
        );
    }
}
