//! pilothouse: a terminal ops console for Kubernetes, Docker, hosts and alerts.

pub mod app;
pub mod cli;
pub mod config;
pub mod fixture;
pub mod incident;
pub mod logs;
pub mod model;
pub mod ops;
pub mod rules;
pub mod runbook;
pub mod sim;
pub mod sources;
pub mod store;
pub mod ui;
