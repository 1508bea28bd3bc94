//! Placeholder: being written.

use serde::Deserialize;

/// This API's part of a scenario.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct KubeScenario {}

/// Bind the Kubernetes API on `listen`, start its controllers, and write a kubeconfig
/// (to `kubeconfig_out`, or a temporary file). Returns the kubeconfig path and the API URL.
pub async fn start(
    _listen: std::net::SocketAddr,
    _scenario: &KubeScenario,
    _clock: crate::sim::clock::SimClock,
    _seed: u64,
    _kubeconfig_out: Option<&std::path::Path>,
) -> std::io::Result<(std::path::PathBuf, String)> {
    Err(std::io::Error::other(
        "the simulated Kubernetes API is not built yet",
    ))
}
