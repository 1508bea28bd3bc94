//! The config file's `[docker]` section, read as written ([`DockerFile`]) and resolved into
//! [`DockerConfig`], so that a bad URL or value is reported at its line and column.
//!
//! ```toml
//! [docker]
//! hosts = [
//!     "tcp://build-1:2375",
//!     { url = "tcp://build-2", cert_path = "/etc/pilothouse/build-2" },  # TLS: ca.pem, cert.pem, key.pem
//!     { url = "ssh://ops@db-1", ssh_options = ["-i", "/home/me/.ssh/ops"] },
//! ]
//! local = true          # also the engine the docker CLI would use
//! stats_streams = 1     # containers per host whose stats stream: the selected one first
//! sample_every = "4s"   # one one-shot sample of an off-screen container this often, per host
//! log_file = "auto"     # "auto": read a local engine's json-file logs from disk; "never"
//! ```

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::endpoint::{EndpointUrl, TlsFiles};
use super::{DockerOptions, StatsPolicy};
use crate::config::ConfigProblem;

/// The shortest `sample_every`: faster would undo what sparse sampling is for.
const MIN_SAMPLE_EVERY: Duration = Duration::from_millis(500);

/// `[docker]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerConfig {
    /// Engines to watch besides the local one (`--docker-host` adds more).
    pub hosts: Vec<EndpointUrl>,
    /// Also watch the engine the docker CLI would use (`DOCKER_HOST`, the current docker
    /// context, the local socket, or rootless Podman's socket).
    pub local: bool,
    /// Containers per host whose stats stream at once (`stats_streams`).
    pub stats_streams: usize,
    /// The gap between two one-shot samples of off-screen containers (`sample_every`).
    pub sample_every: Duration,
    /// Whether a local engine's json-file logs may be read from disk (`log_file`).
    pub log_file: LogFileUse,
}

/// `log_file`: where followed logs of a local engine come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFileUse {
    /// The engine's json-file log on disk when the engine is on this machine and the file
    /// is readable, else the API.
    Auto,
    /// Always the API.
    Never,
}

impl Default for DockerConfig {
    fn default() -> DockerConfig {
        let policy = StatsPolicy::default();
        DockerConfig {
            hosts: Vec::new(),
            local: true,
            stats_streams: policy.max_streams,
            sample_every: policy.sparse_every,
            log_file: LogFileUse::Auto,
        }
    }
}

impl DockerConfig {
    /// How the Docker sources should work under these settings.
    pub fn options(&self) -> DockerOptions {
        let defaults = DockerOptions::default();
        DockerOptions {
            stats: StatsPolicy {
                max_streams: self.stats_streams,
                sparse_every: self.sample_every,
                ..defaults.stats
            },
            read_log_files: self.log_file == LogFileUse::Auto,
        }
    }
}

/// `[docker]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DockerFile {
    #[serde(default)]
    hosts: Vec<Spanned<HostEntry>>,
    local: Option<bool>,
    stats_streams: Option<usize>,
    sample_every: Option<Spanned<String>>,
    log_file: Option<LogFileUse>,
}

/// One of `hosts`: a URL, or a table with the URL and how to reach it.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum HostEntry {
    Url(String),
    Table(HostTable),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostTable {
    url: String,
    /// A directory holding `ca.pem`, `cert.pem` and `key.pem`: the host speaks TLS.
    cert_path: Option<PathBuf>,
    /// TLS with the default files (`DOCKER_CERT_PATH`, else `~/.docker`).
    tls_verify: Option<bool>,
    /// Extra arguments for `ssh` (ssh:// hosts only).
    #[serde(default)]
    ssh_options: Vec<String>,
}

impl DockerFile {
    /// The settings, or the first problem, placed in `text` (the file at `path`).
    pub fn resolve(self, path: &Path, text: &str) -> Result<DockerConfig, ConfigProblem> {
        let problem =
            |span: Range<usize>, message: String| ConfigProblem::at_span(path, text, span, message);
        let mut config = DockerConfig::default();
        config.local = self.local.unwrap_or(config.local);
        config.stats_streams = self.stats_streams.unwrap_or(config.stats_streams);
        config.log_file = self.log_file.unwrap_or(config.log_file);
        if let Some(every) = self.sample_every {
            config.sample_every =
                parse_duration(every.get_ref()).map_err(|m| problem(every.span(), m))?;
            if config.sample_every < MIN_SAMPLE_EVERY {
                return Err(problem(
                    every.span(),
                    format!("sample_every must be at least {MIN_SAMPLE_EVERY:?}"),
                ));
            }
        }
        for entry in self.hosts {
            let span = entry.span();
            let url = host_url(entry.into_inner()).map_err(|m| problem(span, m))?;
            config.hosts.push(url);
        }
        Ok(config)
    }
}

