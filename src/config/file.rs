//! `config.toml`: the user's settings.
//!
//! ```toml
//! theme = "dark"
//! keymap = "default"
//! read_only = false
//! mouse = false
//! protected = ["prod*", "*-live"]   # contexts whose operations need the strong confirmation
//!
//! [logs]
//! budget_mib = 256
//!
//! [contexts."prod*"]
//! environment = "prod"              # dev, test, staging, prod, unknown
//!
//! [docker]                          # all keys: sources::docker::settings
//! hosts = ["tcp://build-1:2375", "unix:///run/user/1000/podman/podman.sock"]
//! local = true                      # also the engine the docker CLI would use
//! stats_streams = 1                 # per host; sample_every = "4s", log_file = "auto"
//!
//! [alertmanager]
//! urls = ["http://am-1:9093", "http://am-2:9093"]
//! interval = "10s"
//!
//! [prometheus]
//! urls = ["http://prometheus:9090"]
//! interval = "15s"
//!
//! [[probes]]
//! url = "http://api:8000/health"
//! interval = "15s"
//! timeout = "5s"
//! expect_status = [200]
//!
//! [[backup]]                       # all keys: ops::backup_config
//! container = "shop-postgres-1"
//! argv = ["pg_dump", "-U", "shop", "shop"]
//!
//! [rules]
//! reserve_percent = 25
//! [rules.cpu]
//! percent = 80
//! for = "5m"
//! severity = "warning"
//! ```
//!
//! Every table denies unknown keys, so a typo is reported with its line and column rather
//! than silently ignored. New sections are added here as features need them.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::glob::{glob_matches, specificity};
use super::keymap::DEFAULT_KEYMAP;
use super::problem::{ConfigProblem, Place};
use super::theme::DEFAULT_THEME;
use crate::model::Environment;
use crate::ops::backup_config::{BackupFile, BackupTarget, resolve_backups};
use crate::sources::alertmanager::settings::{
    AlertmanagerConfig, AlertmanagerFile, ProbeConfig, ProbeFile, PrometheusConfig, PrometheusFile,
    RulesConfig, RulesFile,
};
use crate::sources::docker::settings::DockerFile;

/// The default log memory budget (DESIGN §4).
pub const DEFAULT_LOG_BUDGET_MIB: u64 = 256;

/// The settings from `config.toml`, or the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The theme's name (built-in or `<config>/themes/NAME.toml`).
    pub theme: String,
    /// The keymap's name (built-in or `<config>/keymaps/NAME.toml`).
    pub keymap: String,
    /// No operation may change the world (enforced in `ops/`).
    pub read_only: bool,
    /// Capture the mouse (clicks, wheel) at start-up; off leaves the terminal's own
    /// selection and copy working.
    pub mouse: bool,
    /// Globs of contexts whose operations need the strong confirmation. Contexts whose
    /// environment is prod are protected whether listed or not.
    pub protected: Vec<String>,
    pub logs: LogsConfig,
    /// Per-context settings, keyed by a context glob (`"prod*"`).
    pub contexts: BTreeMap<String, ContextConfig>,
    pub docker: DockerConfig,
    /// `[alertmanager]`: Alertmanagers to poll (`--alertmanager` adds more).
    pub alertmanager: AlertmanagerConfig,
    /// `[prometheus]`: Prometheus servers with node_exporter metrics (`--prometheus`).
    pub prometheus: PrometheusConfig,
    /// `[[probes]]`: HTTP health probes (`--probe` adds more).
    pub probes: Vec<ProbeConfig>,
    /// `[rules]`: the built-in threshold rules.
    pub rules: RulesConfig,
    /// `[[backup]]`: commands whose output is a container's backup.
    pub backups: Vec<BackupTarget>,
    /// Where `theme` and `keymap` were written, to place problems about them.
    theme_at: Option<Place>,
    keymap_at: Option<Place>,
}

/// `[logs]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogsConfig {
    /// The memory budget of all log streams together, in MiB; oldest lines go first.
    pub budget_mib: u64,
}

/// `[docker]`: its keys and their meaning are in `sources::docker::settings`.
pub use crate::sources::docker::settings::DockerConfig;

