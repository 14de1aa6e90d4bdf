//! A person's own safety tools: domain blocks and content filters. (Mutes
//! and blocks live with follows in [`crate::follows`].)

pub mod domain_blocks;
pub mod filters;
