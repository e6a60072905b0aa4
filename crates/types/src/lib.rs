//! Wasm-safe vocabulary shared by every layer: roles and the permission table, the stable error
//! catalogue, and the DTOs that cross the wire (REST, server functions and SSE alike).
//! Nothing here may depend on a server-only crate: this crate is compiled into the WASM bundle.

mod account;
mod admin;
mod audit;
mod billing;
mod codes;
mod dto;
mod error;
mod gateway;
mod gateway_usage;
mod import;
mod invoices;
mod mail;
mod metrics;
mod mfa;
mod money;
mod org;
mod password;
mod payments;
mod plans;
mod plans_text;
mod role;
mod sso;
mod time;

pub use account::*;
pub use admin::*;
pub use audit::*;
pub use billing::*;
pub use codes::*;
pub use dto::*;
pub use error::{ApiError, ErrorCode};
pub use gateway::*;
pub use gateway_usage::*;
pub use import::*;
pub use invoices::*;
pub use mail::*;
pub use metrics::*;
pub use mfa::*;
pub use money::{
    Amount, MAX_AMOUNT, MICROS, Plain, decimal_amount, format_amount, parse_amount, plain_amount,
};
pub use org::*;
pub use password::{
    PASSWORD_MAX_LEN, PASSWORD_MIN_LEN, PasswordRule, password_problem, password_rules,
};
pub use payments::*;
pub use plans::*;
pub use plans_text::{limit_label, limit_value, price_label, status_label};
pub use role::{Permission, Role};
pub use sso::*;
pub use time::{
    budget_window, civil_from_days, date_of_day, date_of_ms, date_time_of_ms, day_of_date,
};
