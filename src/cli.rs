//! The command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "pilothouse",
    version,
    about = "A terminal ops console for Kubernetes, Docker, hosts and alerts",
    long_about = "A terminal ops console for Kubernetes, Docker, hosts and alerts.\n\n\
        Today the console shows an estate loaded from a fixture file (--fixture) or the \
        built-in demo estate (--demo). Live Kubernetes, Docker and Alertmanager sources \
        and the simulated estate are being built; see the README."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<CommandLine>,

    /// Run on the built-in demo estate (currently the embedded fixture estate).
    #[arg(long, conflicts_with = "fixture")]
    pub demo: bool,

    /// Fill the console from a fixture file describing an estate (YAML).
    #[arg(long, value_name = "FILE")]
    pub fixture: Option<PathBuf>,

    /// Theme name: dark, light, high-contrast, mono, or one in the config dir.
    #[arg(long)]
    pub theme: Option<String>,

    /// Keymap name: default, vim, or one in the config dir.
    #[arg(long)]
    pub keymap: Option<String>,

    /// Refuse every change to the world, whatever is configured.
    #[arg(long)]
    pub read_only: bool,

    /// Log store budget in MiB (default 256, or the config file's logs.budget_mib).
    #[arg(long, value_name = "MIB")]
    pub log_budget_mib: Option<usize>,

    /// Capture the mouse (scroll, click rows and tabs).
    #[arg(long)]
    pub mouse: bool,

    /// Watch this Docker Engine too (unix:///PATH or tcp://HOST:PORT); repeatable.
    #[arg(long = "docker-host", value_name = "URL")]
    pub docker_hosts: Vec<crate::sources::docker::EndpointUrl>,
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
