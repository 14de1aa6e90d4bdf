//! The WebSocket endpoint, `GET /api/v1/streaming`: any number of streams
//! on one connection, chosen with `?stream=` and then
//! `{"type": "subscribe" | "unsubscribe", "stream": ..., "tag": ..., "list": ...}`.
//!
//! The token is checked before the upgrade (401 otherwise). Messages are
//! handled one at a time, in order: a ping sent after a subscription is
//! answered once the subscription is in place.

use super::channels::{Channel, Outgoing, Subscriber};
use super::{TokenCheck, query_params};
use crate::auth::{Auth, MaybeAuth};
use crate::error::WebError;
use crate::params::Params;
use crate::state::AppState;
use crate::tenant::Tenant;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, Session};
use kereru_service::Event;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::{Instant, interval_at};

/// Client messages are small; anything larger is refused.
const MAX_MESSAGE_BYTES: usize = 16 * 1024;
/// Streams one connection may hold.
const MAX_SUBSCRIPTIONS: usize = 32;
/// A ping this often; a client that has not answered the last one by the
/// next is gone.
const PING_EVERY: Duration = Duration::from_secs(30);

/// Browsers cannot set headers on a WebSocket, so Mastodon also takes the
/// token as the `Sec-WebSocket-Protocol`. This passes it on as a bearer
/// token, when no other token is given, for the usual authentication.
pub async fn protocol_token(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let has_token =
        req.headers().contains_key(header::AUTHORIZATION) || query_params(req.request()).str("access_token").is_some();
    if !has_token
        && let Some(token) = protocol_of(req.request())
        && let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}"))
    {
        req.headers_mut().insert(header::AUTHORIZATION, value);
    }
    next.call(req).await
}

/// The first protocol the client offers: Mastodon's clients send the token alone.
fn protocol_of(req: &HttpRequest) -> Option<String> {
    let offered = req.headers().get(header::SEC_WEBSOCKET_PROTOCOL)?.to_str().ok()?;
    offered.split(',').map(str::trim).find(|p| !p.is_empty()).map(str::to_string)
}

/// `GET /api/v1/streaming`
pub async fn connect(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    tenant: Tenant,
    auth: MaybeAuth,
) -> Result<HttpResponse, WebError> {
    let auth = auth.0.ok_or_else(|| WebError::Unauthorized("Missing access token".into()))?;
    // The token offered as the protocol is the protocol agreed (as Mastodon does).
    let protocol = protocol_of(&req);
    let protocols: Vec<&str> = protocol.iter().map(String::as_str).collect();
    let (response, session, messages) = actix_ws::handle_with_protocols(&req, body, &protocols)
        .map_err(|_| WebError::BadRequest("This endpoint expects a WebSocket upgrade".into()))?;
    let messages =
        messages.max_frame_size(MAX_MESSAGE_BYTES).aggregate_continuations().max_continuation_size(MAX_MESSAGE_BYTES);
    // Subscribed, and the first stream chosen, before the upgrade is
    // answered: what happens once the client is connected reaches it.
    let events = state.hub.subscribe();
    let params = query_params(&req);
    let mut initial = params
        .str("stream")
        .filter(|s| !s.is_empty())
        .map(|name| Channel::parse(name, &params).and_then(|channel| channel.authorize(&auth).map(|()| channel)));
    if let Some(Ok(channel)) = &initial
        && let Err(error) = channel.check_owner(&state, &tenant, &auth).await
    {
        initial = Some(Err(error));
    }
    let mut connection = Connection {
        token: TokenCheck::from_request(&req, &auth),
        subscriber: Subscriber::new(tenant, &auth),
        auth,
        state: state.into_inner(),
        session,
        channels: Vec::new(),
        _counted: kereru_metrics::StreamingConnection::open(),
    };
    let refused = match initial {
        Some(Ok(channel)) => {
            connection.channels.push(channel);
            None
        }
        Some(Err(error)) => Some(error),
        None => None,
    };
    actix_web::rt::spawn(connection.run(messages, events, refused));
    Ok(response)
}

struct Connection {
    state: Arc<AppState>,
    auth: Auth,
    token: TokenCheck,
    subscriber: Subscriber,
    session: Session,
    channels: Vec<Channel>,
    /// Counted in the streaming metrics while the connection lives.
    _counted: kereru_metrics::StreamingConnection,
}

/// Why a connection ends, for the close frame.
enum End {
    /// The client closed, went away, or cannot be written to.
    Gone,
    Close(CloseReason),
}

