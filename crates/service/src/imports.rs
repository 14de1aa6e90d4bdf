//! Importing follows, blocks or mutes from Mastodon's CSV exports. Runs in
//! the request, one row at a time through the same actions the client API
//! uses, for at most [`MAX_ROWS`] rows: a handle of another server may need
//! a WebFinger lookup, so the count (and the time, 90 s; a server that
//! answers slowly is asked once) is bounded rather than queued. A bad row is
//! reported and skipped, never fatal.

use crate::error::ServiceError;
use crate::interaction::{self, Resolved};
use crate::{Actor, Event, follows};
use diesel_async::AsyncPgConnection;
use kereru_delivery::http::Fetcher;
use kereru_store::AccountId;
use kereru_store::page::Page;
use kereru_store::relationships;
use std::time::{Duration, Instant};

/// The most rows one import takes (each may ask another server).
pub const MAX_ROWS: usize = 500;
/// How long one import may look accounts up; rows left are reported, to import again.
const TIME_LIMIT: Duration = Duration::from_secs(90);
/// A failed lookup this slow marks its server as not worth asking again in this import.
const SLOW_LOOKUP: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Following,
    Blocks,
    Mutes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Adds to what there is.
    Merge,
    /// Also undoes what the file does not list.
    Overwrite,
}

/// One account to follow, block or mute, and its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The line it came from (1-based), for the report.
    pub line: usize,
    pub address: String,
    /// Following: show boosts; mutes: hide notifications.
    pub flag: bool,
    /// Following: notify on new posts.
    pub notify: bool,
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    pub line: usize,
    pub address: String,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Report {
    pub imported: usize,
    /// Follows, blocks or mutes the overwrite ended.
    pub removed: usize,
    pub failed: Vec<Failed>,
    /// For the streams (new-follower notifications).
    pub events: Vec<Event>,
}

/// Splits one CSV line into fields (RFC 4180 quoting, within the line).
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut field)),
            other => field.push(other),
        }
    }
    out.push(field);
    out.into_iter().map(|f| f.trim().to_string()).collect()
}

fn boolean(text: Option<&String>, default: bool) -> bool {
    match text.map(|t| t.to_ascii_lowercase()) {
        Some(t) if t == "true" || t == "1" || t == "yes" => true,
        Some(t) if t == "false" || t == "0" || t == "no" => false,
        _ => default,
    }
}

/// The rows of a CSV file of `kind` (with or without Mastodon's header
/// line), and the lines that are not account addresses. More than
/// [`MAX_ROWS`] rows is an error: nothing is imported.
pub fn parse(text: &str, kind: ImportKind) -> Result<(Vec<Row>, Vec<Failed>), ServiceError> {
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = line.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || (line_no == 1 && line.to_ascii_lowercase().starts_with("account address")) {
            continue;
        }
        let cells = fields(line);
        let address: String = cells.first().map(|a| a.trim_start_matches('@').to_string()).unwrap_or_default();
        if interaction::parse_handle(&address).is_none() {
            let shown: String = address.chars().take(100).collect();
            bad.push(Failed { line: line_no, address: shown, reason: "not an account address (name@server)".into() });
            continue;
        }
        let (flag, notify) = match kind {
            ImportKind::Following => (boolean(cells.get(1), true), boolean(cells.get(2), false)),
            ImportKind::Mutes => (boolean(cells.get(1), true), false),
            ImportKind::Blocks => (false, false),
        };
        rows.push(Row { line: line_no, address, flag, notify });
        if rows.len() > MAX_ROWS {
            return Err(ServiceError::Invalid(format!(
                "The file lists more than {MAX_ROWS} accounts; split it into smaller files."
            )));
        }
    }
    Ok((rows, bad))
}

/// The most follows, blocks or mutes read at once (an export lists at most these).
pub const MAX_LISTED: usize = 100_000;

