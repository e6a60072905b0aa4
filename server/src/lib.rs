//! The Ops-Center server: command line, startup and the HTTP surface (REST, SSE, Leptos).

pub mod cli;
pub mod http;
pub mod serve;
pub mod startup;
pub mod state;

pub use startup::{Application, build};
