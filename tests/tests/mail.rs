//! Outgoing mail end to end: queued inside a transaction
//! (`service::mail::queue`), sent by the `kereru_mail` worker to a real SMTP
//! server on loopback (aiosmtpd from the acceptance venv, writing a
//! Maildir), or written as `.eml` files when no server is configured.
//! Every wait polls with a bounded deadline.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use kereru_mail::{MailSettings, TlsMode, WorkerSettings};
use kereru_store::domains::NewDomain;
use kereru_store::mail_outbox::{self, Failed, OutgoingMail};
use kereru_store::schema::mail_outbox as outbox;
use kereru_store::{DomainId, Pool};
use kereru_tests::{Seeded, TestDatabase, World, new_domain, scratch_dir};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::process::{Child, Command};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const DEADLINE: Duration = Duration::from_secs(30);
/// How often the workers of most tests look at the outbox unprompted.
const POLL: Duration = Duration::from_millis(200);
/// A poll interval longer than any test: only a notification (a mail queued,
/// or the listener's (re)connect) makes such a worker look.
const NOTIFIED_ONLY: Duration = Duration::from_secs(3600);

/// The venv's python, with aiosmtpd (made once per test process).
async fn python() -> PathBuf {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    if let Some(found) = PYTHON.get() {
        return found.clone().unwrap_or_else(|e| panic!("{e}"));
    }
    let found = tokio::task::spawn_blocking(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/ensure-python-clients");
        let output = std::process::Command::new(&script)
            .stderr(std::process::Stdio::inherit())
            .output()
            .map_err(|e| format!("{}: {e}", script.display()))?;
        if !output.status.success() {
            return Err(format!("{} failed: {}", script.display(), output.status));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        stdout.lines().last().map(|line| PathBuf::from(line.trim())).ok_or_else(|| "no python path printed".into())
    })
    .await
    .unwrap_or_else(|e| Err(e.to_string()));
    PYTHON.get_or_init(|| found).clone().unwrap_or_else(|e| panic!("{e}"))
}

/// A loopback port nothing listens on (for now).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    listener.local_addr().unwrap_or_else(|e| panic!("addr: {e}")).port()
}

/// aiosmtpd on 127.0.0.1:`port`, storing what it receives in a Maildir.
struct Receiver {
    _child: Child,
    maildir: PathBuf,
}

impl Receiver {
    async fn start(port: u16) -> Receiver {
        let dir = scratch_dir("smtp");
        let maildir = dir.join("Maildir");
        let log = std::fs::File::create(dir.join("aiosmtpd.log")).unwrap_or_else(|e| panic!("log: {e}"));
        let child = Command::new(python().await)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("aiosmtpd: {e}"));
        eventually("aiosmtpd to listen", || async move {
            tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok().map(|_| ())
        })
        .await;
        Receiver { _child: child, maildir }
    }

    /// The files of the messages received so far.
    fn messages(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.maildir.join(sub)) {
                found.extend(entries.flatten().map(|entry| entry.path()));
            }
        }
        found.sort();
        found
    }
}

/// A message as Python's e-mail parser reads it (decoded headers and parts).
#[derive(Debug)]
struct Parsed {
    to: String,
    from: String,
    subject: String,
    message_id: String,
    text: String,
    html: Option<String>,
}

async fn parse(path: &Path) -> Parsed {
    const SCRIPT: &str = r#"
import email, email.policy, json, sys
with open(sys.argv[1], "rb") as f:
    m = email.message_from_binary_file(f, policy=email.policy.default)
text = m.get_body(("plain",))
html = m.get_body(("html",))
print(json.dumps({"to": str(m["To"]), "from": str(m["From"]), "subject": str(m["Subject"]),
    "message_id": str(m["Message-ID"]), "date": str(m["Date"]),
    "text": text.get_content() if text else "", "html": html.get_content() if html else None}))
"#;
    let output = Command::new(python().await)
        .args(["-c", SCRIPT])
        .arg(path)
        .output()
        .await
        .unwrap_or_else(|e| panic!("python: {e}"));
    assert!(output.status.success(), "parsing {}: {}", path.display(), String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("parser output: {e}"));
    assert!(json["date"].as_str().is_some_and(|d| !d.is_empty() && d != "None"), "a Date header: {json}");
    let field = |name: &str| json[name].as_str().unwrap_or_default().to_string();
    Parsed {
        to: field("to"),
        from: field("from"),
        subject: field("subject"),
        message_id: field("message_id"),
        text: field("text"),
        html: json["html"].as_str().map(str::to_string),
    }
}

