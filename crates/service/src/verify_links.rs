//! Verified profile links, as Mastodon has them: a profile field whose value
//! is a URL is marked verified (`verified_at`) when the page at that URL
//! links back to the account with `rel="me"`.
//!
//! Saving fields starts one background task per save ([`spawn`]); the
//! response does not wait for it. The task fetches each URL field in turn
//! through the shared [`kereru_delivery::http::Fetcher`] (so private
//! addresses are refused as for any remote fetch), looks for
//! `<a rel="me" href=…>` or `<link rel="me" href=…>` naming the account's
//! profile page or actor URL ([`kereru_core::rel_me::links_back`]), and marks
//! the field only if it still holds the value that was checked.

use kereru_core::rel_me::links_back;
use kereru_core::{Scheme, TenantUrls};
use kereru_delivery::http::{Fetcher, Url};
use kereru_store::accounts::Account;
use kereru_store::profiles::{self, Field};
use kereru_store::{AccountId, Pool};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The most of a page that is read (Mastodon reads 1 MiB too).
pub const MAX_PAGE_BYTES: usize = 1024 * 1024;

/// Verification tasks running at once in this process; saves beyond that
/// are not verified (the next save of the fields tries again).
const MAX_IN_FLIGHT: usize = 32;
static IN_FLIGHT: Semaphore = Semaphore::const_new(MAX_IN_FLIGHT);

/// The field's value if it is a URL that can be verified: `https://` (or
/// `http://` when Kererū itself publishes `http` URLs), with a host and no
/// whitespace.
pub fn verifiable_url(value: &str, public_scheme: Scheme) -> Option<&str> {
    let scheme_ok = value.starts_with("https://") || (public_scheme == Scheme::Http && value.starts_with("http://"));
    if !scheme_ok || value.chars().any(char::is_whitespace) {
        return None;
    }
    let url = Url::parse(value).ok()?;
    // The host as written must be the host as parsed: no `https:///x`
    // (parsed as `https://x/`), no Unicode host that would be visited as
    // its punycode form (Mastodon refuses those too).
    let host = url.host_str().filter(|host| !host.is_empty())?;
    let written = value.split_once("://").map(|(_, rest)| rest)?;
    let written_host = written.get(..host.len())?;
    written_host.eq_ignore_ascii_case(host).then_some(value)
}

/// Starts verifying the URL fields of `account` (as just saved, in
/// position order) in the background, fetching through `fetcher`.
/// `public_scheme` is the scheme Kererū publishes its own URLs with.
pub fn spawn(
    fetcher: &Arc<Fetcher>,
    pool: &Pool,
    public_scheme: Scheme,
    urls: &TenantUrls,
    account: &Account,
    fields: &[Field],
) {
    let candidates: Vec<(i32, String)> = fields
        .iter()
        .enumerate()
        .filter(|(_, field)| verifiable_url(&field.value, public_scheme).is_some())
        .filter_map(|(position, field)| Some((i32::try_from(position).ok()?, field.value.clone())))
        .collect();
    if candidates.is_empty() {
        return;
    }
    let Ok(permit) = IN_FLIGHT.try_acquire() else {
        tracing::warn!(account = account.id.0, "too many link verifications running; not verifying this save");
        return;
    };
    let targets = [urls.profile_page(&account.username), urls.actor(&account.username)];
    let fetcher = Arc::clone(fetcher);
    let pool = pool.clone();
    let account = account.id;
    tokio::spawn(async move {
        let _permit = permit;
        for (position, value) in candidates {
            verify_one(&fetcher, &pool, account, &targets, position, &value).await;
        }
    });
}

async fn verify_one(
    fetcher: &Fetcher,
    pool: &Pool,
    account: AccountId,
    targets: &[String],
    position: i32,
    value: &str,
) {
    let page = match fetcher.get_html(value, MAX_PAGE_BYTES).await {
        Ok(page) => page,
        Err(error) => {
            tracing::debug!(account = account.0, url = value, "link not verified: {error}");
            return;
        }
    };
    if !links_back(&page.body, targets) {
        tracing::debug!(account = account.0, url = value, "link not verified: no rel=me link back");
        return;
    }
    let marked = match pool.get().await {
        Ok(mut conn) => profiles::mark_field_verified(&mut conn, account, position, value).await,
        Err(error) => {
            tracing::warn!(account = account.0, "cannot mark a verified link: {error}");
            return;
        }
    };
    match marked {
        Ok(true) => tracing::debug!(account = account.0, url = value, "link verified"),
        Ok(false) => {
            tracing::debug!(account = account.0, url = value, "link verified, but the field changed meanwhile")
        }
        Err(error) => tracing::warn!(account = account.0, "cannot mark a verified link: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_urls_with_a_host_are_verifiable() {
        assert_eq!(verifiable_url("https://site.test/me", Scheme::Https), Some("https://site.test/me"));
        assert_eq!(verifiable_url("http://site.test/me", Scheme::Https), None, "http only where Kererū publishes http");
        assert_eq!(verifiable_url("http://site.test/me", Scheme::Http), Some("http://site.test/me"));
        assert_eq!(verifiable_url("https://Site.Test:8443", Scheme::Https), Some("https://Site.Test:8443"));
        for value in [
            "she/her",
            "https://",
            "https://site.test/a b",
            "ftp://site.test/",
            "javascript:alert(1)",
            "https:///x",
            "https://bücher.test/",
        ] {
            assert_eq!(verifiable_url(value, Scheme::Http), None, "{value}");
        }
    }
}
