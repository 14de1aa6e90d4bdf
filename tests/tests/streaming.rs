//! The streaming API over real HTTP: server-sent events and the WebSocket,
//! fed by PostgreSQL NOTIFY, so that an action on one node reaches a stream
//! on another; each event checked against the viewer and the tenant.
//!
//! Nothing here sleeps: every wait reads the stream until the expected
//! event, at most [`WAIT`]. "Never arrives" is shown with a later marker
//! status: the forbidden event did not come before it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests report failure by panicking

use futures_util::{SinkExt, StreamExt};
use kereru_tests::{PASSWORD, Session, TestApp, World, oauth};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::time::{Instant, timeout_at};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const WAIT: Duration = Duration::from_secs(10);

/// One server-sent event: its name and data (comments are kept apart).
#[derive(Debug, Clone)]
struct Sse {
    event: String,
    data: String,
}

impl Sse {
    fn json(&self) -> Value {
        serde_json::from_str(&self.data)
            .unwrap_or_else(|e| panic!("{} payload is not JSON ({e}): {}", self.event, self.data))
    }
}

/// An open server-sent event stream.
struct SseStream {
    response: reqwest::Response,
    buffer: String,
    comments: Vec<String>,
    what: String,
}

impl SseStream {
    async fn open(session: &Session, path: &str) -> SseStream {
        let url = format!("http://{}{path}", session.host);
        let response = session.client.get(&url).bearer_auth(&session.token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
        assert!(content_type.starts_with("text/event-stream"), "{path}: {content_type}");
        SseStream { response, buffer: String::new(), comments: Vec::new(), what: format!("{}{path}", session.host) }
    }

    /// The next event before `deadline`, or `None` at the deadline.
    async fn next_before(&mut self, deadline: Instant) -> Option<Sse> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = None;
                let mut data = Vec::new();
                for line in block.lines() {
                    if let Some(comment) = line.strip_prefix(':') {
                        self.comments.push(comment.to_string());
                    } else if let Some(name) = line.strip_prefix("event: ") {
                        event = Some(name.to_string());
                    } else if let Some(value) = line.strip_prefix("data: ") {
                        data.push(value.to_string());
                    }
                }
                if let Some(event) = event {
                    return Some(Sse { event, data: data.join("\n") });
                }
                continue;
            }
            let chunk = timeout_at(deadline, self.response.chunk()).await.ok()?;
            let chunk = chunk.unwrap().unwrap_or_else(|| panic!("{}: the stream ended", self.what));
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// Events up to and including the first that `found` accepts; panics after [`WAIT`].
    async fn until(&mut self, what: &str, found: impl Fn(&Sse) -> bool) -> Vec<Sse> {
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        loop {
            match self.next_before(deadline).await {
                Some(event) => {
                    let done = found(&event);
                    seen.push(event);
                    if done {
                        return seen;
                    }
                }
                None => panic!("{}: no {what} within {WAIT:?}; got {seen:?}", self.what),
            }
        }
    }

    /// Events up to and including the `update` of status `id`.
    async fn until_update(&mut self, id: &str) -> Vec<Sse> {
        self.until(&format!("update of {id}"), |e| e.event == "update" && e.json()["id"] == id).await
    }
}

fn ids_of(events: &[Sse], kind: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.event == kind)
        .map(
            |e| if kind == "delete" { e.data.clone() } else { e.json()["id"].as_str().unwrap_or_default().to_string() },
        )
        .collect()
}

async fn two_tenants() -> (TestApp, Session, Session, Session) {
    let world = World::new()
        .tenant("a.test")
        .tenant("b.test")
        .user("a.test", "alice")
        .user("a.test", "carol")
        .user("b.test", "bob")
        .start()
        .await;
    let alice = world.login("a.test", "alice").await;
    let carol = world.login("a.test", "carol").await;
    let bob = world.login("b.test", "bob").await;
    (world.app, alice, carol, bob)
}

async fn follow(who: &Session, acct: &str) -> String {
    let found = who.get_json(&format!("/api/v1/accounts/lookup?acct={acct}")).await;
    let id = found["id"].as_str().unwrap().to_string();
    let rel = who.post_json(&format!("/api/v1/accounts/{id}/follow"), &[]).await;
    assert_eq!(rel["following"], true, "{acct}");
    id
}

