//! /admin: the console's front page. Counts (users, applications, live sessions), logins
//! and failed logins in the last 24 hours (from the audit log), the signing keys' rotation
//! schedule and the mail queue's health.
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::format::{when, when_opt};
use super::{Nav, RequireAdmin, Section};
use crate::domain::KeyState;
use crate::state::AppState;
use crate::store::audit::EventKind;
use crate::store::console::{self, Counts};
use crate::store::mail_queue::{self, MailQueueStats};
use crate::store::StoreError;
use crate::web::error::{html, PageError};
use crate::web::layout::Layout;

const DAY: i64 = 86_400;

/// A signing key that signs now, and when it is due to be replaced.
struct KeyRow {
    kid: String,
    alg: &'static str,
    active_since: String,
    next_rotation: String,
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage<'a> {
    layout: Layout<'a>,
    nav: Nav<'a>,
    counts: Counts,
    logins: i64,
    failed_logins: i64,
    keys: Vec<KeyRow>,
    next_keys: usize,
    mail: MailQueueStats,
    oldest_mail: String,
}

struct Figures {
    counts: Counts,
    logins: i64,
    failed_logins: i64,
    keys: Vec<crate::store::keys::StoredKey>,
    mail: MailQueueStats,
}

fn figures(state: &AppState, now: i64) -> Result<Figures, StoreError> {
    let mut conn = state.conn()?;
    let since = now - DAY;
    Ok(Figures {
        counts: console::counts(&mut conn, now)?,
        logins: console::events_since(&mut conn, EventKind::LoginSucceeded.as_str(), since)?,
        failed_logins: console::events_since(&mut conn, EventKind::LoginFailed.as_str(), since)?,
        keys: crate::store::keys::all(&mut conn)?,
        mail: mail_queue::stats(&mut conn, now)?,
    })
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: RequireAdmin,
) -> Result<HttpResponse, PageError> {
    let now = state.clock.now();
    let f = {
        let state = state.clone();
        web::block(move || figures(&state, now)).await??
    };
    let interval = state.settings.keys.rotation_interval;
    let keys = f
        .keys
        .iter()
        .filter(|k| k.state == KeyState::Active)
        .map(|k| {
            let since = k.activated_at.unwrap_or(k.created_at);
            KeyRow {
                kid: k.kid.clone(),
                alg: k.alg.as_str(),
                active_since: when(since),
                next_rotation: when(since + interval),
            }
        })
        .collect();
    let page = DashboardPage {
        layout: Layout::new(&req, &state),
        nav: Nav::new(Section::Dashboard, &admin),
        counts: f.counts,
        logins: f.logins,
        failed_logins: f.failed_logins,
        keys,
        next_keys: f.keys.iter().filter(|k| k.state == KeyState::Next).count(),
        oldest_mail: when_opt(f.mail.oldest_queued_at),
        mail: f.mail,
    };
    html(StatusCode::OK, &page)
}
