//! The user's own account.

pub mod api_keys;
mod avatar;
pub mod credits;
pub mod inbox;
pub mod invoices;
mod key_limits;
mod linked;
mod mfa;
pub mod notifications;
pub mod orgs;
mod password;
pub mod payment_methods;
pub mod plan;
pub mod profile;
mod profile_form;
pub mod provider_keys;
pub mod security;
mod sessions;
pub mod usage;