#[tokio::test]
async fn the_user_stream_carries_home_posts_notifications_and_deletes() {
    let (app, alice, carol, bob) = two_tenants().await;
    let mut stream = SseStream::open(&alice, "/api/v1/streaming/user").await;

    let own = alice.toot("hello from alice", "public").await;
    let events = stream.until_update(&own).await;
    let status = events.last().unwrap().json();
    assert_eq!(status["account"]["acct"], "alice");
    assert!(status["content"].as_str().unwrap().contains("hello from alice"));
    assert_eq!(status["favourited"], false, "rendered for alice: {status}");

    // Someone alice follows, on another tenant: public and followers-only posts both reach her.
    follow(&alice, "bob@b.test").await;
    let public = bob.toot("public from bob", "public").await;
    let private = bob.toot("followers only from bob", "private").await;
    let events = stream.until_update(&private).await;
    assert_eq!(ids_of(&events, "update"), vec![public.clone(), private.clone()]);
    let status = events.last().unwrap().json();
    assert_eq!(status["account"]["acct"], "bob@b.test");
    assert_eq!(status["visibility"], "private");
    assert_eq!(status["url"], format!("http://b.test/@bob/{private}"));

    // Followed: a notification, its payload a Notification entity.
    follow(&carol, "alice").await;
    let events = stream.until("follow notification", |e| e.event == "notification").await;
    let notification = events.last().unwrap().json();
    assert_eq!(notification["type"], "follow");
    assert_eq!(notification["account"]["acct"], "carol");
    assert!(notification["id"].is_string());

    // Edits and deletions follow.
    let edited = alice
        .client
        .put(format!("http://a.test/api/v1/statuses/{own}"))
        .bearer_auth(&alice.token)
        .form(&[("status", "hello, edited")])
        .send()
        .await
        .unwrap();
    assert_eq!(edited.status(), StatusCode::OK);
    let events = stream.until("status.update", |e| e.event == "status.update").await;
    let status = events.last().unwrap().json();
    assert_eq!(status["id"], own.as_str());
    assert!(status["content"].as_str().unwrap().contains("edited"));
    assert_eq!(alice.delete(&format!("/api/v1/statuses/{own}")).await.status(), StatusCode::OK);
    let events = stream.until("delete", |e| e.event == "delete").await;
    assert_eq!(events.last().unwrap().data, own);
    // bob's delete reaches his follower on another tenant.
    assert_eq!(bob.delete(&format!("/api/v1/statuses/{private}")).await.status(), StatusCode::OK);
    let events = stream.until("delete", |e| e.event == "delete").await;
    assert_eq!(events.last().unwrap().data, private);

    // user:notification carries notifications and nothing else.
    let mut notes = SseStream::open(&bob, "/api/v1/streaming/user/notification").await;
    let mention = alice.toot("@bob@b.test hi there", "public").await;
    let marker = bob.toot("bob's own marker", "public").await;
    let favourite = alice.post_json(&format!("/api/v1/statuses/{marker}/favourite"), &[]).await;
    assert_eq!(favourite["favourited"], true);
    let events =
        notes.until("favourite notification", |e| e.event == "notification" && e.json()["type"] == "favourite").await;
    assert!(events.iter().all(|e| e.event == "notification"), "{events:?}");
    let kinds: Vec<Value> = events.iter().map(|e| e.json()["type"].clone()).collect();
    assert_eq!(kinds, vec![json!("mention"), json!("favourite")]);
    assert_eq!(events[0].json()["status"]["id"], mention.as_str());
    app.stop().await;
}

