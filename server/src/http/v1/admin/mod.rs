//! `/api/v1/admin/*`: user administration.

pub mod impersonation;
pub mod imports;
pub mod sessions;
pub mod users;
