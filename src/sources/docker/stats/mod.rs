//! Container stats: what the numbers mean ([`usage`]), which containers get them how often
//! ([`policy`]), and the tasks that fetch them ([`tasks`]).

pub mod policy;
pub mod tasks;
pub mod usage;

pub use policy::{SampleSchedule, StatsPolicy};
pub use tasks::StatsMessage;
pub use usage::{ContainerUsage, StatsReading, UsageTracker};
