//! Which engines to watch: the one the docker CLI would talk to, plus configured hosts.
//!
//! The CLI's order is `DOCKER_HOST`, then `DOCKER_CONTEXT`, then the `currentContext` of
//! `~/.docker/config.json`, then the local socket. pilothouse adds rootless Podman's socket
//! when Docker's is absent, and then every host from the config file and `--docker-host`.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::endpoint::{DEFAULT_SOCKET, DockerEndpoint, EndpointUrl, TlsFiles};

/// What discovery reads from the environment and the file system, gathered so tests can
/// give it any machine they like.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// `DOCKER_HOST`.
    pub docker_host: Option<String>,
    /// `DOCKER_TLS_VERIFY` is set to something non-empty.
    pub tls_verify: bool,
    /// `DOCKER_TLS` is set (TLS without verifying the engine's certificate).
    pub tls_no_verify: bool,
    /// `DOCKER_CERT_PATH`: where `ca.pem`, `cert.pem` and `key.pem` are; the docker config
    /// directory when unset.
    pub docker_cert_path: Option<PathBuf>,
    /// `DOCKER_CONTEXT`.
    pub docker_context: Option<String>,
    /// `DOCKER_CONFIG`, else `~/.docker`.
    pub docker_config_dir: Option<PathBuf>,
    /// `XDG_RUNTIME_DIR`, where rootless Podman puts its socket.
    pub xdg_runtime_dir: Option<PathBuf>,
    /// Whether to look for the engine the docker CLI would use (config `[docker] local`).
    pub local: bool,
    /// Hosts from the config file, then from `--docker-host`, in that order.
    pub extra: Vec<EndpointUrl>,
}

impl Discovery {
    /// Read the process environment.
    pub fn from_env(local: bool, extra: Vec<EndpointUrl>) -> Discovery {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let docker_config_dir = var("DOCKER_CONFIG")
            .map(PathBuf::from)
            .or_else(|| directories::BaseDirs::new().map(|dirs| dirs.home_dir().join(".docker")));
        Discovery {
            docker_host: var("DOCKER_HOST"),
            tls_verify: var("DOCKER_TLS_VERIFY").is_some(),
            tls_no_verify: var("DOCKER_TLS").is_some(),
            docker_cert_path: var("DOCKER_CERT_PATH").map(PathBuf::from),
            docker_context: var("DOCKER_CONTEXT"),
            docker_config_dir,
            xdg_runtime_dir: var("XDG_RUNTIME_DIR").map(PathBuf::from),
            local,
            extra,
        }
    }

    /// The endpoints to watch, each once, with unique names. `exists` says whether a socket
    /// path exists (the real file system outside tests).
    pub fn endpoints(&self, exists: &dyn Fn(&Path) -> bool) -> Vec<DockerEndpoint> {
        let mut found = Vec::new();
        if self.local {
            found.extend(self.local_endpoint(exists));
        }
        found.extend(
            self.extra
                .iter()
                .cloned()
                .map(|url| DockerEndpoint::from_url(self.default_certs(url))),
        );
        unique(found)
    }

    /// Where TLS client files are when nothing else says: `DOCKER_CERT_PATH`, else the
    /// docker config directory (as the docker CLI).
    fn cert_dir(&self) -> Option<&Path> {
        self.docker_cert_path
            .as_deref()
            .or(self.docker_config_dir.as_deref())
    }

    /// A TLS host without certificate files gets the default ones.
    fn default_certs(&self, url: EndpointUrl) -> EndpointUrl {
        match url {
            EndpointUrl::Tls {
                host,
                port,
                certs: None,
            } => EndpointUrl::Tls {
                host,
                port,
                certs: self.cert_dir().map(TlsFiles::in_dir),
            },
            other => other,
        }
    }

