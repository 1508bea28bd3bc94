//! The application: state, actions and the event loop.

pub mod key_action;

pub use key_action::KeyAction;
