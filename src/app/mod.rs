//! The application: state, actions and the event loop.

pub mod action;
pub mod alerts_glue;
mod background;
mod backups_glue;
mod docker_glue;
pub mod event_loop;
mod incident_commands;
pub mod incident_glue;
mod incident_keys;
mod incident_observe;
mod incident_steps;
pub mod key_action;
pub mod kube_glue;
mod logs;
mod navigate;
pub mod ops_glue;
pub mod ops_target;
pub mod palette;
pub mod prompt;
pub mod state;
pub mod terminal;

pub use action::Action;
pub use key_action::KeyAction;
pub use state::App;
