//! The command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "pilothouse",
    version,
    about = "A terminal ops console for Kubernetes, Docker, hosts and alerts",
    long_about = "A terminal ops console for Kubernetes, Docker, hosts and alerts.\n\n\
        It watches the Kubernetes contexts of your kubeconfig (--context, -n, -A) and the \
        Docker Engines the docker CLI would use (--docker-host adds more). --demo runs it \
        on a simulated estate with no cluster needed; --fixture shows a static estate \
        from a file. Operations, alerts and runbooks: see the README for what exists."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<CommandLine>,

    /// Run on the simulated estate (`pilothouse sim`), started in-process on loopback
    /// ports, through the same Kubernetes, Docker and Alertmanager sources as a real one.
    #[arg(long, conflicts_with = "fixture")]
    pub demo: bool,

    /// The scenario `--demo` runs: default, incident-db, big, or a YAML file.
    #[arg(
        long,
        value_name = "NAME|FILE",
        requires = "demo",
        default_value = "default"
    )]
    pub scenario: String,

    /// Fill the console from a fixture file describing an estate (YAML).
    #[arg(long, value_name = "FILE")]
    pub fixture: Option<PathBuf>,

    /// Theme name: dark, light, high-contrast, mono, or one in the config dir.
    #[arg(long)]
    pub theme: Option<String>,

    /// Keymap name: default, vim, or one in the config dir.
    #[arg(long)]
    pub keymap: Option<String>,

    /// Refuse every operation (scale, restart, rollback, backup, delete, cordon, silence)
    /// in the ops layer, before any request, whatever is configured.
    #[arg(long, visible_alias = "readonly")]
    pub read_only: bool,

    /// Log store budget in MiB (default 256, or the config file's logs.budget_mib).
    #[arg(long, value_name = "MIB")]
    pub log_budget_mib: Option<usize>,

    /// Capture the mouse (scroll, click rows and tabs).
    #[arg(long)]
    pub mouse: bool,

    /// Kubeconfig file (default: the files in KUBECONFIG, merged, or ~/.kube/config).
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,

    /// Kubernetes context to connect (default: the current one); repeatable, and all
    /// given form one fleet. `:ctx` adds and switches contexts while running.
    #[arg(long = "context", value_name = "NAME")]
    pub contexts: Vec<String>,

    /// Namespace scope (default: the context's namespace, else all). `:ns` changes it.
    #[arg(
        short = 'n',
        long,
        value_name = "NAME",
        conflicts_with = "all_namespaces"
    )]
    pub namespace: Option<String>,

    /// Watch every namespace.
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,

    /// Watch this Docker Engine too (unix:///PATH or tcp://HOST:PORT); repeatable.
    #[arg(long = "docker-host", value_name = "URL")]
    pub docker_hosts: Vec<crate::sources::docker::EndpointUrl>,

    /// Poll this Alertmanager (API v2) too; repeatable. Alerts of all are merged.
    #[arg(long = "alertmanager", value_name = "URL", value_parser = parse_http_url)]
    pub alertmanagers: Vec<reqwest::Url>,

    /// Read host metrics (node_exporter's) from this Prometheus too; repeatable.
    #[arg(long = "prometheus", value_name = "URL", value_parser = parse_http_url)]
    pub prometheus: Vec<reqwest::Url>,

    /// Probe this HTTP endpoint (a /health or /ready) every 15 s; repeatable. A failing
    /// probe raises an alert.
    #[arg(long = "probe", value_name = "URL", value_parser = parse_http_url)]
    pub probes: Vec<reqwest::Url>,

    /// Resume the incident with this id (`pilothouse incident list` shows them).
    #[arg(long, value_name = "ID")]
    pub resume: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CommandLine {
    /// Run the simulated estate: Kubernetes, Docker Engine and Alertmanager APIs on loopback.
    Sim(SimArgs),
    /// Configuration files and where they live.
    Config {
        #[command(subcommand)]
        what: ConfigCommand,
    },
    /// Check or list themes.
    Themes {
        #[command(subcommand)]
        what: FileCheckCommand,
    },
    /// Check or list keymaps.
    Keymaps {
        #[command(subcommand)]
        what: FileCheckCommand,
    },
    /// Check or list runbooks (shipped, and `<config>/runbooks/*.yaml`).
    Runbooks {
        #[command(subcommand)]
        what: FileCheckCommand,
    },
    /// The audit log: every operation, who did it, and how it ended.
    Audit(AuditArgs),
    /// Incidents: list them, export one as a Markdown postmortem.
    Incident {
        #[command(subcommand)]
        what: IncidentCommand,
    },
}

/// `pilothouse incident`.
#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// One line per incident: id, severity, status, declared, duration, title.
    List,
    /// Write the incident's postmortem (Markdown) to stdout or a file.
    Export {
        /// The incident's id, as `incident list` prints it.
        id: String,
        /// Write to this file instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// `pilothouse audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Only operations since then: an age (30m, 1h, 2d) or a time (2026-11-22T18:00:00Z).
    #[arg(long, value_name = "AGE|TIME")]
    pub since: Option<crate::ops::audit::Since>,
    /// Only operations in this Kubernetes context or on this Docker host.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Print the records themselves, as JSON Lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the config, themes, keymaps and data paths.
    Path,
    /// Check the config file.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum FileCheckCommand {
    /// Check files (default: the built-ins and those in the config dir); exit 1 on a problem.
    Check { files: Vec<PathBuf> },
    /// List the available names.
    List,
}

/// `pilothouse sim`: the names are relied on by scripts and tests; keep them.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::sim::scenario::builtin_help(100))]
pub struct SimArgs {
    /// A built-in scenario (default, incident-db, big) or a scenario file.
    #[arg(long, default_value = "default")]
    pub scenario: String,
    /// Seed for everything random, so a run can be repeated.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// How fast simulated time runs (2 = twice real time).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Kubernetes API address (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: std::net::SocketAddr,
    /// Write a kubeconfig for the sim here (default: a file in a temporary directory).
    #[arg(long, value_name = "PATH")]
    pub kubeconfig_out: Option<PathBuf>,
    /// Docker Engine API: unix:PATH or 127.0.0.1:PORT.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub docker_listen: crate::sim::launch::DockerListen,
    /// Alertmanager API v2 address.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub alertmanager_listen: std::net::SocketAddr,
    /// Written once every listener is up (contains the key=value lines).
    #[arg(long, value_name = "PATH")]
    pub ready_file: Option<PathBuf>,
}

/// An `http://` or `https://` URL, for `--alertmanager`, `--prometheus` and `--probe`.
fn parse_http_url(text: &str) -> Result<reqwest::Url, String> {
    crate::sources::alertmanager::settings::parse_url(text)
}
