//! Delivery: the durable outbound fan-out queue, inbound activity processing
//! and the signed HTTP client.
//!
//! Built so far: [`http`], the outbound HTTP client every remote fetch goes
//! through (SSRF-guarded resolver, bounded redirects, size and time limits,
//! optional draft-cavage signing). The queue and inbound processing come
//! with federation.

pub mod http;
