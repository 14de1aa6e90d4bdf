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
}

impl StoreError {
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
