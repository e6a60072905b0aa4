//! The HTTP surface. `router.rs` holds the whole route table.

pub mod docs;
pub mod health;
pub mod json;
pub mod mw;
mod router;
pub mod sse;
pub mod v1;

pub use router::router;
