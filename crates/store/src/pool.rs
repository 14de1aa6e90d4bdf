//! The connection pool every query goes through, and the embedded migrations.

use crate::error::StoreError;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::pooled_connection::deadpool::{Object, Pool as DeadPool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub type Pool = DeadPool<AsyncPgConnection>;
pub use diesel_async::pooled_connection::deadpool::PoolError;
pub type Connection = Object<AsyncPgConnection>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

pub fn connect(url: &str, max_size: usize) -> Result<Pool, StoreError> {
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url);
    DeadPool::builder(manager).max_size(max_size).build().map_err(|e| StoreError::Connect(e.to_string()))
}

/// Applies pending migrations; returns the versions applied. Diesel's
/// migration harness is synchronous, so it runs on a blocking thread.
pub async fn run_migrations(url: &str) -> Result<Vec<String>, StoreError> {
    let url = url.to_string();
    let task = tokio::task::spawn_blocking(move || -> Result<Vec<String>, StoreError> {
        use diesel::Connection as _;
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)
            .map_err(|e| StoreError::Connect(e.to_string()))?;
        let applied = conn.run_pending_migrations(MIGRATIONS).map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(applied.iter().map(|v| v.to_string()).collect())
    });
    task.await.map_err(|e| StoreError::Migration(e.to_string()))?
}

/// Creates database `name` on the server behind `maintenance_url` (a
/// connection to any existing database, such as `postgres`) unless it exists.
pub async fn ensure_database(maintenance_url: &str, name: &str) -> Result<(), StoreError> {
    use diesel::sql_types::{Bool, Text};
    use diesel_async::{AsyncConnection, RunQueryDsl};
    if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') || name.is_empty() {
        return Err(StoreError::Connect(format!("invalid database name {name:?}")));
    }
    let mut conn =
        AsyncPgConnection::establish(maintenance_url).await.map_err(|e| StoreError::Connect(e.to_string()))?;
    let exists: bool = diesel::select(
        diesel::dsl::sql::<Bool>("EXISTS (SELECT 1 FROM pg_database WHERE datname = ").bind::<Text, _>(name).sql(")"),
    )
    .get_result(&mut conn)
    .await?;
    if !exists {
        // Name checked above: identifiers cannot be bound as parameters.
        match diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).await {
            Ok(_) => {}
            // Another process created it between the check and here.
            Err(diesel::result::Error::DatabaseError(_, info)) if info.message().contains("already exists") => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
