//! Slow and stalled clients. actix times out a request's headers (`client_request_timeout`)
//! but not its body: a client that sends headers and part of a body, then nothing, held its
//! connection (and a file descriptor) forever, and about a thousand of them stopped the
//! server. Here every body is read in full, under `server.request_timeout_ms`, before any
//! handler runs: a client that has not sent it by then gets 408 and its connection is closed.
//! Handlers then see a complete body and never wait on the network.
//!
//! A WebSocket upgrade (and CONNECT) makes actix treat everything after the headers as a body
//! that ends only when the connection does; Ferrid serves neither, so such requests are
//! answered 400 at once. So are connections beyond the per-IP cap (429).
use std::pin::Pin;
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage as _, HttpResponse};
use futures_core::Stream as _;

use crate::security::connections::ConnectionSlot;
use crate::state::AppState;

/// What to do with a request's body, from its head alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyPlan {
    /// No body: nothing to wait for.
    Empty,
    /// Read it whole, under the deadline, before the handler runs.
    Read,
    /// Content-Length over every limit: the handler's extractor refuses it (413) without
    /// reading, and the connection is closed after the answer, since the unread bytes cannot
    /// be told from the next request.
    Oversized,
    /// Answer 400 now without reading.
    Refuse,
}

/// Decides from the method and headers (RFC 9112 §6.3: chunked wins over Content-Length).
pub fn plan(method: &Method, headers: &header::HeaderMap, max_body: usize) -> BodyPlan {
    let websocket = headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("websocket"));
    if websocket || method == Method::CONNECT {
        return BodyPlan::Refuse;
    }
    let chunked = headers
        .get(header::TRANSFER_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        return BodyPlan::Read;
    }
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match length {
        None | Some(0) => BodyPlan::Empty,
        Some(n) if n > max_body as u64 => BodyPlan::Oversized,
        Some(_) => BodyPlan::Read,
    }
}

enum ReadError {
    TooLarge,
    Broken,
}

/// The whole body, up to `max` bytes.
async fn read_body(mut payload: Payload, max: usize) -> Result<web::Bytes, ReadError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = std::future::poll_fn(|cx| Pin::new(&mut payload).poll_next(cx)).await {
        let chunk = chunk.map_err(|_| ReadError::Broken)?;
        if body.len() + chunk.len() > max {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A plain answer that closes the connection.
fn close_with(status: StatusCode, message: &'static str) -> HttpResponse {
    HttpResponse::build(status)
        .force_close()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(message)
}

/// A connection beyond `server.max_connections_per_ip` (see security::connections) is
/// answered before its body is read, and closed.
fn over_cap() -> HttpResponse {
    let mut refusal = close_with(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many connections from your address.",
    );
    refusal
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    refusal
}

pub async fn read_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if req
        .conn_data::<ConnectionSlot>()
        .is_some_and(|slot| slot.over_cap())
    {
        return Ok(req.into_response(over_cap()).map_into_right_body());
    }
    let Some((max_body, deadline)) = req.app_data::<web::Data<AppState>>().map(|state| {
        let server = &state.settings.server;
        (
            server.form_limit.max(server.json_limit),
            Duration::from_millis(server.request_timeout_ms),
        )
    }) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let refusal = match plan(req.method(), req.headers(), max_body) {
        BodyPlan::Empty => return Ok(next.call(req).await?.map_into_left_body()),
        BodyPlan::Oversized => {
            let mut response = next.call(req).await?;
            response
                .response_mut()
                .head_mut()
                .set_connection_type(actix_web::http::ConnectionType::Close);
            return Ok(response.map_into_left_body());
        }
        BodyPlan::Refuse => close_with(
            StatusCode::BAD_REQUEST,
            "Upgrade and CONNECT requests are not served here.",
        ),
        BodyPlan::Read => {
            let read = read_body(req.take_payload(), max_body);
            match actix_web::rt::time::timeout(deadline, read).await {
                Ok(Ok(body)) => {
                    req.set_payload(Payload::from(body));
                    return Ok(next.call(req).await?.map_into_left_body());
                }
                Err(_) => close_with(
                    StatusCode::REQUEST_TIMEOUT,
                    "The request was not received in time.",
                ),
                Ok(Err(ReadError::TooLarge)) => close_with(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "The request body is too large.",
                ),
                Ok(Err(ReadError::Broken)) => close_with(
                    StatusCode::BAD_REQUEST,
                    "The request body could not be read.",
                ),
            }
        }
    };
    Ok(req.into_response(refusal).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    type Head = &'static [(&'static str, &'static str)];

    fn headers(pairs: Head) -> header::HeaderMap {
        let mut map = header::HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                header::HeaderName::from_static(name),
                header::HeaderValue::from_static(value),
            );
        }
        map
    }

    #[test]
    fn what_each_request_head_gets() {
        let post = Method::POST;
        let cases: &[(&Method, Head, BodyPlan)] = &[
            (&Method::GET, &[], BodyPlan::Empty),
            (&post, &[("content-length", "0")], BodyPlan::Empty),
            (&post, &[("content-length", "100")], BodyPlan::Read),
            (&post, &[("content-length", "1000")], BodyPlan::Read),
            (&post, &[("content-length", "1001")], BodyPlan::Oversized),
            // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length.
            (
                &post,
                &[("transfer-encoding", "chunked"), ("content-length", "5000")],
                BodyPlan::Read,
            ),
            // A WebSocket upgrade's "body" lasts as long as the connection: refused at once,
            // with or without Content-Length, whatever the case of the token.
            (&Method::GET, &[("upgrade", "websocket")], BodyPlan::Refuse),
            (
                &post,
                &[("upgrade", "WebSocket"), ("content-length", "10")],
                BodyPlan::Refuse,
            ),
            (&Method::CONNECT, &[], BodyPlan::Refuse),
            // Other upgrades (h2c) are ignored, as RFC 9110 §7.8 allows.
            (&Method::GET, &[("upgrade", "h2c")], BodyPlan::Empty),
        ];
        for (method, head, expected) in cases {
            assert_eq!(
                plan(method, &headers(head), 1000),
                *expected,
                "{method} {head:?}"
            );
        }
    }
}
