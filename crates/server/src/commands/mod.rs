pub mod domain;
pub mod serve;
pub mod user;