impl Connection {
    async fn run(
        mut self,
        mut messages: AggregatedMessageStream,
        mut events: Receiver<Arc<Event>>,
        refused: Option<WebError>,
    ) {
        // A refused first stream is answered as a refused subscription would be.
        if let Some(error) = refused
            && self.error(&error).await.is_err()
        {
            return;
        }
        let mut ping = interval_at(Instant::now() + PING_EVERY, PING_EVERY);
        let mut answered = true;
        let mut closed = std::pin::pin!(self.state.hub.closed());
        let end = loop {
            tokio::select! {
                () = &mut closed => {
                    break End::Close(CloseReason { code: CloseCode::Away, description: Some("the server is shutting down".into()) });
                }
                message = messages.recv() => match message {
                    Some(Ok(AggregatedMessage::Text(text))) => {
                        if self.command(&text).await.is_err() {
                            break End::Gone;
                        }
                    }
                    Some(Ok(AggregatedMessage::Ping(bytes))) => {
                        if self.session.pong(&bytes).await.is_err() {
                            break End::Gone;
                        }
                    }
                    Some(Ok(AggregatedMessage::Pong(_))) => answered = true,
                    Some(Ok(AggregatedMessage::Binary(_))) => {
                        break End::Close(CloseReason { code: CloseCode::Unsupported, description: Some("binary messages are not supported".into()) });
                    }
                    Some(Ok(AggregatedMessage::Close(_))) | None => break End::Gone,
                    Some(Err(error)) => {
                        break End::Close(CloseReason { code: CloseCode::Protocol, description: Some(error.to_string()) });
                    }
                },
                received = events.recv() => match received {
                    Ok(event) => match self.subscriber.messages(&self.state, &self.channels, &event).await {
                        Ok(out) => {
                            if self.send_all(out).await.is_err() {
                                break End::Gone;
                            }
                        }
                        Err(error) => tracing::warn!("streaming: cannot send an event: {error}"),
                    },
                    Err(RecvError::Lagged(missed)) => tracing::warn!("streaming: a slow WebSocket client missed {missed} events"),
                    Err(RecvError::Closed) => break End::Close(CloseReason { code: CloseCode::Away, description: None }),
                },
                _ = ping.tick() => {
                    if !answered {
                        break End::Close(CloseReason { code: CloseCode::Away, description: Some("no answer to ping".into()) });
                    }
                    if !self.token.still_valid(&self.state, &self.subscriber.tenant).await {
                        break End::Close(CloseReason { code: CloseCode::Policy, description: Some("the access token is no longer valid".into()) });
                    }
                    answered = false;
                    if self.session.ping(b"").await.is_err() {
                        break End::Gone;
                    }
                }
            }
        };
        let reason = match end {
            End::Gone => None,
            End::Close(reason) => Some(reason),
        };
        let _ = self.session.close(reason).await;
    }

    /// One client message. Mistakes are answered with `{"error", "status"}`
    /// and the connection stays; `Err` only when the client is gone.
    async fn command(&mut self, text: &str) -> Result<(), actix_ws::Closed> {
        let request: Value = match serde_json::from_str(text) {
            Ok(value @ Value::Object(_)) => value,
            _ => return self.error(&WebError::BadRequest("Messages must be JSON objects".into())).await,
        };
        let mut pairs = Vec::new();
        for key in ["tag", "list", "only_media"] {
            match &request[key] {
                Value::String(s) => pairs.push((key.to_string(), s.clone())),
                Value::Bool(b) => pairs.push((key.to_string(), b.to_string())),
                Value::Number(n) => pairs.push((key.to_string(), n.to_string())),
                _ => {}
            }
        }
        let params = Params::from_pairs(pairs);
        // Mastodon takes the first of several.
        let stream = match &request["stream"] {
            Value::String(s) => Some(s.clone()),
            Value::Array(list) => list.first().and_then(Value::as_str).map(str::to_string),
            _ => None,
        };
        let Some(stream) = stream else {
            return self.error(&WebError::BadRequest("Missing stream name".into())).await;
        };
        match request["type"].as_str() {
            Some("subscribe") => self.subscribe(&stream, &params).await,
            Some("unsubscribe") => match Channel::parse(&stream, &params) {
                Ok(channel) => {
                    self.channels.retain(|c| *c != channel);
                    Ok(())
                }
                Err(error) => self.error(&error).await,
            },
            _ => self.error(&WebError::BadRequest("Unknown message type: want subscribe or unsubscribe".into())).await,
        }
    }

    async fn subscribe(&mut self, stream: &str, params: &Params) -> Result<(), actix_ws::Closed> {
        let channel = match Channel::parse(stream, params) {
            Ok(channel) => channel,
            Err(error) => return self.error(&error).await,
        };
        if let Err(error) = channel.authorize(&self.auth) {
            return self.error(&error).await;
        }
        if let Err(error) = channel.check_owner(&self.state, &self.subscriber.tenant, &self.auth).await {
            return self.error(&error).await;
        }
        if !self.channels.contains(&channel) {
            if self.channels.len() >= MAX_SUBSCRIPTIONS {
                let error = WebError::BadRequest(format!("At most {MAX_SUBSCRIPTIONS} streams per connection"));
                return self.error(&error).await;
            }
            self.channels.push(channel);
        }
        Ok(())
    }

    async fn error(&mut self, error: &WebError) -> Result<(), actix_ws::Closed> {
        let message = json!({ "error": error.to_string(), "status": error.status().as_u16() });
        self.session.text(message.to_string()).await
    }

    async fn send_all(&mut self, out: Vec<Outgoing>) -> Result<(), actix_ws::Closed> {
        for message in out {
            let text = json!({ "stream": message.stream, "event": message.event, "payload": message.payload });
            self.session.text(text.to_string()).await?;
        }
        Ok(())
    }
}
