//! Administration pages.

pub mod ai_usage;
pub mod audit;
pub mod billing_details;
pub mod codes;
pub mod gateway;
mod ledger;
mod llm_models;
mod llm_providers;
mod llm_routing;
mod mfa_policy;
pub mod orgs;
mod packs;
pub mod plans;
pub mod revenue;
mod roles;
pub mod settings;
mod sso;
pub mod stripe_settings;
pub mod subscription_detail;
pub mod subscriptions;
mod user_create;
pub mod user_detail;
mod user_import;
pub mod users;
mod users_filters;
mod users_summary;
