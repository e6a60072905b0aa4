//! API tests: the one integration-test binary of the server. Each test starts the real
//! application on port 0 with a fresh database (SQLite, and PostgreSQL when configured)
//! and talks HTTP to it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod account;
mod admin_subscriptions;
mod admin_users;
mod audit;
mod auth;
mod codes;
mod credits;
mod credits_crash;
mod errors;
mod gateway;
mod gateway_anthropic;
mod gateway_byok;
mod gateway_crash;
mod gateway_limits;
mod gateway_replicas;
mod gateway_usage;
mod helpers;
mod idp;
mod impersonation;
mod imports;
mod inbox;
mod invoices;
mod keys;
mod llm_stub;
mod mail;
mod mfa;
mod orgs;
mod orgs_invites;
mod pages;
mod payments;
mod renewals;
mod routes;
mod sessions;
mod smtp;
mod sso;
mod sso_providers;
mod stripe;
mod stripe_fake;
mod subscriptions;
mod system;
mod tiers;
mod usage;
