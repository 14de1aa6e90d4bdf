use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Failures of the store that callers match on; the rest is `Database`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] DieselError),
    /// The tenant's plan allows no more of something (a 422 naming the quota).
    #[error(transparent)]
    Quota(#[from] crate::quotas::QuotaExceeded),
}

impl StoreError {
    /// The quota that refused this write, if that is what happened.
    pub fn quota(&self) -> Option<&crate::quotas::QuotaExceeded> {
        match self {
            StoreError::Quota(exceeded) => Some(exceeded),
            _ => None,
        }
    }

    /// The name of the violated unique constraint, if that is what happened.
    pub fn unique_violation(&self) -> Option<&str> {
        match self {
            StoreError::Database(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)) => {
                Some(info.constraint_name().unwrap_or(""))
            }
            _ => None,
        }
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for StoreError {
    fn from(error: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        StoreError::Connect(error.to_string())
    }
}
