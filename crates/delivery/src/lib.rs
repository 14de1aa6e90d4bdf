//! Delivery: the durable outbound fan-out queue, inbound activity processing
//! and the signed HTTP client.
//!
//! Built so far: [`http`], the outbound HTTP client every remote fetch goes
//! through (SSRF-guarded resolver, bounded redirects, size and time limits,
//! draft-cavage signing); [`queue`], the durable outbound queue (rows in
//! PostgreSQL, claimed with `FOR UPDATE SKIP LOCKED`); [`worker`], which
//! drains it. Inbound processing comes with federation.

pub mod http;
pub mod in_flight;
pub mod push;
pub mod queue;
pub mod webhooks;
pub mod worker;
