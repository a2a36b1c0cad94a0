//! Generation events as Server-Sent Events: `event:` is the event name, `id:`
//! its number (for `Last-Event-ID`), `data:` its JSON; comments keep idle
//! connections open through proxies.

use crate::generation::GenEvent;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{BoxStream, Stream, StreamExt};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub fn events(stream: BoxStream<'static, Arc<GenEvent>>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let events = stream.map(|event| {
        Ok(Event::default()
            .event(event.kind.name())
            .id(event.id.to_string())
            .data(event.json.as_ref()))
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"))
}

/// True when the client asked for an event stream.
pub fn wants_stream(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"))
}

/// Where to resume: the `Last-Event-ID` header, else `?after=`.
pub fn resume_after(headers: &HeaderMap, after: Option<u64>) -> u64 {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .or(after)
        .unwrap_or(0)
}

pub fn accept_language(headers: &HeaderMap) -> Option<String> {
    headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
