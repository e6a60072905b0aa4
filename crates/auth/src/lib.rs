//! The identity core. Every service function that acts for somebody takes `&AuthCtx` first
//! and checks its permission on the first line (`ctx.require(..)?`): REST handlers and server
//! functions are thin adapters over these functions, so both enforce the same rules.

pub mod admin;
pub mod api_keys;
pub mod audit;
pub mod avatar;
pub mod credentials;
mod ctx;
pub mod devices;
mod error;
pub mod http;
pub mod impersonation;
pub mod key_limits;
mod limiter;
mod links;
pub mod login;
pub mod mail_settings;
pub mod mfa;
pub mod notifications;
pub mod notify;
pub mod orgs;
pub mod password;
pub mod profile;
pub mod recovery;
pub mod registration;
pub mod session_store;
pub mod sessions;
pub mod setup;
pub mod sso;
mod token;
pub mod users;
pub mod webhook;

pub use ctx::{AuthCtx, AuthMethod};
pub use error::AuthError;
pub use http::{ClientIp, HttpError, Resolved};
pub use limiter::{LoginLimiter, LoginLimits};
pub use session_store::DbSessionStore;
pub use users::{Email, User};

#[cfg(test)]
mod tests;
