//! The provisioning API's actions (issue 14): what a hosting provider does
//! over `/api/provider/v1/` and the host's operator from `kereru provider`.
//! Each write is one transaction with its host-wide audit row, as
//! `crate::tenants` does for the host admin's tenant acts.
//!
//! - [`keys`]: the API keys (`kereru provider key create|list|revoke`).
//! - [`purge`]: removing tenants whose grace period is over.

pub mod keys;
pub mod purge;

use crate::ServiceError;

/// Why a provisioning request was refused; the API maps each to its status.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// 422 naming the request field at fault (`account_host`, `owner_email`, ...).
    #[error("{field}: {message}")]
    Field { field: &'static str, message: String },
    /// 404: no such tenant.
    #[error("no such tenant")]
    NotFound,
    /// 409: the request does not fit the tenant's state (restore of a tenant that is not deleted, ...).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<kereru_store::StoreError> for ProvisionError {
    fn from(error: kereru_store::StoreError) -> Self {
        ProvisionError::Service(ServiceError::Store(error))
    }
}

impl From<diesel::result::Error> for ProvisionError {
    fn from(error: diesel::result::Error) -> Self {
        ProvisionError::Service(ServiceError::from(error))
    }
}

impl ProvisionError {
    pub fn field(field: &'static str, message: impl Into<String>) -> Self {
        ProvisionError::Field { field, message: message.into() }
    }
}

/// How the audit log names a provider key acting.
pub fn key_label(name: &str) -> String {
    format!("provider key {name}")
}
