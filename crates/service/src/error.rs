use kereru_store::StoreError;

/// Why an action was refused; the API maps each to Mastodon's status code.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The target does not exist for this actor (or they may not see it).
    #[error("Record not found")]
    NotFound,
    /// The request is well-formed but not acceptable (422).
    #[error("{0}")]
    Invalid(String),
    /// The actor may not do this to the target (403).
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ServiceError {
    /// The plan's quota that refused this action, if that is what happened.
    pub fn quota(&self) -> Option<&kereru_store::quotas::QuotaExceeded> {
        match self {
            ServiceError::Store(error) => error.quota(),
            _ => None,
        }
    }
}

impl From<diesel::result::Error> for ServiceError {
    fn from(error: diesel::result::Error) -> Self {
        ServiceError::Store(StoreError::Database(error))
    }
}
