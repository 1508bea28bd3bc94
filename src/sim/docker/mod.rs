//! Placeholder: being written.

use serde::Deserialize;

/// This API's part of a scenario.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DockerScenario {}

/// Bind the Docker Engine API and start the containers' simulation. Returns the value for
/// `DOCKER_HOST` (`tcp://127.0.0.1:PORT` or `unix:///path`).
pub async fn start(
    _listen: &crate::sim::launch::DockerListen,
    _scenario: &DockerScenario,
    _clock: crate::sim::clock::SimClock,
    _seed: u64,
) -> std::io::Result<String> {
    Err(std::io::Error::other(
        "the simulated Docker API is not built yet",
    ))
}
