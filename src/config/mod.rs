//! Configuration, themes and keymaps (DESIGN.md §8).
//!
//! (Owned by the config work; the types below are the contract the rest of the app uses.)

pub mod theme;
