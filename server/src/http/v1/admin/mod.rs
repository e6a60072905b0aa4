//! `/api/v1/admin/*`: user and subscription administration.

pub mod impersonation;
pub mod imports;
pub mod sessions;
pub mod subscriptions;
pub mod users;
