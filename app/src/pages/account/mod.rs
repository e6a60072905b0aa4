//! The user's own account.

pub mod api_keys;
pub mod profile;