fn host_url(entry: HostEntry) -> Result<EndpointUrl, String> {
    let table = match entry {
        HostEntry::Url(url) => return EndpointUrl::parse(&url).map_err(|e| e.reason),
        HostEntry::Table(table) => table,
    };
    let url = EndpointUrl::parse(&table.url).map_err(|e| e.reason)?;
    let tls = table.cert_path.is_some() || table.tls_verify == Some(true);
    let url = match url {
        url @ (EndpointUrl::Tcp { .. } | EndpointUrl::Tls { .. }) if tls => {
            url.with_tls(&table.url, table.cert_path.as_deref().map(TlsFiles::in_dir))
        }
        _ if tls => return Err("cert_path and tls_verify are for tcp:// and https:// hosts".into()),
        EndpointUrl::Ssh(mut target) => {
            target.options = table.ssh_options;
            return Ok(EndpointUrl::Ssh(target));
        }
        url => url,
    };
    if !table.ssh_options.is_empty() {
        return Err("ssh_options are for ssh:// hosts".into());
    }
    Ok(url)
}

/// `4s`, `500ms`, `1m30s` (or ISO 8601 `PT4S`); never negative.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let parsed: jiff::SignedDuration = text
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (write 4s, 500ms, 1m)"))?;
    Duration::try_from(parsed).map_err(|_| format!("`{text}`: a duration cannot be negative"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(text: &str) -> Result<DockerConfig, ConfigProblem> {
        #[derive(Deserialize)]
        struct File {
            docker: DockerFile,
        }
        let file: File = toml::from_str(text)
            .map_err(|e| ConfigProblem::from_toml(Path::new("config.toml"), text, &e))?;
        file.docker.resolve(Path::new("config.toml"), text)
    }

    #[test]
    fn the_defaults_are_the_sources_defaults() {
        let config = resolve("[docker]\n").unwrap();
        assert_eq!(config, DockerConfig::default());
        assert_eq!(config.options(), DockerOptions::default());
    }

    #[test]
    fn stats_and_log_file_keys_reach_the_options() {
        let config =
            resolve("[docker]\nstats_streams = 4\nsample_every = \"10s\"\nlog_file = \"never\"\n")
                .unwrap();
        let options = config.options();
        assert_eq!(options.stats.max_streams, 4);
        assert_eq!(options.stats.sparse_every, Duration::from_secs(10));
        assert!(!options.read_log_files);
        assert!(
            resolve("[docker]\nlog_file = \"auto\"\n")
                .unwrap()
                .options()
                .read_log_files
        );
    }

    #[test]
    fn bad_values_are_placed() {
        let problem = resolve("[docker]\nsample_every = \"often\"\n").unwrap_err();
        assert_eq!((problem.line, problem.column), (2, 16));
        let problem = resolve("[docker]\nsample_every = \"100ms\"\n").unwrap_err();
        assert!(problem.to_string().contains("at least"), "{problem}");
        let problem = resolve("[docker]\nlog_file = \"sometimes\"\n").unwrap_err();
        assert_eq!(problem.line, 2);
        let problem =
            resolve("[docker]\nhosts = [{ url = \"unix:///x.sock\", cert_path = \"/c\" }]\n")
                .unwrap_err();
        assert!(problem.to_string().contains("cert_path"), "{problem}");
        assert_eq!((problem.line, problem.column), (2, 10));
    }

    #[test]
    fn hosts_take_tls_files_and_ssh_options() {
        let config = resolve(
            "[docker]\nhosts = [\n  \"tcp://plain\",\n  \
             { url = \"tcp://secure\", cert_path = \"/etc/ph/secure\" },\n  \
             { url = \"https://other:3000\", tls_verify = true },\n  \
             { url = \"ssh://ops@db-1\", ssh_options = [\"-i\", \"/k/ops\"] },\n]\n",
        )
        .unwrap();
        assert_eq!(config.hosts[0].to_url(), "tcp://plain:2375");
        assert_eq!(
            config.hosts[1],
            EndpointUrl::Tls {
                host: "secure".into(),
                port: 2376,
                certs: Some(TlsFiles::in_dir(Path::new("/etc/ph/secure")))
            }
        );
        // No cert_path: discovery fills in DOCKER_CERT_PATH or ~/.docker.
        assert!(matches!(
            &config.hosts[2],
            EndpointUrl::Tls {
                port: 3000,
                certs: None,
                ..
            }
        ));
        let EndpointUrl::Ssh(target) = &config.hosts[3] else {
            panic!("{:?}", config.hosts[3]);
        };
        assert_eq!(target.options, ["-i", "/k/ops"]);
        assert_eq!(target.user.as_deref(), Some("ops"));
    }
}
