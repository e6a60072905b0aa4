//! Administration pages.

pub mod audit;
pub mod users;
