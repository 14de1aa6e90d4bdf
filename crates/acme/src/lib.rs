//! Certificates: on-demand ACME issuance, renewal and the SNI resolver.
//!
//! Not built yet: this crate holds its place in the dependency order
//! (`core` ← `store` ← `acme` ← `web`) until the TLS work lands.