/// Everyone `account` follows (or has asked to), blocks or mutes now, newest
/// first: what an import merges into, and what an export lists.
pub async fn current(
    conn: &mut AsyncPgConnection,
    account: AccountId,
    kind: ImportKind,
) -> Result<Vec<AccountId>, ServiceError> {
    let mut all = Vec::new();
    let mut page = Page { limit: 200, ..Page::default() };
    loop {
        let rows = match kind {
            ImportKind::Following => relationships::following(conn, account, page).await?,
            ImportKind::Blocks => relationships::blocks_of(conn, account, page).await?,
            ImportKind::Mutes => relationships::mutes_of(conn, account, page).await?,
        };
        let Some((last, _)) = rows.last() else { break };
        page.max_id = Some(*last);
        let full = rows.len() as i64 == page.limit;
        all.extend(rows.into_iter().map(|(_, a)| a));
        if !full || all.len() >= MAX_LISTED {
            break;
        }
    }
    Ok(all)
}

/// Imports `rows` for the actor: each resolved (another server's handles by
/// WebFinger) and followed, blocked or muted; with [`ImportMode::Overwrite`],
/// those the file does not list are then unfollowed, unblocked or unmuted.
pub async fn run(
    conn: &mut AsyncPgConnection,
    fetcher: &Fetcher,
    actor: &Actor<'_>,
    kind: ImportKind,
    mode: ImportMode,
    rows: &[Row],
) -> Result<Report, ServiceError> {
    let mut report = Report::default();
    let mut listed = Vec::new();
    let deadline = Instant::now() + TIME_LIMIT;
    let mut slow_hosts: Vec<String> = Vec::new();
    let mut cut_short = false;
    for row in rows.iter().take(MAX_ROWS) {
        let fail = |reason: &str| Failed { line: row.line, address: row.address.clone(), reason: reason.to_string() };
        let host = row.address.rsplit('@').next().unwrap_or("").to_ascii_lowercase();
        if Instant::now() > deadline {
            cut_short = true;
            report.failed.push(fail("not tried: the import ran out of time; import the file again to finish"));
            continue;
        }
        if slow_hosts.contains(&host) {
            report.failed.push(fail("its server did not answer in time"));
            continue;
        }
        let started = Instant::now();
        let found = interaction::resolve(conn, fetcher, actor.tenant, actor.scheme, &row.address).await?;
        let Some(Resolved::Account(target)) = found else {
            // A server that takes this long is not asked again in this import.
            if started.elapsed() > SLOW_LOOKUP {
                slow_hosts.push(host);
            }
            report.failed.push(fail("no such account could be found"));
            continue;
        };
        listed.push(target.id);
        let done = match kind {
            ImportKind::Following => follows::follow(conn, actor, target.id, row.flag, row.notify)
                .await
                .map(|events| report.events.extend(events)),
            ImportKind::Blocks => follows::block(conn, actor, target.id, true).await,
            ImportKind::Mutes => follows::mute(conn, actor, target.id, true, row.flag, None).await,
        };
        match done {
            Ok(()) => report.imported += 1,
            Err(ServiceError::Store(error)) => return Err(ServiceError::Store(error)),
            Err(other) => report.failed.push(fail(&other.to_string())),
        }
    }
    // An import cut short does not undo anything: the rows not tried may list those accounts.
    if mode == ImportMode::Overwrite && !cut_short {
        for target in current(conn, actor.account.id, kind).await? {
            if listed.contains(&target) {
                continue;
            }
            let undone = match kind {
                ImportKind::Following => follows::unfollow(conn, actor, target).await,
                ImportKind::Blocks => follows::block(conn, actor, target, false).await,
                ImportKind::Mutes => follows::mute(conn, actor, target, false, false, None).await,
            };
            match undone {
                Ok(()) => report.removed += 1,
                Err(ServiceError::Store(error)) => return Err(ServiceError::Store(error)),
                Err(_) => {}
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mastodon_following_csv_and_reports_bad_lines() {
        let text = "Account address,Show boosts,Notify on new posts,Languages\n\
                    bob@b.test,false,true,\n\
                    \"carol@c.test\",true,false,\"en, de\"\n\
                    not a handle\n\
                    @dan@d.test\n";
        let (rows, bad) = parse(text, ImportKind::Following).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0], Row { line: 2, address: "bob@b.test".into(), flag: false, notify: true });
        assert_eq!(rows[1].address, "carol@c.test");
        assert!(rows[2].flag && !rows[2].notify);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].line, 4);
    }

    #[test]
    fn too_many_rows_is_refused() {
        let text: String = (0..=MAX_ROWS).map(|i| format!("u{i}@x.test\n")).collect();
        assert!(parse(&text, ImportKind::Blocks).is_err());
    }
}
