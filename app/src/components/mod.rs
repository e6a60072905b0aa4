//! Reusable pieces: the console shell, live charts, alerts and formatting helpers.

pub mod alert;
pub mod buy;
pub mod cards;
pub mod chart;
pub mod credits;
pub mod field;
pub mod format;
pub mod invoices;
pub mod llm_usage;
pub mod pager;
pub mod plan;
pub mod redeem;
pub mod shell;
pub mod usage;
