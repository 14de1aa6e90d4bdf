//! A tenant's terms of service: one text per effective date (Mastodon 4.4+'s
//! `TermsOfService`). The current terms are the newest already in effect, or,
//! while none is, the soonest to come; the ones after them succeed them.

use crate::error::StoreError;
use crate::ids::DomainId;
use crate::schema::terms_of_service;
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = terms_of_service)]
pub struct Terms {
    pub effective_date: NaiveDate,
    pub text: String,
}

/// Every version of `domain`'s terms, oldest effective date first.
pub async fn all(conn: &mut AsyncPgConnection, domain: DomainId) -> Result<Vec<Terms>, StoreError> {
    Ok(terms_of_service::table
        .filter(terms_of_service::domain_id.eq(domain.0))
        .order(terms_of_service::effective_date.asc())
        .select(Terms::as_select())
        .load(conn)
        .await?)
}

/// The terms `domain` shows on `today`, or those effective on `date` when
/// given, with the effective date of the version after them (if any).
pub async fn find(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    today: NaiveDate,
    date: Option<NaiveDate>,
) -> Result<Option<(Terms, Option<NaiveDate>)>, StoreError> {
    let versions = all(conn, domain).await?;
    let index = match date {
        Some(date) => versions.iter().position(|t| t.effective_date == date),
        None => versions.iter().rposition(|t| t.effective_date <= today).or((!versions.is_empty()).then_some(0)),
    };
    Ok(index.and_then(|i| {
        let next = versions.get(i + 1).map(|t| t.effective_date);
        versions.get(i).cloned().map(|terms| (terms, next))
    }))
}

/// Sets the text in effect from `effective_date` (replacing the one of that date).
pub async fn set(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    effective_date: NaiveDate,
    text: &str,
) -> Result<(), StoreError> {
    diesel::insert_into(terms_of_service::table)
        .values((
            terms_of_service::domain_id.eq(domain.0),
            terms_of_service::effective_date.eq(effective_date),
            terms_of_service::text.eq(text),
        ))
        .on_conflict((terms_of_service::domain_id, terms_of_service::effective_date))
        .do_update()
        .set(terms_of_service::text.eq(text))
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes the version of `effective_date`; whether there was one.
pub async fn remove(
    conn: &mut AsyncPgConnection,
    domain: DomainId,
    effective_date: NaiveDate,
) -> Result<bool, StoreError> {
    let removed = diesel::delete(
        terms_of_service::table
            .filter(terms_of_service::domain_id.eq(domain.0))
            .filter(terms_of_service::effective_date.eq(effective_date)),
    )
    .execute(conn)
    .await?;
    Ok(removed > 0)
}
