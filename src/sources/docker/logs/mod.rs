//! Container logs: frames to lines ([`frames`]), resuming without repeats ([`cursor`]),
//! the engine's log file read directly when it is on this machine ([`json_file`]), and
//! the task that follows one container ([`follower`]).

pub mod cursor;
pub mod follower;
pub mod frames;
pub mod json_file;

pub use cursor::LogCursor;
pub use follower::{FollowSpec, FollowerHandle, spawn_follower};