/// `[contexts."GLOB"]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextConfig {
    /// The environment of matching contexts, instead of guessing from the name.
    pub environment: Option<Environment>,
    /// Every operation on matching contexts is refused, as with `--readonly`.
    #[serde(default)]
    pub read_only: Option<bool>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            theme: DEFAULT_THEME.to_owned(),
            keymap: DEFAULT_KEYMAP.to_owned(),
            read_only: false,
            mouse: false,
            protected: Vec::new(),
            logs: LogsConfig {
                budget_mib: DEFAULT_LOG_BUDGET_MIB,
            },
            contexts: BTreeMap::new(),
            docker: DockerConfig::default(),
            alertmanager: AlertmanagerConfig::default(),
            prometheus: PrometheusConfig::default(),
            probes: Vec::new(),
            rules: RulesConfig::default(),
            backups: Vec::new(),
            theme_at: None,
            keymap_at: None,
        }
    }
}

/// The file as written; `Option`s so that what is left out takes the default.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    theme: Option<Spanned<String>>,
    keymap: Option<Spanned<String>>,
    read_only: Option<bool>,
    mouse: Option<bool>,
    protected: Option<Vec<String>>,
    logs: Option<LogsFile>,
    #[serde(default)]
    contexts: BTreeMap<String, ContextConfig>,
    docker: Option<DockerFile>,
    alertmanager: Option<AlertmanagerFile>,
    prometheus: Option<PrometheusFile>,
    #[serde(default)]
    probes: Vec<ProbeFile>,
    rules: Option<RulesFile>,
    #[serde(default)]
    backup: Vec<BackupFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogsFile {
    budget_mib: Option<Spanned<u64>>,
}

