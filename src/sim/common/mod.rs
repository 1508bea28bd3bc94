//! What the Kubernetes, Docker and Alertmanager sims share: seeded randomness and the ids
//! made from it ([`seeded`]), and simulated time as they write and read it ([`time`]).

pub mod seeded;
pub mod time;