/// Polls `check` until it gives a value, for at most [`DEADLINE`].
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let until = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < until, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A worker on `database`, stopped (and awaited) by [`Worker::stop`].
struct Worker {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Worker {
    /// A worker that looks at the outbox every `poll` (and when notified).
    fn start(database: &TestDatabase, settings: &MailSettings, poll: Duration) -> Worker {
        let mailer = kereru_mail::Mailer::new(settings).unwrap_or_else(|e| panic!("mailer: {e}"));
        let listener = kereru_mail::listener(&database.url).unwrap_or_else(|e| panic!("listener: {e}"));
        let pace = WorkerSettings {
            poll_interval: poll,
            lease: Duration::from_secs(30),
            batch: 5,
            retry_base: Duration::from_millis(100),
            retry_max: Duration::from_millis(200),
            max_attempts: 1000,
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(kereru_mail::run(database.pool(), listener, mailer, pace, async move {
            let _ = stopped.await;
        }));
        Worker { stop, task }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(DEADLINE, self.task)
            .await
            .unwrap_or_else(|_| panic!("the worker did not stop"))
            .unwrap_or_else(|e| panic!("worker: {e}"));
    }
}

fn smtp(port: u16) -> MailSettings {
    MailSettings {
        server: Some("127.0.0.1".into()),
        port: Some(port),
        tls: TlsMode::None,
        timeout: Duration::from_secs(5),
        ..MailSettings::files(scratch_dir("unused-mail"))
    }
}

async fn seeded() -> Seeded {
    World::new()
        .domain(NewDomain { name: Some("Kererū Café".into()), ..new_domain("cafe.test", None) })
        .tenant("other.test")
        .seed()
        .await
}

/// Queues one mail in a transaction of its own, as an action would.
async fn queue(pool: &Pool, tenant: DomainId, to: &str, subject: &str, html: Option<&str>) -> i64 {
    let mut conn = pool.get().await.unwrap_or_else(|e| panic!("pool: {e}"));
    let (to, subject, html) = (to.to_string(), subject.to_string(), html.map(str::to_string));
    conn.transaction(async |conn| -> Result<i64, kereru_service::ServiceError> {
        kereru_service::mail::queue(
            conn,
            tenant,
            &to,
            &subject,
            "Hello,\nplease confirm: https://cafe.test/c/1",
            html.as_deref(),
        )
        .await
    })
    .await
    .unwrap_or_else(|e| panic!("queue: {e}"))
}

async fn row(pool: &Pool, tenant: DomainId, id: i64) -> mail_outbox::StoredMail {
    let mut conn = pool.get().await.unwrap_or_else(|e| panic!("pool: {e}"));
    mail_outbox::get(&mut conn, tenant, id)
        .await
        .unwrap_or_else(|e| panic!("get: {e}"))
        .unwrap_or_else(|| panic!("no row {id}"))
}

async fn sent(pool: &Pool, tenant: DomainId, id: i64) -> Option<mail_outbox::StoredMail> {
    let row = row(pool, tenant, id).await;
    row.sent_at.is_some().then_some(row)
}

#[tokio::test]
async fn a_queued_mail_reaches_the_smtp_server() {
    let world = seeded().await;
    let tenant = world.domain("cafe.test").id;
    let port = free_port();
    let receiver = Receiver::start(port).await;
    let worker = Worker::start(&world.database, &smtp(port), NOTIFIED_ONLY);

    // A mail queued in a transaction that rolls back is never sent.
    let mut conn = world.pool.get().await.unwrap_or_else(|e| panic!("pool: {e}"));
    let rolled_back = conn
        .transaction(async |conn| -> Result<(), kereru_service::ServiceError> {
            kereru_service::mail::queue(conn, tenant, "ghost@mail.test", "Never", "never", None).await?;
            Err(kereru_service::ServiceError::Invalid("the action failed".into()))
        })
        .await;
    assert!(rolled_back.is_err());
    drop(conn);

    let id = queue(&world.pool, tenant, "ann@mail.test", "Bestätige deine Adresse", Some("<p>Hello</p>")).await;
    let row = eventually("the mail to be sent", || sent(&world.pool, tenant, id)).await;
    assert_eq!((row.attempts, row.last_error), (1, None));
    let messages = eventually("the mail to arrive", || {
        let found = receiver.messages();
        async move { (!found.is_empty()).then_some(found) }
    })
    .await;
    worker.stop().await;
    assert_eq!(messages.len(), 1, "exactly the committed mail arrives: {messages:?}");
    let mail = parse(&messages[0]).await;
    assert_eq!(mail.to, "ann@mail.test");
    assert_eq!(mail.from, "Kererū Café <notifications@cafe.test>");
    assert_eq!(mail.subject, "Bestätige deine Adresse");
    assert!(mail.text.contains("please confirm: https://cafe.test/c/1"), "{mail:?}");
    assert_eq!(mail.html.as_deref().map(str::trim), Some("<p>Hello</p>"));
    assert!(mail.message_id.ends_with("@cafe.test>"), "{mail:?}");

    let mut conn = world.pool.get().await.unwrap_or_else(|e| panic!("pool: {e}"));
    let rows: i64 = outbox::table.count().get_result(&mut conn).await.unwrap_or_else(|e| panic!("count: {e}"));
    assert_eq!(rows, 1, "the rolled-back mail left no row");
}

#[tokio::test]
async fn a_configured_from_is_used() {
    let world = seeded().await;
    let tenant = world.domain("other.test").id;
    let port = free_port();
    let receiver = Receiver::start(port).await;
    let settings = MailSettings { from: Some("Kererū Ops <ops@mail.test>".into()), ..smtp(port) };
    let worker = Worker::start(&world.database, &settings, POLL);
    let id = queue(&world.pool, tenant, "bob@mail.test", "Reset your password", None).await;
    eventually("the mail to be sent", || sent(&world.pool, tenant, id)).await;
    worker.stop().await;
    let messages = receiver.messages();
    assert_eq!(messages.len(), 1);
    let mail = parse(&messages[0]).await;
    assert_eq!((mail.from.as_str(), mail.to.as_str()), ("Kererū Ops <ops@mail.test>", "bob@mail.test"));
    assert_eq!(mail.html, None, "text only when no HTML is given");
}

#[tokio::test]
async fn without_a_server_mails_become_files() {
    let world = seeded().await;
    let tenant = world.domain("cafe.test").id;
    let data_dir = scratch_dir("mail-data");
    let worker = Worker::start(&world.database, &MailSettings::files(data_dir.join("mail")), NOTIFIED_ONLY);
    let id = queue(&world.pool, tenant, "ann@mail.test", "Welcome", Some("<p>Welcome</p>")).await;
    eventually("the mail to be written", || sent(&world.pool, tenant, id)).await;
    worker.stop().await;
    let files: Vec<PathBuf> = std::fs::read_dir(data_dir.join("mail"))
        .unwrap_or_else(|e| panic!("mail dir: {e}"))
        .flatten()
        .map(|entry| entry.path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].extension().is_some_and(|e| e == "eml"), "{files:?}");
    let mail = parse(&files[0]).await;
    assert_eq!((mail.to.as_str(), mail.subject.as_str()), ("ann@mail.test", "Welcome"));
    assert_eq!(mail.from, "Kererū Café <notifications@cafe.test>");
    assert!(mail.text.contains("please confirm"));
}

#[tokio::test]
async fn a_mail_waits_for_a_server_that_is_down() {
    let world = seeded().await;
    let tenant = world.domain("cafe.test").id;
    let port = free_port();
    let worker = Worker::start(&world.database, &smtp(port), POLL);
    let id = queue(&world.pool, tenant, "ann@mail.test", "Confirm", None).await;
    let failing = eventually("two failed attempts", || async {
        let row = row(&world.pool, tenant, id).await;
        (row.attempts >= 2).then_some(row)
    })
    .await;
    assert!(failing.sent_at.is_none() && failing.given_up_at.is_none(), "{failing:?}");
    assert!(failing.last_error.is_some(), "the error is kept: {failing:?}");

    let receiver = Receiver::start(port).await;
    let row = eventually("the mail to be sent once the server is up", || sent(&world.pool, tenant, id)).await;
    assert!(row.attempts > failing.attempts);
    assert_eq!(row.last_error, None);
    worker.stop().await;
    assert_eq!(receiver.messages().len(), 1);
}

#[tokio::test]
async fn two_workers_never_send_one_mail_twice() {
    let world = seeded().await;
    let tenant = world.domain("cafe.test").id;
    let port = free_port();
    let receiver = Receiver::start(port).await;
    let first = Worker::start(&world.database, &smtp(port), POLL);
    let second = Worker::start(&world.database, &smtp(port), POLL);
    let mut ids = Vec::new();
    for n in 0..20 {
        ids.push(queue(&world.pool, tenant, &format!("user{n}@mail.test"), &format!("Mail {n}"), None).await);
    }
    for id in &ids {
        eventually("every mail to be sent", || sent(&world.pool, tenant, *id)).await;
    }
    // Stopped first, so that a second send of any mail would have finished.
    first.stop().await;
    second.stop().await;
    let messages = receiver.messages();
    let mut subjects = Vec::new();
    for path in &messages {
        subjects.push(parse(path).await.subject);
    }
    subjects.sort();
    let mut expected: Vec<String> = (0..20).map(|n| format!("Mail {n}")).collect();
    expected.sort();
    assert_eq!(subjects, expected, "each mail arrives exactly once");
}

#[tokio::test]
async fn claims_are_exclusive_and_failures_are_bounded() {
    let world = seeded().await;
    let tenant = world.domain("cafe.test").id;
    let pool = &world.pool;
    let mail = |n: usize| OutgoingMail {
        to: format!("user{n}@mail.test"),
        subject: format!("Mail {n}"),
        text: "text".into(),
        html: None,
    };
    let mut conn = pool.get().await.unwrap_or_else(|e| panic!("pool: {e}"));
    for n in 0..6 {
        mail_outbox::enqueue(&mut conn, tenant, &mail(n)).await.unwrap_or_else(|e| panic!("enqueue: {e}"));
    }
    let lease = Duration::from_secs(60);
    // Two claims at once, on two connections: disjoint, and together everything.
    let mut other = pool.get().await.unwrap_or_else(|e| panic!("pool: {e}"));
    let (a, b) =
        tokio::join!(mail_outbox::claim_due(&mut conn, 4, lease), mail_outbox::claim_due(&mut other, 4, lease));
    let (a, b) = (a.unwrap_or_else(|e| panic!("claim: {e}")), b.unwrap_or_else(|e| panic!("claim: {e}")));
    let mut ids: Vec<i64> = a.iter().chain(&b).map(|m| m.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), a.len() + b.len(), "no row claimed twice");
    assert_eq!(ids.len(), 6);
    assert!(a.iter().chain(&b).all(|m| m.tenant_name == "Kererū Café" && m.account_host == "cafe.test"));
    // Leased rows are not due.
    let again = mail_outbox::claim_due(&mut conn, 10, lease).await.unwrap_or_else(|e| panic!("claim: {e}"));
    assert!(again.is_empty());