impl Config {
    /// The settings in the file at `path`. A missing file means the defaults, silently.
    /// A broken one means [`Config::fallback`] plus the problems.
    pub fn load(path: &Path) -> (Config, Vec<ConfigProblem>) {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&text, path),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                (Config::default(), Vec::new())
            }
            Err(error) => Config::broken(
                vec![ConfigProblem::whole_file(
                    path,
                    format!("cannot read: {error}"),
                )],
                path,
            ),
        }
    }

    /// The settings in `text`, the contents of the file at `path`.
    pub fn parse(text: &str, path: &Path) -> (Config, Vec<ConfigProblem>) {
        let file: ConfigFile = match toml::from_str(text) {
            Ok(file) => file,
            Err(error) => {
                return Config::broken(vec![ConfigProblem::from_toml(path, text, &error)], path);
            }
        };
        let mut config = Config::default();
        if let Some(theme) = file.theme {
            config.theme_at = Some(Place::of_span(path, text, theme.span()));
            config.theme = theme.into_inner();
        }
        if let Some(keymap) = file.keymap {
            config.keymap_at = Some(Place::of_span(path, text, keymap.span()));
            config.keymap = keymap.into_inner();
        }
        config.read_only = file.read_only.unwrap_or(config.read_only);
        config.mouse = file.mouse.unwrap_or(config.mouse);
        config.protected = file.protected.unwrap_or_default();
        config.contexts = file.contexts;
        if let Some(docker) = file.docker {
            match docker.resolve(path, text) {
                Ok(docker) => config.docker = docker,
                Err(problem) => return Config::broken(vec![problem], path),
            }
        }
        let sections = (|| {
            if let Some(am) = file.alertmanager {
                config.alertmanager = am.resolve(path, text)?;
            }
            if let Some(prometheus) = file.prometheus {
                config.prometheus = prometheus.resolve(path, text)?;
            }
            for probe in file.probes {
                config.probes.push(probe.resolve(path, text)?);
            }
            if let Some(rules) = file.rules {
                config.rules = rules.resolve(path, text)?;
            }
            config.backups = resolve_backups(file.backup, path, text)?;
            Ok::<(), ConfigProblem>(())
        })();
        if let Err(problem) = sections {
            return Config::broken(vec![problem], path);
        }
        if let Some(budget) = file.logs.and_then(|logs| logs.budget_mib) {
            if *budget.get_ref() == 0 {
                let problem = ConfigProblem::at_span(
                    path,
                    text,
                    budget.span(),
                    "budget_mib must be at least 1",
                );
                return Config::broken(vec![problem], path);
            }
            config.logs.budget_mib = budget.into_inner();
        }
        (config, Vec::new())
    }

    /// What is used instead of a broken file: the defaults, but read-only. Someone who set
    /// `read_only = true` and then mistyped another line must not find the console able to
    /// change production; the problem tells them why it is read-only.
    pub fn fallback() -> Config {
        Config {
            read_only: true,
            ..Config::default()
        }
    }

    fn broken(mut problems: Vec<ConfigProblem>, path: &Path) -> (Config, Vec<ConfigProblem>) {
        problems.push(ConfigProblem::whole_file(
            path,
            "using the default settings, read-only, until this file is fixed",
        ));
        (Config::fallback(), problems)
    }

    /// The environment of `context`: from the most specific `[contexts."GLOB"]` that
    /// matches and says, else guessed from the name.
    pub fn environment_for(&self, context: &str) -> Environment {
        self.environment_override(context)
            .unwrap_or_else(|| Environment::infer(context))
    }

    /// The environment the user configured for `context`, if any `[contexts."GLOB"]` says.
    pub fn environment_override(&self, context: &str) -> Option<Environment> {
        self.contexts
            .iter()
            .filter(|(glob, settings)| {
                settings.environment.is_some() && glob_matches(glob, context)
            })
            .max_by_key(|(glob, _)| specificity(glob))
            .and_then(|(_, settings)| settings.environment)
    }

    /// Whether operations on `context` are refused: `read_only = true` globally (or
    /// `--readonly`), or in the most specific `[contexts."GLOB"]` that says.
    pub fn is_read_only(&self, context: &str) -> bool {
        self.read_only
            || self
                .contexts
                .iter()
                .filter(|(glob, settings)| {
                    settings.read_only.is_some() && glob_matches(glob, context)
                })
                .max_by_key(|(glob, _)| specificity(glob))
                .and_then(|(_, settings)| settings.read_only)
                .unwrap_or(false)
    }

    /// Whether operations on `context` need the strong confirmation: its environment is
    /// prod, or it matches a `protected` glob.
    pub fn is_protected(&self, context: &str) -> bool {
        self.environment_for(context) == Environment::Prod
            || self
                .protected
                .iter()
                .any(|glob| glob_matches(glob, context))
    }

    /// The log budget in bytes.
    pub fn log_budget_bytes(&self) -> u64 {
        self.logs.budget_mib.saturating_mul(1024 * 1024)
    }

    pub(crate) fn theme_at(&self) -> Option<&Place> {
        self.theme_at.as_ref()
    }

    pub(crate) fn keymap_at(&self) -> Option<&Place> {
        self.keymap_at.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::docker::EndpointUrl;

    fn parse(text: &str) -> (Config, Vec<ConfigProblem>) {
        Config::parse(text, Path::new("config.toml"))
    }

    #[test]
    fn an_empty_file_is_the_defaults() {
        let (config, problems) = parse("");
        assert!(problems.is_empty());
        assert_eq!(config, Config::default());
        assert_eq!(config.log_budget_bytes(), 256 * 1024 * 1024);
    }

    #[test]
    fn every_setting_is_read() {
        let (config, problems) = parse(
            "theme = \"light\"\nkeymap = \"vim\"\nread_only = true\nmouse = true\n\
             protected = [\"*-live\"]\n[logs]\nbudget_mib = 64\n\
             [contexts.\"kind-*\"]\nenvironment = \"staging\"\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(config.theme, "light");
        assert_eq!(config.keymap, "vim");
        assert!(config.read_only && config.mouse);
        assert_eq!(config.protected, ["*-live"]);
        assert_eq!(config.logs.budget_mib, 64);
        assert_eq!(config.environment_for("kind-shop"), Environment::Staging);
        let place = config.theme_at().unwrap();
        assert_eq!((place.line, place.column), (1, 9));
    }

    #[test]
    fn a_broken_file_gives_read_only_defaults_and_says_where() {
        let (config, problems) = parse("theme = \"light\"\n[logs]\nbudget_mb = 64\n");
        assert_eq!(config, Config::fallback());
        assert!(config.read_only);
        assert_eq!(
            problems[0].to_string(),
            "config.toml:3:1: unknown field `budget_mb`, expected `budget_mib`"
        );
        assert_eq!(problems.len(), 2);
    }

    #[test]
    fn a_zero_budget_is_a_problem() {
        let (_, problems) = parse("[logs]\nbudget_mib = 0\n");
        assert_eq!((problems[0].line, problems[0].column), (2, 14));
    }

    #[test]
    fn docker_hosts_are_read_and_a_bad_url_is_placed() {
        let (config, problems) =
            parse("[docker]\nhosts = [\"tcp://build-1\", \"unix:///run/x.sock\"]\nlocal = false\n");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            config.docker.hosts,
            [
                EndpointUrl::Tcp {
                    host: "build-1".into(),
                    port: 2375
                },
                EndpointUrl::Unix("/run/x.sock".into())
            ]
        );
        assert!(!config.docker.local);
        assert!(Config::default().docker.local);
        let (config, problems) = parse("[docker]\nhosts = [\"ftp://nope\"]\n");
        assert!(
            config.read_only,
            "a broken file falls back to read-only defaults"
        );
        assert_eq!((problems[0].line, problems[0].column), (2, 10));
        assert!(
            problems[0].to_string().contains("unix://"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn alert_and_host_sections_are_read_and_mistakes_placed() {
        let (config, problems) = parse(
            "[alertmanager]\nurls = [\"http://am-1:9093\"]\ninterval = \"30s\"\n\
             [prometheus]\nurls = [\"http://prom:9090\"]\n\
             [prometheus.queries]\nload1 = \"node_load1{job='node'}\"\n\
             [[probes]]\nurl = \"http://api:8000/health\"\nexpect_status = [200, 204]\n\
             [rules]\nreserve_percent = 20\n[rules.cpu]\npercent = 90\nfor = \"10m\"\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(config.alertmanager.urls[0].as_str(), "http://am-1:9093/");
        assert_eq!(config.alertmanager.interval.as_secs(), 30);
        assert_eq!(config.prometheus.queries.load1, "node_load1{job='node'}");
        assert_eq!(
            config.prometheus.queries.cpu,
            crate::sources::alertmanager::settings::HostQueries::default().cpu
        );
        assert_eq!(config.probes[0].name, "api:8000/health");
        assert_eq!(config.rules.cpu.percent.0, 90.0);
        assert_eq!(config.rules.cpu.hold.as_secs(), 600);
        assert_eq!(
            config.rules.memory.percent.0, 85.0,
            "untouched rules keep the defaults"
        );
        assert_eq!(config.rules.reserve_percent.0, 20.0);

        let (config, problems) = parse("[rules.disk]\nfor = \"soon\"\n");
        assert!(config.read_only);
        assert_eq!((problems[0].line, problems[0].column), (2, 7));
        let (_, problems) = parse("[alertmanager]\nurls = [\"am-1:9093\"]\n");
        assert_eq!((problems[0].line, problems[0].column), (2, 9));
    }

    #[test]
    fn backup_targets_are_read_and_a_shell_string_placed() {
        let (config, problems) =
            parse("[[backup]]\ncontainer = \"db\"\nargv = [\"pg_dump\", \"shop\"]\n");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(config.backups[0].name, "db");
        let (config, problems) = parse("[[backup]]\ncontainer = \"db\"\nargv = \"pg_dump shop\"\n");
        assert!(config.read_only);
        assert_eq!((problems[0].line, problems[0].column), (3, 8));
    }

    #[test]
    fn environment_overrides_pick_the_most_specific_glob() {
        let (config, _) = parse(
            "[contexts.\"prod*\"]\nenvironment = \"prod\"\n\
             [contexts.\"prod-sandbox*\"]\nenvironment = \"dev\"\n",
        );
        assert_eq!(config.environment_for("prod-eu"), Environment::Prod);
        assert_eq!(config.environment_for("prod-sandbox-1"), Environment::Dev);
        // No override: guessed from the name.
        assert_eq!(config.environment_for("shop-staging"), Environment::Staging);
    }

    #[test]
    fn prod_is_always_protected_and_globs_add_more() {
        let (config, _) = parse("protected = [\"blue-*\"]\n");
        assert!(config.is_protected("prod-eu-1"));
        assert!(config.is_protected("blue-2"));
        assert!(!config.is_protected("kind-dev"));
    }
}
