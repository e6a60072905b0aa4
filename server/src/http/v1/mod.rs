//! `/api/v1` REST handlers, one module per resource, functions named by verb.

pub mod admin;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod byok;
pub mod codes;
pub mod credits;
pub mod inbox;
pub mod llm;
pub mod llm_usage;
pub mod mail;
pub mod mfa;
pub mod org;
pub mod payments;
pub mod profile;
pub mod sessions;
pub mod setup;
pub mod sso;
pub mod stripe;
pub mod subscriptions;
pub mod system;
pub mod usage;