    /// The engine the docker CLI would use, or Podman's when Docker has no socket here.
    fn local_endpoint(&self, exists: &dyn Fn(&Path) -> bool) -> Option<DockerEndpoint> {
        if let Some(host) = &self.docker_host {
            let url = match EndpointUrl::parse(host) {
                Ok(url @ (EndpointUrl::Tcp { .. } | EndpointUrl::Tls { .. }))
                    if self.tls_verify =>
                {
                    url.with_tls(host, self.cert_dir().map(TlsFiles::in_dir))
                }
                Ok(EndpointUrl::Tcp { .. }) if self.tls_no_verify => EndpointUrl::Unsupported {
                    url: host.clone(),
                    reason: "TLS without verifying the engine (DOCKER_TLS without \
                             DOCKER_TLS_VERIFY) is not supported: set DOCKER_TLS_VERIFY=1"
                        .to_string(),
                },
                Ok(url) => self.default_certs(url),
                Err(e) => EndpointUrl::Unsupported {
                    url: host.clone(),
                    reason: e.reason,
                },
            };
            return Some(DockerEndpoint::from_url(url));
        }
        if let Some(endpoint) = self.context_endpoint() {
            return Some(endpoint);
        }
        let docker = PathBuf::from(DEFAULT_SOCKET);
        if exists(&docker) {
            return Some(DockerEndpoint::from_url(EndpointUrl::Unix(docker)));
        }
        if let Some(dir) = &self.xdg_runtime_dir {
            let podman = dir.join("podman").join("podman.sock");
            if exists(&podman) {
                return Some(DockerEndpoint::from_url(EndpointUrl::Unix(podman)));
            }
        }
        if self.extra.is_empty() {
            // Nothing answers yet and nothing else is configured: watch the standard socket
            // anyway, so the header says Docker is unavailable and the host appears once the
            // engine starts, rather than Docker silently missing.
            return Some(DockerEndpoint::from_url(EndpointUrl::Unix(docker)));
        }
        None
    }

    /// The endpoint of the current docker context, unless it is the `default` one.
    fn context_endpoint(&self) -> Option<DockerEndpoint> {
        let config_dir = self.docker_config_dir.as_deref()?;
        let name = match &self.docker_context {
            Some(name) => name.clone(),
            None => current_context(config_dir)?,
        };
        if name == "default" {
            return None;
        }
        let url = match context_host(config_dir, &name) {
            Ok(host) => match EndpointUrl::parse(&host) {
                // `docker context create --docker "host=tcp://…,ca=…,cert=…,key=…"` stores
                // the files under contexts/tls/<digest>/docker/.
                Ok(url @ (EndpointUrl::Tcp { .. } | EndpointUrl::Tls { .. })) => {
                    let dir = config_dir
                        .join("contexts")
                        .join("tls")
                        .join(digest_hex(&name))
                        .join("docker");
                    if dir.join("ca.pem").exists() || dir.join("cert.pem").exists() {
                        url.with_tls(&host, Some(TlsFiles::in_dir(&dir)))
                    } else {
                        self.default_certs(url)
                    }
                }
                Ok(url) => url,
                Err(e) => EndpointUrl::Unsupported {
                    url: host,
                    reason: e.reason,
                },
            },
            Err(reason) => EndpointUrl::Unsupported {
                url: format!("context {name}"),
                reason,
            },
        };
        Some(DockerEndpoint::new(name, url))
    }
}

