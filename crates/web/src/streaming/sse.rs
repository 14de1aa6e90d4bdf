//! Server-sent events: `GET /api/v1/streaming/{stream}`, one stream per
//! connection, as Mastodon's streaming server sends them.

use super::channels::{Channel, Outgoing, Subscriber};
use super::{TokenCheck, query_params};
use crate::auth::MaybeAuth;
use crate::error::WebError;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use kereru_service::Event;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::{Instant, Interval, interval_at};

/// The stream a path names, by Mastodon's paths.
fn stream_name(path: &str) -> Option<&'static str> {
    Some(match path.trim_end_matches('/').strip_prefix("/api/v1/streaming/")? {
        "user" => "user",
        "user/notification" => "user:notification",
        "public" => "public",
        "public/local" => "public:local",
        "public/remote" => "public:remote",
        "hashtag" => "hashtag",
        "hashtag/local" => "hashtag:local",
        "list" => "list",
        "direct" => "direct",
        _ => return None,
    })
}

/// `GET /api/v1/streaming/{user,user/notification,public,...}`
pub async fn stream(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
) -> Result<HttpResponse, WebError> {
    let name = stream_name(req.path()).ok_or_else(|| WebError::NotFound("Unknown stream".into()))?;
    // Every stream needs a token (Mastodon 4.3); an invalid one was refused already.
    let auth = auth.0.ok_or_else(|| WebError::Unauthorized("Missing access token".into()))?;
    let channel = Channel::parse(name, &query_params(&req))?;
    channel.authorize(&auth)?;
    channel.check_owner(&state, &tenant, &auth).await?;
    let token = TokenCheck::from_request(&req, &auth);
    let subscriber = Subscriber::new(tenant, &auth);
    // Subscribed before the answer goes out: whatever happens after the
    // client has the headers reaches it.
    let events = state.hub.subscribe();
    let heartbeat = state.hub.heartbeat();
    let ticker = interval_at(Instant::now() + heartbeat, heartbeat);
    let closed = Box::pin(state.hub.closed());
    let body = Body {
        state: state.into_inner(),
        subscriber,
        channel,
        events,
        ticker,
        token,
        closed,
        started: false,
        _counted: kereru_metrics::StreamingConnection::open(),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        // nginx would otherwise buffer the stream.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(futures_util::stream::unfold(body, next_chunk)))
}

struct Body {
    state: Arc<AppState>,
    subscriber: Subscriber,
    channel: Channel,
    events: broadcast::Receiver<Arc<Event>>,
    ticker: Interval,
    token: TokenCheck,
    /// The hub closing (shutdown) ends the stream.
    closed: Pin<Box<dyn Future<Output = ()> + Send>>,
    started: bool,
    /// Counted in the streaming metrics while the stream lives.
    _counted: kereru_metrics::StreamingConnection,
}

/// The next bytes of the stream: an event, or a heartbeat comment; `None`
/// ends it (the token was revoked). A client that goes away drops the body,
/// and with it this future.
async fn next_chunk(mut body: Body) -> Option<(Result<Bytes, Infallible>, Body)> {
    if !body.started {
        body.started = true;
        // A first comment, so that clients and proxies see the stream open.
        return Some((Ok(Bytes::from_static(b":)\n\n")), body));
    }
    loop {
        tokio::select! {
            () = &mut body.closed => return None,
            _ = body.ticker.tick() => {
                if !body.token.still_valid(&body.state, &body.subscriber.tenant).await {
                    return None;
                }
                return Some((Ok(Bytes::from_static(b":thump\n\n")), body));
            }
            received = body.events.recv() => match received {
                Ok(event) => {
                    let channels = std::slice::from_ref(&body.channel);
                    match body.subscriber.messages(&body.state, channels, &event).await {
                        Ok(messages) if !messages.is_empty() => return Some((Ok(frame(&messages)), body)),
                        Ok(_) => {}
                        Err(error) => tracing::warn!("streaming: cannot send an event: {error}"),
                    }
                }
                Err(RecvError::Lagged(missed)) => tracing::warn!("streaming: a slow SSE client missed {missed} events"),
                Err(RecvError::Closed) => return None,
            },
        }
    }
}

/// Messages as server-sent events. Payloads are JSON text or ids: one line each.
fn frame(messages: &[Outgoing]) -> Bytes {
    let mut text = String::new();
    for message in messages {
        text.push_str("event: ");
        text.push_str(message.event);
        text.push_str("\ndata: ");
        // JSON escapes newlines; an id has none. Guarded all the same: a
        // newline would end the data line early.
        text.push_str(&message.payload.replace('\n', " "));
        text.push_str("\n\n");
    }
    Bytes::from(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_mastodon_streams() {
        assert_eq!(stream_name("/api/v1/streaming/user/notification"), Some("user:notification"));
        assert_eq!(stream_name("/api/v1/streaming/public/remote/"), Some("public:remote"));
        assert_eq!(stream_name("/api/v1/streaming/hashtag/local"), Some("hashtag:local"));
        assert_eq!(stream_name("/api/v1/streaming/everything"), None);
        assert_eq!(stream_name("/api/v1/streaming"), None);
    }

    #[test]
    fn events_are_framed_one_data_line_each() {
        let messages = [
            Outgoing { stream: vec!["user".into()], event: "update", payload: r#"{"id":"1"}"#.into() },
            Outgoing { stream: vec!["user".into()], event: "delete", payload: "2\n".into() },
        ];
        assert_eq!(frame(&messages), Bytes::from("event: update\ndata: {\"id\":\"1\"}\n\nevent: delete\ndata: 2 \n\n"));
    }
}
