//! The simulated estate (DESIGN.md §7): a server speaking the Kubernetes API, the Docker
//! Engine API and the Alertmanager API v2 over a simulated estate, so the real `kubectl`,
//! `docker` and `amtool` — and pilothouse's own sources — work against it unchanged.
//!
//! It shares nothing with the console but the model types it may reuse.
//!
//! - [`clock`]: simulated time, scaled by `--speed`.
//! - [`common`]: seeded randomness, ids, durations and time formats, shared by the sims.
//! - [`scenario`]: the YAML scenarios in `assets/scenarios/`.
//! - [`kube`]: the Kubernetes API server and its controllers.
//! - [`docker`]: the Docker Engine API.
//! - [`alertmanager`]: the Alertmanager API v2.
//! - [`launch`]: binding the listeners and printing where they are.

pub mod alertmanager;
pub mod clock;
pub mod common;
pub mod docker;
pub mod kube;
pub mod launch;
pub mod scenario;

pub use launch::{SimEndpoints, SimOptions, start};
