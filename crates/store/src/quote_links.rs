//! How a quote travelled between servers (FEP-044f): the QuoteRequest that
//! asked for it and the QuoteAuthorization that approved it, kept on its
//! `status_quotes` row so that an Accept, Reject or Delete finds the quote.

use crate::error::StoreError;
use crate::ids::{AccountId, DomainId, StatusId};
use crate::quotes::{QuoteState, QuoteState as State};
use crate::schema::{status_quote_links, status_quotes, statuses};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// The quote (its quoting status) a QuoteRequest id asked for.
pub async fn by_request(conn: &mut AsyncPgConnection, request_uri: &str) -> Result<Option<StatusId>, StoreError> {
    Ok(status_quote_links::table
        .filter(status_quote_links::request_uri.eq(request_uri))
        .select(status_quote_links::status_id)
        .first(conn)
        .await
        .optional()?)
}

/// The quotes (their quoting statuses) a QuoteAuthorization id approved.
pub async fn by_authorization(
    conn: &mut AsyncPgConnection,
    authorization_uri: &str,
) -> Result<Vec<StatusId>, StoreError> {
    Ok(status_quote_links::table
        .filter(status_quote_links::authorization_uri.eq(authorization_uri))
        .select(status_quote_links::status_id)
        .load(conn)
        .await?)
}

/// The QuoteRequest and QuoteAuthorization ids of `status`'s quote.
pub async fn of_status(
    conn: &mut AsyncPgConnection,
    status: StatusId,
) -> Result<(Option<String>, Option<String>), StoreError> {
    Ok(status_quote_links::table
        .find(status)
        .select((status_quote_links::request_uri, status_quote_links::authorization_uri))
        .first(conn)
        .await
        .optional()?
        .unwrap_or_default())
}

/// Keeps the QuoteRequest id of `status`'s quote.
pub async fn set_request(conn: &mut AsyncPgConnection, status: StatusId, request_uri: &str) -> Result<(), StoreError> {
    diesel::update(status_quote_links::table.find(status))
        .set(status_quote_links::request_uri.eq(request_uri))
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets the state of `status`'s quote (whatever it quotes) with the
/// authorization that decided it (None to forget one).
pub async fn answer(
    conn: &mut AsyncPgConnection,
    status: StatusId,
    state: QuoteState,
    authorization_uri: Option<&str>,
) -> Result<(), StoreError> {
    diesel::update(status_quotes::table.find(status))
        .set(status_quotes::state.eq(state.as_str()))
        .execute(conn)
        .await?;
    diesel::update(status_quote_links::table.find(status))
        .set(status_quote_links::authorization_uri.eq(authorization_uri))
        .execute(conn)
        .await?;
    Ok(())
}

/// Records (or, already there, keeps) that remote `status` quotes `quoted`:
/// a new row takes `state`; an existing one keeps its state unless it was pending.
pub async fn upsert(
    conn: &mut AsyncPgConnection,
    status: StatusId,
    quoted: Option<StatusId>,
    quoted_uri: &str,
    state: QuoteState,
) -> Result<QuoteState, StoreError> {
    let existing: Option<String> =
        status_quotes::table.find(status).select(status_quotes::state).first(conn).await.optional()?;
    match existing.as_deref().map(QuoteState::parse) {
        Some(State::Pending) if state != State::Pending => {
            diesel::update(status_quotes::table.find(status))
                .set(status_quotes::state.eq(state.as_str()))
                .execute(conn)
                .await?;
            Ok(state)
        }
        Some(kept) => Ok(kept),
        None => {
            diesel::insert_into(status_quotes::table)
                .values((
                    status_quotes::status_id.eq(status),
                    status_quotes::quoted_status_id.eq(quoted),
                    status_quotes::quoted_uri.eq(quoted_uri),
                    status_quotes::state.eq(state.as_str()),
                ))
                .execute(conn)
                .await?;
            Ok(state)
        }
    }
}

/// What an authorization we serve approved: the quoting status's and the
/// quoted status's ids (URIs), when `quoting`'s quote of a status of
/// `author` on `tenant` stands accepted.
pub async fn served_authorization(
    conn: &mut AsyncPgConnection,
    tenant: DomainId,
    author: AccountId,
    quoting: StatusId,
) -> Result<Option<(String, String)>, StoreError> {
    let quote: Option<(Option<StatusId>, String)> = status_quotes::table
        .find(quoting)
        .filter(status_quotes::state.eq(State::Accepted.as_str()))
        .select((status_quotes::quoted_status_id, status_quotes::quoted_uri))
        .first(conn)
        .await
        .optional()?;
    let Some((Some(quoted), quoted_uri)) = quote else { return Ok(None) };
    let owner: Option<(Option<i64>, i64)> = statuses::table
        .find(quoted)
        .select((statuses::domain_id, statuses::account_id))
        .first(conn)
        .await
        .optional()?;
    if owner != Some((Some(tenant.0), author.0)) {
        return Ok(None);
    }
    let quoting_uri: Option<String> =
        statuses::table.find(quoting).select(statuses::uri).first(conn).await.optional()?;
    Ok(quoting_uri.map(|uri| (uri, quoted_uri)))
}
