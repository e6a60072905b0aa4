//! One page per file.

pub mod account;
pub mod admin;
pub mod dashboard;
pub mod forgot_password;
pub mod invite;
pub mod login;
pub mod login_mfa;
pub mod not_found;
pub mod org;
pub mod register;
pub mod reset_password;
pub mod setup;
pub mod verify_email;
