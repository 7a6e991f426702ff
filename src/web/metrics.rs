//! `/metrics` (Prometheus text format) on its own listener (`metrics.bind`), and the
//! middleware that times every request of the main listener by route pattern and status.
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpResponse};

use crate::metrics::{Exposition, LoginOutcome};
use crate::state::AppState;
use crate::store::keys::StoredKey;
use crate::store::mail_queue::{self, MailQueueStats};
use crate::store::{self, audit, StoreError};

/// The routes of the metrics listener: only `/metrics`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(scrape));
}

/// Times the request, labelled by its route pattern (`/admin/users/{id}`; "unmatched" for a
/// path no route has, so random paths cannot grow the series) and status. Only when the
/// metrics listener is on.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .filter(|s| s.settings.metrics.bind.is_some())
        .cloned();
    let Some(state) = state else {
        return next.call(req).await;
    };
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let method = method_label(req.method());
    let started = Instant::now();
    let result = next.call(req).await;
    let status = match &result {
        Ok(response) => response.status(),
        Err(e) => e.as_response_error().status_code(),
    };
    state
        .metrics
        .observe_request(method, &route, status.as_u16(), started.elapsed());
    result
}

/// Methods are a label too: the standard ones by name, anything else as "other".
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// The grant types a token request can count under; anything else is "other".
pub fn grant_label(grant_type: Option<&str>) -> &'static str {
    match grant_type {
        Some("authorization_code") => "authorization_code",
        Some("refresh_token") => "refresh_token",
        Some("client_credentials") => "client_credentials",
        _ => "other",
    }
}

/// Records how a login attempt ended (when metrics are on, the counts are served).
pub fn login(state: &AppState, outcome: LoginOutcome) {
    state.metrics.login(outcome);
}

pub async fn scrape(state: web::Data<AppState>) -> HttpResponse {
    let now = state.clock.now();
    let from_db = {
        let state = state.clone();
        web::block(
            move || -> Result<(MailQueueStats, Vec<StoredKey>), StoreError> {
                let mut conn = state.conn()?;
                Ok((
                    mail_queue::stats(&mut conn, now)?,
                    store::keys::all(&mut conn)?,
                ))
            },
        )
        .await
    };
    let mut out = Exposition::default();
    state.metrics.write(&mut out);
    out.header(
        "ferrid_refresh_token_reuse_total",
        "Reuses of a rotated refresh token detected (each revoked its token family).",
        "counter",
    );
    let reuses = audit::REFRESH_TOKEN_REUSES.load(std::sync::atomic::Ordering::Relaxed);
    out.sample("ferrid_refresh_token_reuse_total", &[], reuses as f64);
    write_pool(&state, &mut out);
    out.header(
        "ferrid_database_up",
        "Whether this scrape could read the database.",
        "gauge",
    );
    match from_db {
        Ok(Ok((mail, keys))) => {
            out.sample("ferrid_database_up", &[], 1.0);
            write_mail(&mail, &mut out);
            write_keys(&keys, now, &mut out);
        }
        Ok(Err(e)) => {
            log::warn!("metrics: cannot read the database: {e}");
            out.sample("ferrid_database_up", &[], 0.0);
        }
        Err(_) => out.sample("ferrid_database_up", &[], 0.0),
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(out.finish())
}

fn write_pool(state: &AppState, out: &mut Exposition) {
    let pool = state.pool.state();
    let in_use = pool.connections.saturating_sub(pool.idle_connections);
    out.header(
        "ferrid_db_pool_connections",
        "Database connections of this process's pool, by state.",
        "gauge",
    );
    out.sample(
        "ferrid_db_pool_connections",
        &[("state", "in_use")],
        f64::from(in_use),
    );
    out.sample(
        "ferrid_db_pool_connections",
        &[("state", "idle")],
        f64::from(pool.idle_connections),
    );
    out.header(
        "ferrid_db_pool_max_connections",
        "database.pool_size.",
        "gauge",
    );
    out.sample(
        "ferrid_db_pool_max_connections",
        &[],
        f64::from(state.settings.database.pool_size.get()),
    );
    out.header(
        "ferrid_db_pool_wait_seconds",
        "How long requests waited for a database connection.",
        "histogram",
    );
    store::db_pool_wait().write(out, "ferrid_db_pool_wait_seconds", &[]);
    out.header(
        "ferrid_db_pool_timeouts_total",
        "Requests that waited database.pool_timeout_ms for a connection in vain (answered 503).",
        "counter",
    );
    out.sample(
        "ferrid_db_pool_timeouts_total",
        &[],
        store::db_pool_timeouts() as f64,
    );
}

fn write_mail(mail: &MailQueueStats, out: &mut Exposition) {
    out.header(
        "ferrid_mail_queue_depth",
        "Mail waiting to be sent (all replicas).",
        "gauge",
    );
    out.sample("ferrid_mail_queue_depth", &[], mail.queued as f64);
    out.header(
        "ferrid_mail_queue_failing",
        "Queued mail whose last delivery attempt failed.",
        "gauge",
    );
    out.sample("ferrid_mail_queue_failing", &[], mail.failing as f64);
    out.header(
        "ferrid_mail_given_up",
        "Mail no longer retried (see the console's mail queue for why).",
        "gauge",
    );
    out.sample("ferrid_mail_given_up", &[], mail.given_up as f64);
}

fn write_keys(keys: &[StoredKey], now: i64, out: &mut Exposition) {
    out.header(
        "ferrid_signing_key_age_seconds",
        "Age of each stored signing key, by kid, algorithm and state.",
        "gauge",
    );
    for key in keys {
        out.sample(
            "ferrid_signing_key_age_seconds",
            &[
                ("kid", &key.kid),
                ("alg", key.alg.as_str()),
                ("state", key.state.as_str()),
            ],
            (now - key.created_at).max(0) as f64,
        );
    }
}