#[tokio::test]
async fn public_streams_carry_only_what_this_tenant_received() {
    let (app, alice, _carol, bob) = two_tenants().await;
    let mut federated = SseStream::open(&bob, "/api/v1/streaming/public").await;
    let mut local = SseStream::open(&bob, "/api/v1/streaming/public/local").await;
    let mut remote = SseStream::open(&bob, "/api/v1/streaming/public/remote").await;
    let mut tag = SseStream::open(&bob, "/api/v1/streaming/hashtag?tag=Kereru").await;

    // b.test has never received alice's post: none of its streams see it.
    let unseen = alice.toot("from a.test, unseen on b.test #kereru", "public").await;
    let marker = bob.toot("local marker #kereru", "public").await;
    for stream in [&mut federated, &mut local, &mut tag] {
        let events = stream.until_update(&marker).await;
        assert_eq!(ids_of(&events, "update"), vec![marker.clone()], "{}", stream.what);
    }

    // Once bob follows alice, b.test receives her posts: public and remote, not local.
    follow(&bob, "alice@a.test").await;
    let received = alice.toot("from a.test, received by b.test #kereru", "public").await;
    let events = remote.until_update(&received).await;
    assert_eq!(ids_of(&events, "update"), vec![received.clone()], "the unseen post and the local marker never came");
    assert_eq!(events[0].json()["account"]["acct"], "alice@a.test");
    assert_eq!(ids_of(&federated.until_update(&received).await, "update"), vec![received.clone()]);
    assert_eq!(ids_of(&tag.until_update(&received).await, "update"), vec![received.clone()]);
    let second_marker = bob.toot("second local marker", "public").await;
    let events = local.until_update(&second_marker).await;
    assert_eq!(ids_of(&events, "update"), vec![second_marker.clone()], "a remote post is not local");

    // Unlisted, followers-only and direct posts never enter public streams; a boost neither.
    let unlisted = alice.toot("unlisted #kereru", "unlisted").await;
    let private = alice.toot("private #kereru", "private").await;
    let boost = bob.post_json(&format!("/api/v1/statuses/{received}/reblog"), &[]).await;
    let last = alice.toot("last public #kereru", "public").await;
    let events = federated.until_update(&last).await;
    let updates = ids_of(&events, "update");
    assert_eq!(updates, vec![second_marker, last.clone()], "not {unlisted}, {private} or boost {}", boost["id"]);
    assert_eq!(ids_of(&tag.until_update(&last).await, "update"), vec![last]);
    assert!(!updates.contains(&unseen));
    app.stop().await;
}

#[tokio::test]
async fn followers_only_posts_never_reach_a_non_follower() {
    let (app, alice, carol, bob) = two_tenants().await;
    follow(&bob, "alice@a.test").await;
    let mut follower = SseStream::open(&bob, "/api/v1/streaming/user").await;
    // carol is on alice's own tenant but doesn't follow her.
    let mut stranger = SseStream::open(&carol, "/api/v1/streaming/user").await;
    let mut stranger_public = SseStream::open(&carol, "/api/v1/streaming/public/local").await;

    let private = alice.toot("for my followers", "private").await;
    let events = follower.until_update(&private).await;
    assert_eq!(events.last().unwrap().json()["visibility"], "private");
    // An edit is announced to every stream on the tenants holding it, and checked per viewer.
    let edited = alice
        .client
        .put(format!("http://a.test/api/v1/statuses/{private}"))
        .bearer_auth(&alice.token)
        .form(&[("status", "for my followers, edited")])
        .send()
        .await
        .unwrap();
    assert_eq!(edited.status(), StatusCode::OK);
    let events = follower.until("status.update", |e| e.event == "status.update").await;
    assert_eq!(events.last().unwrap().json()["id"], private.as_str());

    let marker = carol.toot("carol's marker", "public").await;
    for stream in [&mut stranger, &mut stranger_public] {
        let events = stream.until_update(&marker).await;
        assert_eq!(events.len(), 1, "{}: nothing before the marker: {events:?}", stream.what);
    }
    // A deletion is no news to those who never saw it.
    assert_eq!(alice.delete(&format!("/api/v1/statuses/{private}")).await.status(), StatusCode::OK);
    assert_eq!(follower.until("delete", |e| e.event == "delete").await.last().unwrap().data, private);
    let marker = carol.toot("carol's second marker", "public").await;
    for stream in [&mut stranger, &mut stranger_public] {
        let events = stream.until_update(&marker).await;
        assert_eq!(events.len(), 1, "{}: nothing before the marker: {events:?}", stream.what);
    }

    // Direct messages: on the direct stream of those mentioned, nowhere public. As Mastodon
    // (issue 15), the direct stream carries the conversation (`conversation`), not `update`.
    let mut direct = SseStream::open(&bob, "/api/v1/streaming/direct").await;
    let dm = alice.toot("@bob@b.test just for you", "direct").await;
    let events = direct
        .until("conversation", |e| e.event == "conversation" && e.json()["last_status"]["id"] == dm.as_str())
        .await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].json()["last_status"]["visibility"], "direct");
    let marker = carol.toot("carol's third marker", "public").await;
    assert_eq!(stranger_public.until_update(&marker).await.len(), 1);
    app.stop().await;
}

