pub mod admin;
pub mod block;
pub mod deliver;
pub mod domain;
pub mod provider_plan;
pub mod queue;
pub mod serve;
pub mod user;
