//! pilothouse: a terminal ops console for Kubernetes, Docker, hosts and alerts.

pub mod app;
pub mod config;
pub mod logs;
pub mod model;
pub mod store;
pub mod ui;
pub mod fixture;
pub mod cli;
