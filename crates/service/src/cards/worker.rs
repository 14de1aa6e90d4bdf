//! The worker that fetches cards: claims a status's first link (see
//! `kereru_store::cards`), takes the card from the cache when the URL was
//! fetched lately, else GETs the page through the SSRF-safe client (bounded
//! in size and time) and parses it. Started by `kereru serve`; tests call [`round`].

use kereru_delivery::http::Fetcher;
use kereru_store::cards::{self, Claimed};
use kereru_store::{Pool, StoreError};
use std::time::Duration;

/// How often an idle worker looks for statuses to fetch cards for.
pub const POLL: Duration = Duration::from_secs(2);
/// A page is read up to this many bytes (the head is what matters).
pub const MAX_PAGE_BYTES: usize = 1024 * 1024;
/// A URL's card is fetched again after this long.
const CACHE_FOR: chrono::TimeDelta = chrono::TimeDelta::days(14);
const RETRY_STEP: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// Fetches cards until no status is left to claim; how many it took.
pub async fn round(pool: &Pool, fetcher: &Fetcher) -> Result<usize, StoreError> {
    let mut taken = 0;
    loop {
        let claimed = {
            let mut conn = pool.get().await?;
            cards::claim(&mut conn).await?
        };
        let Some(claimed) = claimed else { return Ok(taken) };
        taken += 1;
        process(pool, fetcher, claimed).await?;
    }
}

async fn process(pool: &Pool, fetcher: &Fetcher, claimed: Claimed) -> Result<(), StoreError> {
    {
        let mut conn = pool.get().await?;
        if let Some(card) = cards::cached(&mut conn, &claimed.url, chrono::Utc::now() - CACHE_FOR).await? {
            return cards::settle(&mut conn, claimed.status_id, card.fetched.then_some(card.id)).await;
        }
    }
    // No connection is held while the page is fetched.
    let fetched = fetcher.get_html(&claimed.url, MAX_PAGE_BYTES).await;
    let mut conn = pool.get().await?;
    match fetched {
        Ok(page) => {
            let fields = super::parse::card(&page.body, &page.url);
            let card = cards::store(&mut conn, &claimed.url, fields.as_ref()).await?;
            cards::settle(&mut conn, claimed.status_id, card.fetched.then_some(card.id)).await
        }
        Err(error) => {
            tracing::debug!("card for {}: {error}", claimed.url);
            if claimed.attempts >= cards::MAX_ATTEMPTS {
                // Remembered as failed, so other statuses linking there wait for the cache to expire.
                cards::store(&mut conn, &claimed.url, None).await?;
            }
            let retry_at = chrono::Utc::now() + RETRY_STEP * claimed.attempts;
            cards::attempt_failed(&mut conn, claimed.status_id, claimed.attempts, retry_at).await
        }
    }
}

/// Runs rounds until `stop` completes, [`POLL`] apart while there is nothing to do.
pub async fn run(pool: Pool, fetcher: std::sync::Arc<Fetcher>, stop: impl std::future::Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        if let Err(error) = round(&pool, &fetcher).await {
            tracing::warn!("preview cards: {error}");
        }
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(POLL) => {}
        }
    }
}
