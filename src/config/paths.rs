//! Where pilothouse keeps its files: config, user themes and keymaps, data, the log.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use directories::ProjectDirs;

/// Environment variable naming the config directory, overriding the platform default.
pub const CONFIG_ENV: &str = "PILOTHOUSE_CONFIG";
/// Environment variable naming the data directory (audit log, saved logs, the log file).
pub const DATA_ENV: &str = "PILOTHOUSE_DATA";

/// The name of the config file inside the config directory.
pub const CONFIG_FILE_NAME: &str = "config.toml";
/// The name of tracing's log file.
pub const LOG_FILE_NAME: &str = "pilothouse.log";

/// Every path pilothouse reads or writes, decided once at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// Holds `config.toml`, `themes/` and `keymaps/`.
    pub config_dir: PathBuf,
    /// Holds the audit log and saved logs.
    pub data_dir: PathBuf,
    /// Where tracing writes.
    pub log_file: PathBuf,
    /// Whether `config_dir` came from `PILOTHOUSE_CONFIG`.
    pub config_from_env: bool,
    /// Whether `data_dir` came from `PILOTHOUSE_DATA`.
    pub data_from_env: bool,
}

impl Paths {
    /// The paths for this process: the platform's directories, overridden by
    /// `PILOTHOUSE_CONFIG` and `PILOTHOUSE_DATA`.
    pub fn from_env() -> Paths {
        Paths::resolve(
            std::env::var_os(CONFIG_ENV),
            std::env::var_os(DATA_ENV),
            ProjectDirs::from("", "", "pilothouse").as_ref(),
        )
    }

    /// The paths given the override variables' values and the platform's directories.
    /// Pure, so tests need not touch the process environment.
    ///
    /// An empty override counts as unset. Without a home directory (`ProjectDirs` is `None`,
    /// e.g. in a bare container) and without overrides, everything goes under
    /// `$TMPDIR/pilothouse`, so the console still starts.
    pub fn resolve(
        config_override: Option<OsString>,
        data_override: Option<OsString>,
        project: Option<&ProjectDirs>,
    ) -> Paths {
        let fallback = std::env::temp_dir().join("pilothouse");
        let non_empty =
            |value: Option<OsString>| value.filter(|v| !v.is_empty()).map(PathBuf::from);

        let config_env = non_empty(config_override);
        let data_env = non_empty(data_override);
        let config_from_env = config_env.is_some();
        let data_from_env = data_env.is_some();

        let config_dir = config_env.unwrap_or_else(|| match project {
            Some(dirs) => dirs.config_dir().to_path_buf(),
            None => fallback.join("config"),
        });
        let data_dir = data_env.clone().unwrap_or_else(|| match project {
            Some(dirs) => dirs.data_dir().to_path_buf(),
            None => fallback.join("data"),
        });
        // The log is state, not data (XDG), except that an explicit PILOTHOUSE_DATA keeps
        // everything of one sandbox (a test, a demo) in one place.
        let log_dir = match (&data_env, project.and_then(ProjectDirs::state_dir)) {
            (None, Some(state)) => state.to_path_buf(),
            _ => data_dir.clone(),
        };
        Paths {
            config_dir,
            log_file: log_dir.join(LOG_FILE_NAME),
            data_dir,
            config_from_env,
            data_from_env,
        }
    }

    /// Paths rooted in one directory (`<root>/config`, `<root>/data`); for tests and sandboxes.
    pub fn under(root: &Path) -> Paths {
        let data_dir = root.join("data");
        Paths {
            config_dir: root.join("config"),
            log_file: data_dir.join(LOG_FILE_NAME),
            data_dir,
            config_from_env: false,
            data_from_env: false,
        }
    }

    /// `<config>/config.toml`.
    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join(CONFIG_FILE_NAME)
    }

    /// `<config>/themes`, where user themes (`NAME.toml`) live.
    pub fn themes_dir(&self) -> PathBuf {
        self.config_dir.join("themes")
    }

    /// `<config>/keymaps`, where user keymaps (`NAME.toml`) live.
    pub fn keymaps_dir(&self) -> PathBuf {
        self.config_dir.join("keymaps")
    }

    /// The text `pilothouse config path` prints: one `label: path` line each.
    pub fn render(&self) -> String {
        let from = |yes: bool, var: &str| {
            if yes {
                format!("  (from {var})")
            } else {
                String::new()
            }
        };
        let rows = [
            (
                "config dir",
                self.config_dir.clone(),
                from(self.config_from_env, CONFIG_ENV),
            ),
            ("config file", self.config_file(), String::new()),
            ("themes dir", self.themes_dir(), String::new()),
            ("keymaps dir", self.keymaps_dir(), String::new()),
            (
                "data dir",
                self.data_dir.clone(),
                from(self.data_from_env, DATA_ENV),
            ),
            ("log file", self.log_file.clone(), String::new()),
        ];
        let mut text = String::new();
        for (label, path, note) in rows {
            // Writing to a String cannot fail.
            let _ = writeln!(
                text,
                "{:<12} {}{}",
                format!("{label}:"),
                path.display(),
                note
            );
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_the_platform_directories() {
        let paths = Paths::resolve(Some("/c".into()), Some("/d".into()), None);
        assert_eq!(paths.config_dir, PathBuf::from("/c"));
        assert_eq!(paths.config_file(), PathBuf::from("/c/config.toml"));
        assert_eq!(paths.themes_dir(), PathBuf::from("/c/themes"));
        assert_eq!(paths.keymaps_dir(), PathBuf::from("/c/keymaps"));
        assert_eq!(paths.data_dir, PathBuf::from("/d"));
        assert_eq!(paths.log_file, PathBuf::from("/d/pilothouse.log"));
        assert!(paths.config_from_env && paths.data_from_env);
    }

    #[test]
    fn empty_overrides_count_as_unset() {
        let paths = Paths::resolve(Some("".into()), None, None);
        assert!(!paths.config_from_env);
        assert!(paths.config_dir.ends_with("pilothouse/config"));
    }

    #[test]
    fn platform_directories_are_used_without_overrides() {
        let Some(project) = ProjectDirs::from("", "", "pilothouse") else {
            return; // No home directory here: nothing to compare with.
        };
        let paths = Paths::resolve(None, None, Some(&project));
        assert_eq!(paths.config_dir, project.config_dir());
        assert_eq!(paths.data_dir, project.data_dir());
        let log_dir = project.state_dir().unwrap_or(project.data_dir());
        assert_eq!(paths.log_file, log_dir.join(LOG_FILE_NAME));
    }

    #[test]
    fn render_names_every_path_and_where_it_came_from() {
        let text = Paths::resolve(Some("/c".into()), Some("/d".into()), None).render();
        assert_eq!(
            text,
            "config dir:  /c  (from PILOTHOUSE_CONFIG)\n\
             config file: /c/config.toml\n\
             themes dir:  /c/themes\n\
             keymaps dir: /c/keymaps\n\
             data dir:    /d  (from PILOTHOUSE_DATA)\n\
             log file:    /d/pilothouse.log\n"
        );
    }
}
