//! The HTTP surface. `router.rs` holds the whole route table.

pub mod docs;
pub mod export;
pub mod front;
pub mod health;
pub mod json;
pub mod mw;
pub mod openai;
pub mod query;
mod router;
pub mod sse;
pub mod v1;

pub use router::router;
