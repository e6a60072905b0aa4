//! Server-Sent Events streams.

pub mod metrics;