    // A failure is retried after its back-off; the last attempt gives up and keeps the error.
    let claimed = &a[0];
    let failed = mail_outbox::mark_failed(&mut conn, claimed.id, claimed.attempts, "refused", Duration::ZERO, 2)
        .await
        .unwrap_or_else(|e| panic!("mark: {e}"));
    assert_eq!(failed, Failed::Retry);
    let retried = mail_outbox::claim_due(&mut conn, 10, lease).await.unwrap_or_else(|e| panic!("claim: {e}"));
    assert_eq!(retried.iter().map(|m| (m.id, m.attempts)).collect::<Vec<_>>(), [(claimed.id, 2)]);
    // The first attempt's late outcome changes nothing now.
    let stale = mail_outbox::mark_sent(&mut conn, claimed.id, 1).await.unwrap_or_else(|e| panic!("mark: {e}"));
    assert!(!stale);
    let gave_up = mail_outbox::mark_failed(&mut conn, claimed.id, 2, "refused again", Duration::ZERO, 2)
        .await
        .unwrap_or_else(|e| panic!("mark: {e}"));
    assert_eq!(gave_up, Failed::GaveUp);
    let kept = row(pool, tenant, claimed.id).await;
    assert!(kept.given_up_at.is_some() && kept.sent_at.is_none(), "{kept:?}");
    assert_eq!(kept.last_error.as_deref(), Some("refused again"));
    let none = mail_outbox::claim_due(&mut conn, 10, lease).await.unwrap_or_else(|e| panic!("claim: {e}"));
    assert!(none.is_empty(), "a given-up mail is not claimed again");
    // Rows are read per tenant only.
    let other_tenant = world.domain("other.test").id;
    assert!(
        mail_outbox::get(&mut conn, other_tenant, claimed.id).await.unwrap_or_else(|e| panic!("get: {e}")).is_none()
    );
}

#[tokio::test]
async fn bad_addresses_and_subjects_are_refused() {
    let world = seeded().await;
    let tenant = world.domain("cafe.test").id;
    let mut conn = world.pool.get().await.unwrap_or_else(|e| panic!("pool: {e}"));
    for (to, subject) in [("not an address", "Hi"), ("ann@mail.test", "two\r\nBcc: x@y.test"), ("ann@mail.test", " ")] {
        let result = kereru_service::mail::queue(&mut conn, tenant, to, subject, "text", None).await;
        assert!(matches!(result, Err(kereru_service::ServiceError::Invalid(_))), "{to:?} {subject:?}: {result:?}");
    }
}
