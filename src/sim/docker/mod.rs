//! The simulated Docker Engine API (DESIGN.md §7).
//!
//! The real `docker` CLI works against it unchanged: it answers `HEAD /_ping` with an
//! `Api-Version` header, serves versioned (`/v1.41/…`) and unversioned paths, streams
//! logs as multiplexed frames, hijacks `exec` connections through `101 Switching
//! Protocols`, and reports events.
//!
//! - [`scenario`]: the `docker:` section of a scenario; [`units`]: its byte sizes.
//! - [`container`]: identity and configuration; [`lifecycle`]: runs, crashes, OOM kills,
//!   the restart policy, pauses and health over simulated time.
//! - [`estate`]: the host and the operations on it; [`events`]: the event ring.
//! - [`logs`] and [`log_styles`]: what containers print, generated on demand.
//! - [`stats`], [`summary`], [`inspect`]: the JSON documents; [`filters`]: `filters=`.
//! - [`exec`]: exec instances and what commands do; [`frames`]: stream framing.
//! - [`http`]: routes and handlers; [`listen`]: TCP or unix socket.
//! - Seeded randomness, durations and time formats come from `sim::common`.

pub mod container;
pub mod estate;
pub mod events;
pub mod exec;
pub mod filters;
pub mod frames;
pub mod http;
pub mod inspect;
pub mod lifecycle;
pub mod listen;
pub mod log_styles;
pub mod logs;
pub mod scenario;
pub mod stats;
pub mod summary;
pub mod units;

use std::sync::Arc;
use std::time::Duration;

pub use scenario::DockerScenario;

use crate::sim::clock::SimClock;
use crate::sim::launch::DockerListen;
use estate::Estate;
use http::DockerSim;

/// Bind the Docker Engine API and start the containers' simulation. Returns the value for
/// `DOCKER_HOST` (`tcp://127.0.0.1:PORT` or `unix:///path`).
pub async fn start(
    listen: &DockerListen,
    scenario: &DockerScenario,
    clock: SimClock,
    seed: u64,
) -> std::io::Result<String> {
    let origin = i64::try_from(clock.calendar_now().as_nanosecond()).unwrap_or(i64::MAX);
    let estate = Estate::new(scenario, origin, seed)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let sim = Arc::new(DockerSim::new(clock, estate));
    let docker_host = listen::serve(listen, sim.clone()).await?;
    tokio::spawn(keep_time(sim));
    Ok(docker_host)
}

/// Apply scheduled transitions (crashes, restarts, OOM kills, health changes) when they
/// fall due, so `/events` subscribers hear of them on time; sleeps in between.
async fn keep_time(sim: Arc<DockerSim>) {
    loop {
        let wait = sim.with(|e, now| e.next_due().map(|due| due - now));
        let real = wait
            .map_or(Duration::from_secs(60), |sim_nanos| sim.real(sim_nanos))
            .clamp(Duration::from_millis(1), Duration::from_secs(60));
        tokio::select! {
            _ = tokio::time::sleep(real) => {}
            _ = sim.wake.notified() => {}
        }
    }
}
