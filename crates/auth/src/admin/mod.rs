//! User administration (`users_read` to look, `users_manage` to change).

pub mod bulk;
pub mod change;
pub mod import;
pub mod invite;
pub mod query;
pub mod tiers;
