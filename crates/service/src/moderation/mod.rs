//! Moderation and administration actions (#13): each one function, one
//! transaction, with its audit row (`store::admin_actions`) inside it.

pub mod accounts;
pub mod deletion;
pub mod reports;
pub mod roles;