/// A WebSocket to `app` for `host`, or the HTTP answer that refused it.
async fn websocket(
    app: &TestApp,
    host: &str,
    query: &str,
    protocol: Option<&str>,
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    tokio_tungstenite::tungstenite::http::Response<Option<Vec<u8>>>,
> {
    let mut request = format!("ws://{host}/api/v1/streaming{query}").into_client_request().unwrap();
    if let Some(protocol) = protocol {
        request.headers_mut().insert("Sec-WebSocket-Protocol", protocol.parse().unwrap());
    }
    let tcp = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    match tokio_tungstenite::client_async(request, tcp).await {
        Ok((socket, response)) => {
            if let Some(protocol) = protocol {
                assert_eq!(response.headers()["sec-websocket-protocol"], protocol, "the protocol is echoed");
            }
            Ok(socket)
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(*response),
        Err(other) => panic!("websocket: {other}"),
    }
}

type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// Sends `text`, then a ping, and waits for its pong: the server handles
/// messages in order, so `text` has taken effect. Returns what came meanwhile.
async fn send_and_sync(socket: &mut Socket, text: &str) -> Vec<Value> {
    socket.send(Message::text(text)).await.unwrap();
    socket.send(Message::Ping(b"sync".to_vec().into())).await.unwrap();
    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    loop {
        match timeout_at(deadline, socket.next()).await.expect("no pong within the wait") {
            Some(Ok(Message::Pong(bytes))) if &bytes[..] == b"sync" => return seen,
            Some(Ok(Message::Text(text))) => seen.push(serde_json::from_str(&text).unwrap()),
            Some(Ok(_)) => {}
            other => panic!("websocket ended: {other:?}"),
        }
    }
}

/// Messages up to and including the first that `found` accepts.
async fn ws_until(socket: &mut Socket, what: &str, found: impl Fn(&Value) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    loop {
        let next = timeout_at(deadline, socket.next())
            .await
            .unwrap_or_else(|_| panic!("no {what} within {WAIT:?}; got {seen:?}"));
        match next {
            Some(Ok(Message::Text(text))) => {
                let message: Value = serde_json::from_str(&text).unwrap();
                let done = found(&message);
                seen.push(message);
                if done {
                    return seen;
                }
            }
            Some(Ok(_)) => {}
            other => panic!("websocket ended: {other:?}"),
        }
    }
}

fn payload(message: &Value) -> Value {
    serde_json::from_str(message["payload"].as_str().expect("the payload is a string")).unwrap()
}

fn is_update_of(id: &str) -> impl Fn(&Value) -> bool + '_ {
    move |m| m["event"] == "update" && payload(m)["id"] == id
}

#[tokio::test]
async fn the_websocket_subscribes_unsubscribes_and_answers_mistakes() {
    let (app, alice, carol, _bob) = two_tenants().await;
    // The token as the protocol (browsers), echoed back; streams chosen by message.
    let mut socket = websocket(&app, "a.test", "", Some(&carol.token)).await.unwrap();
    let seen = send_and_sync(&mut socket, r#"{"type":"subscribe","stream":"hashtag","tag":"Kereru"}"#).await;
    assert!(seen.is_empty(), "{seen:?}");
    let tagged = alice.toot("a #kereru post", "public").await;
    let messages = ws_until(&mut socket, "the tagged post", is_update_of(&tagged)).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["stream"], json!(["hashtag", "kereru"]));
    assert_eq!(payload(&messages[0])["account"]["acct"], "alice");

    // A second stream on the same connection; then the first one dropped.
    send_and_sync(&mut socket, r#"{"type":"subscribe","stream":"user"}"#).await;
    send_and_sync(&mut socket, r#"{"type":"unsubscribe","stream":"hashtag","tag":"kereru"}"#).await;
    let untagged_now = alice.toot("another #kereru post", "public").await;
    let marker = carol.toot("carol's own", "public").await;
    let messages = ws_until(&mut socket, "carol's post", is_update_of(&marker)).await;
    assert_eq!(messages.len(), 1, "not {untagged_now}: {messages:?}");
    assert_eq!(messages[0]["stream"], json!(["user"]));

    // Mistakes get an answer and leave the connection open.
    for (text, status) in [
        ("not json", 400),
        (r#"{"type":"subscribe","stream":"firehose"}"#, 400),
        (r#"{"type":"subscribe","stream":"hashtag"}"#, 400),
        (r#"{"type":"dance","stream":"user"}"#, 400),
    ] {
        let seen = send_and_sync(&mut socket, text).await;
        assert_eq!(seen.len(), 1, "{text}: {seen:?}");
        assert_eq!(seen[0]["status"], status, "{text}: {seen:?}");
        assert!(seen[0]["error"].is_string());
    }

    // The first stream from the URL, the token from the query.
    let mut notes = websocket(&app, "a.test", &format!("?stream=user:notification&access_token={}", alice.token), None)
        .await
        .unwrap();
    let mut public =
        websocket(&app, "a.test", &format!("?stream=public:local&access_token={}", alice.token), None).await.unwrap();
    follow(&carol, "alice").await;
    let messages = ws_until(&mut notes, "a notification", |m| m["event"] == "notification").await;
    assert_eq!(messages[0]["stream"], json!(["user:notification"]));
    assert_eq!(payload(&messages[0])["type"], "follow");
    let post = carol.toot("carol's public post", "public").await;
    let messages = ws_until(&mut public, "carol's post", is_update_of(&post)).await;
    assert_eq!(messages.last().unwrap()["stream"], json!(["public:local"]));
    let gone = alice.toot("soon gone", "public").await;
    ws_until(&mut public, "alice's post", is_update_of(&gone)).await;
    assert_eq!(alice.delete(&format!("/api/v1/statuses/{gone}")).await.status(), StatusCode::OK);
    let messages = ws_until(&mut public, "its deletion", |m| m["event"] == "delete").await;
    assert_eq!(messages.last().unwrap()["payload"], gone.as_str());
    socket.close(None).await.unwrap();
    app.stop().await;
}

/// An app token (no user) for `host`, with the `read` scope.
async fn app_token(session: &Session) -> String {
    oauth::app_token(&session.client, &session.host, "app only", "read").await
}

#[tokio::test]
async fn streams_refuse_bad_tokens_before_they_start() {
    let (app, alice, _carol, bob) = two_tenants().await;
    let client = app.client();
    let get = |host: &str, path: &str, token: Option<&str>| {
        let request = client.get(format!("http://{host}{path}"));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
        .send()
    };
    let refused = |response: reqwest::Response, want: StatusCode, what: &str| {
        let what = what.to_string();
        async move {
            assert_eq!(response.status(), want, "{what}");
            let body: Value = response.json().await.unwrap_or_else(|e| panic!("{what}: not JSON: {e}"));
            assert!(body["error"].is_string(), "{what}: {body}");
        }
    };
    refused(get("a.test", "/api/v1/streaming/public", None).await.unwrap(), StatusCode::UNAUTHORIZED, "no token").await;
    refused(
        get("a.test", "/api/v1/streaming/user", Some("not-a-token")).await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "bad token",
    )
    .await;
    // A token is known only where it was issued.
    refused(
        get("b.test", "/api/v1/streaming/public", Some(&alice.token)).await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "another tenant's token",
    )
    .await;
    refused(
        get("b.test", "/api/v1/streaming/user", Some(&alice.token)).await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "another tenant's token",
    )
    .await;
    // An app token streams public timelines, not a user's.
    let app_only = app_token(&alice).await;
    refused(
        get("a.test", "/api/v1/streaming/user", Some(&app_only)).await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "app token, user stream",
    )
    .await;
    refused(
        get("a.test", "/api/v1/streaming/direct", Some(&app_only)).await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "app token, direct",
    )
    .await;
    let public = get("a.test", "/api/v1/streaming/public/local", Some(&app_only)).await.unwrap();
    assert_eq!(public.status(), StatusCode::OK);
    drop(public);
    // Bad parameters.
    refused(
        get("a.test", "/api/v1/streaming/hashtag", Some(&alice.token)).await.unwrap(),
        StatusCode::BAD_REQUEST,
        "no tag",
    )
    .await;
    refused(
        get("a.test", "/api/v1/streaming/list", Some(&alice.token)).await.unwrap(),
        StatusCode::BAD_REQUEST,
        "no list",
    )
    .await;
    refused(
        get("a.test", "/api/v1/streaming/firehose", Some(&alice.token)).await.unwrap(),
        StatusCode::NOT_FOUND,
        "unknown stream",
    )
    .await;
    // A list stream is its owner's only (issue 15): a list that is not alice's is refused, as Mastodon's
    // streaming server does (tests/tests/lists.rs opens one of her own).
    refused(
        get("a.test", "/api/v1/streaming/list?list=1", Some(&alice.token)).await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "not her list",
    )
    .await;

    // The WebSocket refuses before upgrading.
    for (host, query, protocol, what) in [
        ("a.test", String::new(), None, "no token"),
        ("a.test", "?stream=public&access_token=nope".to_string(), None, "bad token"),
        ("b.test", format!("?stream=public&access_token={}", alice.token), None, "another tenant's token"),
        ("b.test", String::new(), Some(alice.token.as_str()), "another tenant's token as the protocol"),
    ] {
        match websocket(&app, host, &query, protocol).await {
            Ok(_) => panic!("{what}: upgraded"),
            Err(response) => assert_eq!(response.status(), 401, "{what}"),
        }
    }
    // A plain GET of the WebSocket endpoint is a clear 400.
    refused(
        get("a.test", "/api/v1/streaming", Some(&bob.token)).await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "bob's token on a.test",
    )
    .await;
    refused(
        get("a.test", "/api/v1/streaming", Some(&alice.token)).await.unwrap(),
        StatusCode::BAD_REQUEST,
        "no upgrade",
    )
    .await;

    // Health answers on any host, without a token.
    for url in
        ["http://a.test/api/v1/streaming/health".to_string(), format!("http://{}/api/v1/streaming/health", app.addr)]
    {
        let response = client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        assert_eq!(response.text().await.unwrap(), "OK");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_revoked_token_ends_its_stream() {
    let app =
        World::new().tenant("a.test").user("a.test", "alice").heartbeat(Duration::from_millis(200)).start().await.app;
    // Logged in by hand, to keep the app's credentials for the revocation.
    let client = app.client();
    let app_form = [("client_name", "revoker"), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"), ("scopes", "read")];
    let registered = oauth::register_app(&client, "a.test", &app_form).await;
    let (client_id, client_secret) =
        (registered["client_id"].as_str().unwrap(), registered["client_secret"].as_str().unwrap());
    let login = oauth::password_grant(&client, "a.test", &registered, "alice", PASSWORD, "read").await;
    let token = oauth::access_token(login).await;
    let alice =
        Session { client: client.clone(), host: "a.test".into(), token: token.clone(), account_id: String::new() };
    let mut stream = SseStream::open(&alice, "/api/v1/streaming/user").await;
    // Heartbeats keep an idle stream open.
    let deadline = Instant::now() + WAIT;
    while !stream.comments.iter().any(|c| c == "thump") {
        assert!(stream.next_before(deadline.min(Instant::now() + Duration::from_millis(500))).await.is_none());
        assert!(Instant::now() < deadline, "no heartbeat within {WAIT:?}: {:?}", stream.comments);
    }
    let revoked = client
        .post("http://a.test/oauth/revoke")
        .form(&[("client_id", client_id), ("client_secret", client_secret), ("token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    // The next heartbeat finds the token revoked and ends the stream.
    let ended = timeout_at(Instant::now() + WAIT, async {
        loop {
            match stream.response.chunk().await {
                Ok(Some(_)) => continue,
                _ => return,
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream outlived its token");
    app.stop().await;
}

#[tokio::test]
async fn events_reach_streams_on_another_node() {
    // Two servers, one database: two nodes.
    let world =
        World::new().tenant("a.test").tenant("b.test").user("a.test", "alice").user("b.test", "bob").start().await;
    let second = world.start_node().await;
    let alice_on_first = world.login("a.test", "alice").await;
    let alice_on_second = Session::login(&second, "a.test", "alice").await;
    let bob_on_second = Session::login(&second, "b.test", "bob").await;

    let mut stream = SseStream::open(&alice_on_first, "/api/v1/streaming/user").await;
    let mut socket = websocket(&second, "a.test", &format!("?stream=user&access_token={}", alice_on_first.token), None)
        .await
        .unwrap();
    let id = alice_on_second.toot("posted on the second node", "public").await;
    assert_eq!(stream.until_update(&id).await.len(), 1);
    assert_eq!(ws_until(&mut socket, "the post", is_update_of(&id)).await.len(), 1);

    follow(&bob_on_second, "alice@a.test").await;
    let events = stream.until("follow notification", |e| e.event == "notification").await;
    assert_eq!(events.last().unwrap().json()["account"]["acct"], "bob@b.test");
    let on_first = alice_on_first.toot("posted on the first node", "public").await;
    assert_eq!(
        ws_until(&mut socket, "the post", is_update_of(&on_first)).await.len(),
        2,
        "notification, then the post"
    );
    world.stop().await;
    second.stop().await;
}

#[tokio::test]
async fn the_listener_reconnects_when_its_connection_drops() {
    let world = World::new().tenant("a.test").user("a.test", "alice").start().await;
    let app = &world.app;
    let pool = &world.pool;
    let alice = world.login("a.test", "alice").await;
    let mut stream = SseStream::open(&alice, "/api/v1/streaming/user").await;
    let before = alice.toot("before", "public").await;
    stream.until_update(&before).await;

    // The server ends the listener's connection, as a restart or failover would.
    {
        use diesel::sql_types::{Bool, Text};
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Terminated {
            #[diesel(sql_type = Bool)]
            terminated: bool,
        }
        let mut conn = pool.get().await.unwrap();
        let rows: Vec<Terminated> = diesel::sql_query(
            "SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity \
             WHERE application_name = $1 AND datname = current_database()",
        )
        .bind::<Text, _>(kereru_web::streaming::hub::APPLICATION_NAME)
        .load(&mut conn)
        .await
        .unwrap();
        assert_eq!(rows.len(), 1, "one listener on this database");
        assert!(rows[0].terminated);
    }
    assert!(app.hub.wait_for_state(false, WAIT).await, "the listener noticed");
    assert!(app.hub.wait_listening(WAIT).await, "the listener is back");
    // The same stream, still open, hears of what happens next.
    let after = alice.toot("after", "public").await;
    assert_eq!(ids_of(&stream.until_update(&after).await, "update"), vec![after]);
    world.stop().await;
}

#[tokio::test]
async fn the_advertised_streaming_url_leads_back_to_this_server() {
    let world = World::new().tenant("a.test").user("a.test", "alice").start().await;
    let app = &world.app;
    let alice = world.login("a.test", "alice").await;
    // Reached with an explicit port (a port mapping), the port is kept.
    let port = app.addr.port();
    let instance: Value =
        alice.client.get(format!("http://a.test:{port}/api/v1/instance")).send().await.unwrap().json().await.unwrap();
    let streaming = instance["urls"]["streaming_api"].as_str().unwrap().to_string();
    assert_eq!(streaming, format!("ws://a.test:{port}"));
    let v2: Value =
        alice.client.get(format!("http://a.test:{port}/api/v2/instance")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v2["configuration"]["urls"]["streaming"], streaming.as_str());
    // What Mastodon.py does with it: ws -> http, then the SSE path.
    let base = streaming.replacen("ws://", "http://", 1);
    let mut response = alice
        .client
        .get(format!("{base}/api/v1/streaming/public/local"))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let id = alice.toot("heard through the advertised URL", "public").await;
    let deadline = Instant::now() + WAIT;
    let mut text = String::new();
    while !text.contains(&format!("\"id\":\"{id}\"")) {
        let chunk = timeout_at(deadline, response.chunk()).await.expect("the post within the wait").unwrap().unwrap();
        text.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    assert!(text.contains("event: update\ndata: {"), "{text}");
    world.stop().await;
}
