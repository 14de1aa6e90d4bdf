//! Delivery: the durable outbound fan-out queue, inbound activity processing
//! and the signed HTTP client.
//!
//! Not built yet: this crate holds its place in the dependency order
//! (`core` ← `store` ← `delivery` ← `web`) until the delivery work lands.
