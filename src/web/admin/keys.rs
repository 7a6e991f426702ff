//! /admin/keys: the signing keys (state, algorithm, kid, created / activates / retires, when
//! the next automatic rotation is due) and "rotate now" (a console change, so in sudo
//! mode), audited as key_rotated with the administrator's name.
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::de::IgnoredAny;

use super::clients::Who;
use super::{AdminForm, Nav, RequireAdmin, Section};
use crate::domain::{utc, KeyState};
use crate::keys::KeyStoreError;
use crate::state::AppState;
use crate::store::keys::{self, StoredKey};
use crate::web::csrf::CsrfToken;
use crate::web::error::{html, PageError};
use crate::web::flash::{self, Flash};
use crate::web::layout::Layout;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/keys", web::get().to(show))
        .route("/keys/rotate", web::post().to(rotate));
}

impl From<KeyStoreError> for PageError {
    fn from(e: KeyStoreError) -> Self {
        match e {
            KeyStoreError::Store(e) => e.into(),
            other => PageError::internal(other),
        }
    }
}

/// A key as the table shows it.
struct KeyRow {
    kid: String,
    alg: &'static str,
    state: &'static str,
    created: String,
    /// When it started signing, or will.
    activates: String,
    /// When it stopped signing, or is expected to (its successor's activation).
    retires: String,
    /// When it leaves the JWKS.
    dropped: String,
}

fn row(key: &StoredKey, interval: i64, publish_ahead: i64) -> KeyRow {
    let at = |t: i64| utc::format(t);
    let (activates, retires) = match key.state {
        KeyState::Next => (
            format!("{} (scheduled)", at(key.activate_after)),
            "-".to_string(),
        ),
        KeyState::Active => {
            let since = key.activated_at.unwrap_or(key.created_at);
            (
                at(since),
                format!("about {} (scheduled)", at(since + interval + publish_ahead)),
            )
        }
        KeyState::Retired => (
            key.activated_at.map_or_else(|| "-".into(), at),
            key.retired_at.map_or_else(|| "-".into(), at),
        ),
    };
    KeyRow {
        kid: key.kid.clone(),
        alg: key.alg.as_str(),
        state: key.state.as_str(),
        created: at(key.created_at),
        activates,
        retires,
        dropped: key.drop_after.map_or_else(|| "-".into(), at),
    }
}

/// When maintenance next creates keys on its own: the rotation interval after the active
/// keys' activation, unless a rotation is already under way (a next key is waiting).
pub fn next_rotation(stored: &[StoredKey], interval: i64) -> Option<i64> {
    if stored.iter().any(|k| k.state == KeyState::Next) {
        return None;
    }
    stored
        .iter()
        .filter(|k| k.state == KeyState::Active)
        .map(|k| k.activated_at.unwrap_or(k.created_at) + interval)
        .min()
}

#[derive(Template)]
#[template(path = "admin/keys.html")]
struct KeysPage<'a> {
    layout: Layout<'a>,
    nav: Nav<'a>,
    csrf_token: &'a str,
    rows: Vec<KeyRow>,
    /// When the next automatic rotation is due, or `None` while one is under way.
    next_rotation: Option<String>,
    interval_days: i64,
    publish_ahead: i64,
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: RequireAdmin,
) -> Result<HttpResponse, PageError> {
    let stored = {
        let state = state.clone();
        web::block(move || keys::all(&mut *state.conn()?)).await??
    };
    let settings = &state.settings.keys;
    let (interval, ahead) = (settings.rotation_interval, settings.publish_ahead);
    let csrf = CsrfToken::for_request(&req, state.cookies_secure());
    let page = KeysPage {
        layout: Layout::new(&req, &state),
        nav: Nav::new(Section::Keys, &admin),
        csrf_token: &csrf.value,
        rows: stored.iter().map(|k| row(k, interval, ahead)).collect(),
        next_rotation: next_rotation(&stored, interval).map(utc::format),
        interval_days: interval / 86_400,
        publish_ahead: ahead,
    };
    Ok(csrf.attach(html(StatusCode::OK, &page)?))
}

pub async fn rotate(
    req: HttpRequest,
    state: web::Data<AppState>,
    change: AdminForm<IgnoredAny>,
) -> Result<HttpResponse, PageError> {
    let (who, now) = (Who::of(&req, &change.admin), state.clock.now());
    let created = {
        let state = state.clone();
        // RSA key generation takes a while: on a blocking thread, like the database work.
        web::block(move || {
            let mut conn = state.conn()?;
            state.keys.rotate_by(&mut conn, who.actor(), now)
        })
        .await??
    };
    let flash = if created.is_empty() {
        Flash::RotationUnderWay
    } else {
        Flash::KeysRotated
    };
    Ok(flash::redirect_with(&state, "/admin/keys", flash))
}
