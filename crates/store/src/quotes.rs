//! Quote posts (Mastodon 4.5): which status quotes which, in what state,
//! and who may quote a status without asking (its quote policy).

use crate::error::StoreError;
use crate::ids::StatusId;
use crate::page::Page;
use crate::relationships::page_filter;
use crate::schema::{status_quote_policies, status_quotes};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::collections::HashMap;

pub use kereru_core::quotes::QuotePolicy;

/// Where a quote stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteState {
    /// Waiting for the quoted status's server to approve.
    Pending,
    Accepted,
    Rejected,
    /// The quoted author took their approval back.
    Revoked,
}

impl QuoteState {
    pub fn as_str(self) -> &'static str {
        match self {
            QuoteState::Pending => "pending",
            QuoteState::Accepted => "accepted",
            QuoteState::Rejected => "rejected",
            QuoteState::Revoked => "revoked",
        }
    }

    pub fn parse(value: &str) -> QuoteState {
        match value {
            "accepted" => QuoteState::Accepted,
            "rejected" => QuoteState::Rejected,
            "revoked" => QuoteState::Revoked,
            _ => QuoteState::Pending,
        }
    }
}

/// A status's quote of another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub status_id: StatusId,
    /// None once the quoted status is gone (Mastodon's `deleted`).
    pub quoted_status_id: Option<StatusId>,
    pub quoted_uri: String,
    pub state: QuoteState,
}

/// Records that `status` quotes `quoted` (its URI kept should it go).
pub async fn record(
    conn: &mut AsyncPgConnection,
    status: StatusId,
    quoted: StatusId,
    quoted_uri: &str,
    state: QuoteState,
) -> Result<(), StoreError> {
    diesel::insert_into(status_quotes::table)
        .values((
            status_quotes::status_id.eq(status),
            status_quotes::quoted_status_id.eq(Some(quoted)),
            status_quotes::quoted_uri.eq(quoted_uri),
            status_quotes::state.eq(state.as_str()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The quotes these statuses make, by quoting status.
pub async fn of_statuses(
    conn: &mut AsyncPgConnection,
    ids: &[StatusId],
) -> Result<HashMap<StatusId, Quote>, StoreError> {
    let rows: Vec<(StatusId, Option<StatusId>, String, String)> = status_quotes::table
        .filter(status_quotes::status_id.eq_any(ids))
        .select((
            status_quotes::status_id,
            status_quotes::quoted_status_id,
            status_quotes::quoted_uri,
            status_quotes::state,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(status_id, quoted_status_id, quoted_uri, state)| {
            (status_id, Quote { status_id, quoted_status_id, quoted_uri, state: QuoteState::parse(&state) })
        })
        .collect())
}

/// How many accepted quotes each of these statuses has.
pub async fn counts(conn: &mut AsyncPgConnection, ids: &[StatusId]) -> Result<HashMap<StatusId, i64>, StoreError> {
    let rows: Vec<(Option<StatusId>, i64)> = status_quotes::table
        .filter(status_quotes::quoted_status_id.eq_any(ids))
        .filter(status_quotes::state.eq(QuoteState::Accepted.as_str()))
        .group_by(status_quotes::quoted_status_id)
        .select((status_quotes::quoted_status_id, diesel::dsl::count_star()))
        .load(conn)
        .await?;
    Ok(rows.into_iter().filter_map(|(id, n)| Some((id?, n))).collect())
}

/// The statuses quoting `quoted` with an accepted quote, a page of them, newest first.
pub async fn quoting(conn: &mut AsyncPgConnection, quoted: StatusId, page: Page) -> Result<Vec<StatusId>, StoreError> {
    let query = status_quotes::table
        .filter(status_quotes::quoted_status_id.eq(Some(quoted)))
        .filter(status_quotes::state.eq(QuoteState::Accepted.as_str()))
        .select(status_quotes::status_id)
        .into_boxed();
    let query = page_filter!(query, status_quotes::status_id, page);
    let mut ids: Vec<StatusId> = query.limit(page.limit).load(conn).await?;
    if page.ascending() {
        ids.reverse();
    }
    Ok(ids)
}

/// Sets the state of `status`'s quote of `quoted`; whether there was one.
pub async fn set_state(
    conn: &mut AsyncPgConnection,
    status: StatusId,
    quoted: StatusId,
    state: QuoteState,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        status_quotes::table
            .filter(status_quotes::status_id.eq(status))
            .filter(status_quotes::quoted_status_id.eq(Some(quoted))),
    )
    .set(status_quotes::state.eq(state.as_str()))
    .execute(conn)
    .await?;
    Ok(changed > 0)
}

/// The quote policy of these statuses (absent: not known).
pub async fn policies(
    conn: &mut AsyncPgConnection,
    ids: &[StatusId],
) -> Result<HashMap<StatusId, QuotePolicy>, StoreError> {
    let rows: Vec<(StatusId, Option<String>)> = status_quote_policies::table
        .filter(status_quote_policies::id.eq_any(ids))
        .select((status_quote_policies::id, status_quote_policies::quote_policy))
        .load(conn)
        .await?;
    Ok(rows.into_iter().filter_map(|(id, p)| Some((id, QuotePolicy::parse(&p?)?))).collect())
}

/// Sets who may quote `status`.
pub async fn set_policy(conn: &mut AsyncPgConnection, status: StatusId, policy: QuotePolicy) -> Result<(), StoreError> {
    diesel::update(status_quote_policies::table.find(status))
        .set(status_quote_policies::quote_policy.eq(Some(policy.as_str())))
        .execute(conn)
        .await?;
    Ok(())
}

/// Which of `authors` `viewer` follows (accepted follows): who lets them
/// quote under a `followers` policy.
pub async fn followed_among(
    conn: &mut AsyncPgConnection,
    viewer: crate::ids::AccountId,
    authors: &[crate::ids::AccountId],
) -> Result<std::collections::HashSet<crate::ids::AccountId>, StoreError> {
    use crate::schema::follows;
    let ids: Vec<i64> = authors.iter().map(|a| a.0).collect();
    let found: Vec<i64> = follows::table
        .filter(follows::account_id.eq(viewer.0))
        .filter(follows::target_account_id.eq_any(&ids))
        .filter(follows::state.eq("accepted"))
        .select(follows::target_account_id)
        .load(conn)
        .await?;
    Ok(found.into_iter().map(crate::ids::AccountId).collect())
}
