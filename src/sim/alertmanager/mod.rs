//! Placeholder: being written.

use serde::Deserialize;

/// This API's part of a scenario.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AlertScenario {}

/// Bind the Alertmanager API v2 and start the scenario's alert timeline. Returns its URL.
pub async fn start(
    _listen: std::net::SocketAddr,
    _scenario: &AlertScenario,
    _clock: crate::sim::clock::SimClock,
    _seed: u64,
) -> std::io::Result<String> {
    Err(std::io::Error::other(
        "the simulated Alertmanager is not built yet",
    ))
}