/// `currentContext` from `config.json`, if the file says.
fn current_context(config_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(config_dir.join("config.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json.get("currentContext")?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The docker endpoint of context `name`, from
/// `contexts/meta/<sha256 of the name>/meta.json` as the docker CLI stores it.
fn context_host(config_dir: &Path, name: &str) -> Result<String, String> {
    let dir = digest_hex(name);
    let path = config_dir
        .join("contexts")
        .join("meta")
        .join(dir)
        .join("meta.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("cannot parse {}: {e}", path.display()))?;
    json.pointer("/Endpoints/docker/Host")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| format!("{} has no Endpoints.docker.Host", path.display()))
}

/// The directory name the docker CLI gives a context's files: the SHA-256 of its name.
fn digest_hex(name: &str) -> String {
    Sha256::digest(name.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Drop repeated URLs, then make names unique by numbering repeats (`build`, `build-2`).
fn unique(endpoints: Vec<DockerEndpoint>) -> Vec<DockerEndpoint> {
    let mut out: Vec<DockerEndpoint> = Vec::new();
    for endpoint in endpoints {
        if out.iter().any(|e| e.url.to_url() == endpoint.url.to_url()) {
            continue;
        }
        let mut name = endpoint.name.clone();
        let mut n = 2;
        while out.iter().any(|e| e.name == name) {
            name = format!("{}-{n}", endpoint.name);
            n += 1;
        }
        out.push(DockerEndpoint::new(name, endpoint.url));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(d: &Discovery, sockets: &[&str]) -> Vec<(String, String)> {
        let sockets: Vec<PathBuf> = sockets.iter().map(PathBuf::from).collect();
        d.endpoints(&|p: &Path| sockets.iter().any(|s| s == p))
            .into_iter()
            .map(|e| (e.name, e.url.to_url()))
            .collect()
    }

    fn pair(name: &str, url: &str) -> (String, String) {
        (name.to_string(), url.to_string())
    }

    fn local() -> Discovery {
        Discovery {
            local: true,
            xdg_runtime_dir: Some("/run/user/1000".into()),
            ..Discovery::default()
        }
    }

    #[test]
    fn docker_host_wins_over_sockets() {
        let d = Discovery {
            docker_host: Some("tcp://10.1.2.3:2375".into()),
            ..local()
        };
        assert_eq!(
            names(&d, &[DEFAULT_SOCKET]),
            [pair("10.1.2.3", "tcp://10.1.2.3:2375")]
        );
        let d = Discovery {
            docker_host: Some("unix:///var/run/docker.sock".into()),
            ..local()
        };
        assert_eq!(
            names(&d, &[]),
            [pair("local", "unix:///var/run/docker.sock")]
        );
    }

    #[test]
    fn docker_tls_verify_makes_docker_host_tls_with_the_cert_path() {
        let d = Discovery {
            docker_host: Some("tcp://secure".into()),
            tls_verify: true,
            docker_cert_path: Some("/certs".into()),
            docker_config_dir: Some("/home/me/.docker".into()),
            ..local()
        };
        let endpoints = d.endpoints(&|_: &Path| false);
        assert_eq!(endpoints[0].name, "secure");
        assert_eq!(
            endpoints[0].url,
            EndpointUrl::Tls {
                host: "secure".into(),
                port: 2376,
                certs: Some(TlsFiles::in_dir(Path::new("/certs")))
            }
        );
        // Without DOCKER_CERT_PATH, the docker config directory; https:// hosts from the
        // config or the command line get the same default.
        let d = Discovery {
            docker_cert_path: None,
            extra: vec![EndpointUrl::parse("https://other:3000").unwrap()],
            ..d
        };
        let endpoints = d.endpoints(&|_: &Path| false);
        for endpoint in &endpoints {
            assert!(
                matches!(&endpoint.url, EndpointUrl::Tls { certs: Some(c), .. } if c.key == Path::new("/home/me/.docker/key.pem")),
                "{endpoint:?}"
            );
        }
        assert_eq!(endpoints[1].url.to_url(), "https://other:3000");
    }

    #[test]
    fn tls_without_verification_and_odd_docker_hosts_show_as_unsupported_not_missing() {
        let d = Discovery {
            docker_host: Some("tcp://secure:2376".into()),
            tls_no_verify: true,
            ..local()
        };
        let endpoints = d.endpoints(&|_: &Path| false);
        assert!(
            matches!(&endpoints[0].url, EndpointUrl::Unsupported { reason, .. } if reason.contains("DOCKER_TLS_VERIFY"))
        );
        let d = Discovery {
            docker_host: Some("fd://".into()),
            ..local()
        };
        assert!(matches!(
            d.endpoints(&|_: &Path| false)[0].url,
            EndpointUrl::Unsupported { .. }
        ));
    }

    #[test]
    fn podman_only_when_docker_has_no_socket() {
        let podman = "/run/user/1000/podman/podman.sock";
        assert_eq!(
            names(&local(), &[DEFAULT_SOCKET, podman]),
            [pair("local", "unix:///var/run/docker.sock")]
        );
        assert_eq!(
            names(&local(), &[podman]),
            [pair("podman", &format!("unix://{podman}"))]
        );
    }

    #[test]
    fn with_no_engine_the_standard_socket_is_watched_unless_hosts_are_configured() {
        assert_eq!(
            names(&local(), &[]),
            [pair("local", "unix:///var/run/docker.sock")]
        );
        let d = Discovery {
            extra: vec![EndpointUrl::parse("tcp://build:2375").unwrap()],
            ..local()
        };
        assert_eq!(names(&d, &[]), [pair("build", "tcp://build:2375")]);
    }

    #[test]
    fn extra_hosts_are_added_once_with_unique_names() {
        let d = Discovery {
            extra: [
                "tcp://build:2375",
                "unix:///var/run/docker.sock",
                "tcp://build:2375",
            ]
            .iter()
            .map(|u| EndpointUrl::parse(u).unwrap())
            .chain([EndpointUrl::Unix("/srv/x/local.sock".into())])
            .collect(),
            ..local()
        };
        assert_eq!(
            names(&d, &[DEFAULT_SOCKET]),
            [
                pair("local", "unix:///var/run/docker.sock"),
                pair("build", "tcp://build:2375"),
                pair("local-2", "unix:///srv/x/local.sock"),
            ]
        );
        let d = Discovery { local: false, ..d };
        // Without the local engine, the configured copy of its URL stays, named `local`.
        assert_eq!(
            names(&d, &[DEFAULT_SOCKET]),
            [
                pair("build", "tcp://build:2375"),
                pair("local", "unix:///var/run/docker.sock"),
                pair("local-2", "unix:///srv/x/local.sock"),
            ]
        );
    }

    #[test]
    fn the_current_docker_context_is_read_like_the_cli() {
        let dir = tempfile::tempdir().unwrap();
        let digest = Sha256::digest(b"remote");
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let meta = dir.path().join("contexts/meta").join(hex);
        std::fs::create_dir_all(&meta).unwrap();
        std::fs::write(
            meta.join("meta.json"),
            r#"{"Name":"remote","Metadata":{},"Endpoints":{"docker":{"Host":"tcp://remote-box:2375","SkipTLSVerify":false}}}"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"auths":{},"currentContext":"remote"}"#,
        )
        .unwrap();
        let d = Discovery {
            docker_config_dir: Some(dir.path().into()),
            ..local()
        };
        assert_eq!(
            names(&d, &[DEFAULT_SOCKET]),
            [pair("remote", "tcp://remote-box:2375")]
        );
        // DOCKER_CONTEXT overrides the file; `default` means the local engine.
        let d = Discovery {
            docker_context: Some("default".into()),
            ..d
        };
        assert_eq!(
            names(&d, &[DEFAULT_SOCKET]),
            [pair("local", "unix:///var/run/docker.sock")]
        );
        // A context with TLS files uses them.
        let tls = dir
            .path()
            .join("contexts/tls")
            .join(digest_hex("remote"))
            .join("docker");
        std::fs::create_dir_all(&tls).unwrap();
        std::fs::write(tls.join("ca.pem"), "").unwrap();
        let d = Discovery {
            docker_context: Some("remote".into()),
            ..d
        };
        assert_eq!(
            d.endpoints(&|_: &Path| true)[0].url,
            EndpointUrl::Tls {
                host: "remote-box".into(),
                port: 2375,
                certs: Some(TlsFiles::in_dir(&tls))
            }
        );
        let d = Discovery {
            docker_context: Some("missing".into()),
            ..d
        };
        assert!(matches!(
            d.endpoints(&|_: &Path| true)[0].url,
            EndpointUrl::Unsupported { .. }
        ));
    }
}
