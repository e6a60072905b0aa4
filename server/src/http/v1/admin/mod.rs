//! `/api/v1/admin/*`: user administration.

pub mod sessions;
pub mod users;
