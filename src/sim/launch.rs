//! Binding the listeners and starting each API server of the simulated estate.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::clock::SimClock;
use super::scenario::Scenario;

/// Where the Docker API listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerListen {
    Unix(PathBuf),
    Tcp(SocketAddr),
}

impl std::str::FromStr for DockerListen {
    type Err = String;

    /// `unix:/path/to/sock` or `127.0.0.1:PORT` (`tcp://` optional).
    fn from_str(s: &str) -> Result<DockerListen, String> {
        if let Some(path) = s.strip_prefix("unix:") {
            let path = path.trim_start_matches("//");
            return Ok(DockerListen::Unix(PathBuf::from(path)));
        }
        let addr = s.strip_prefix("tcp://").unwrap_or(s);
        addr.parse()
            .map(DockerListen::Tcp)
            .map_err(|e| format!("`{s}`: expected unix:PATH or HOST:PORT ({e})"))
    }
}

/// Everything `pilothouse sim` is told on the command line.
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub scenario: String,
    pub seed: u64,
    pub speed: f64,
    pub listen: SocketAddr,
    pub kubeconfig_out: Option<PathBuf>,
    pub docker_listen: DockerListen,
    pub alertmanager_listen: SocketAddr,
    pub ready_file: Option<PathBuf>,
}

/// Where a running sim can be reached; printed as `key=value` lines.
#[derive(Debug, Clone)]
pub struct SimEndpoints {
    pub kubeconfig: PathBuf,
    pub kube_url: String,
    pub docker_host: String,
    pub alertmanager_url: String,
}

impl SimEndpoints {
    pub fn lines(&self) -> String {
        format!(
            "kubeconfig={}\nkube_url={}\ndocker_host={}\nalertmanager_url={}\n",
            self.kubeconfig.display(),
            self.kube_url,
            self.docker_host,
            self.alertmanager_url
        )
    }
}

/// Start the estate on the current tokio runtime. Returns once every listener is bound;
/// the servers and controllers run as tasks until the runtime shuts down.
pub async fn start(options: SimOptions) -> color_eyre::Result<SimEndpoints> {
    let scenario = Scenario::load(&options.scenario)?;
    let clock = SimClock::new(options.speed);
    let (kubeconfig, kube_url) = super::kube::start(
        options.listen,
        &scenario.kubernetes,
        clock.clone(),
        options.seed,
        options.kubeconfig_out.as_deref(),
    )
    .await?;
    let docker_host = super::docker::start(
        &options.docker_listen,
        &scenario.docker,
        clock.clone(),
        options.seed,
    )
    .await?;
    let alertmanager_url = super::alertmanager::start(
        options.alertmanager_listen,
        &scenario.alertmanager,
        clock,
        options.seed,
    )
    .await?;
    Ok(SimEndpoints {
        kubeconfig,
        kube_url,
        docker_host,
        alertmanager_url,
    })
}
