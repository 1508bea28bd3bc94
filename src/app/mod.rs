//! The application: state, actions and the event loop.

pub mod action;
mod docker_glue;
pub mod event_loop;
pub mod key_action;
mod logs;
mod navigate;
pub mod palette;
pub mod prompt;
pub mod state;
pub mod terminal;

pub use action::Action;
pub use key_action::KeyAction;
pub use state::App;
