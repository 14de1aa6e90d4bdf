//! What the follow, block and mute buttons on a profile show: the
//! `relationship` context object of `templates/partials/relationship.html`.

use kereru_store::accounts::Account;
use kereru_store::relationships;
use kereru_store::{PgConn, StoreError};

/// Between the person looking and one account.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RelationshipView {
    /// The target account's id (as a string, as in the API) and full handle (`name@host`).
    pub id: String,
    pub handle: String,
    pub following: bool,
    pub requested: bool,
    pub followed_by: bool,
    pub blocking: bool,
    pub muting: bool,
    /// The target approves followers by hand (a follow becomes a request).
    pub locked: bool,
}

/// The relationship of `viewer` to `target` (shown as `handle`); `None` for
/// oneself, who gets no buttons. A page including the partial passes this as
/// `relationship`, with the page's path as `return_to`.
pub async fn of(
    conn: &mut PgConn,
    viewer: &Account,
    target: &Account,
    handle: &str,
) -> Result<Option<RelationshipView>, StoreError> {
    if viewer.id == target.id {
        return Ok(None);
    }
    let rows = relationships::relationships(conn, viewer.id, &[target.id.0]).await?;
    let row = rows.into_iter().next().unwrap_or_default();
    Ok(Some(RelationshipView {
        id: target.id.0.to_string(),
        handle: handle.trim_start_matches('@').to_string(),
        following: row.following,
        requested: row.requested,
        followed_by: row.followed_by,
        blocking: row.blocking,
        muting: row.muting,
        locked: target.locked,
    }))
}
