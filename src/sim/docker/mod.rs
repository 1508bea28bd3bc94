//! Placeholder: being written.

use serde::Deserialize;

/// This API's part of a scenario.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DockerScenario {}
