//! The login session cookie and the `CurrentSession` extractor.
use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};

use super::error::PageError;
use crate::domain::SecretToken;
use crate::state::AppState;
use crate::store::sessions::Session;

pub const COOKIE: &str = "ferrid_session";

/// HttpOnly (no script can read it), SameSite=Lax (not sent on cross-site POSTs), Secure
/// when the issuer is https, and lasting as long as the server-side session.
pub fn cookie(state: &AppState, secret: &SecretToken) -> Cookie<'static> {
    Cookie::build(COOKIE, secret.as_str().to_string())
        .path("/")
        .http_only(true)
        .secure(state.cookies_secure())
        .same_site(SameSite::Lax)
        .max_age(Duration::seconds(state.settings.session.lifetime))
        .finish()
}

/// After a login (password, registration, setup): 303 to `location` with the new session's
/// cookie.
pub fn logged_in_redirect(
    state: &AppState,
    location: &str,
    secret: &SecretToken,
) -> Result<HttpResponse, PageError> {
    let mut response = super::error::see_other(location);
    response
        .add_cookie(&cookie(state, secret))
        .map_err(PageError::internal)?;
    Ok(response)
}

/// Adds the device cookie a password login handed out (see `crypto::device_cookie`): sent
/// back only to /login, HttpOnly, SameSite=Lax, Secure under https, and kept for
/// `rate_limit.device_cookie_lifetime`.
pub fn remember_device(
    state: &AppState,
    response: &mut HttpResponse,
    value: &str,
) -> Result<(), PageError> {
    let cookie = Cookie::build(crate::accounts::DEVICE_COOKIE, value.to_string())
        .path("/login")
        .http_only(true)
        .secure(state.cookies_secure())
        .same_site(SameSite::Lax)
        .max_age(Duration::seconds(
            state.settings.rate_limit.device_cookie_lifetime,
        ))
        .finish();
    response.add_cookie(&cookie).map_err(PageError::internal)
}

/// Tells the browser to drop the session cookie.
pub fn removal_cookie(state: &AppState) -> Cookie<'static> {
    let mut c = Cookie::build(COOKIE, "")
        .path("/")
        .http_only(true)
        .secure(state.cookies_secure())
        .same_site(SameSite::Lax)
        .finish();
    c.make_removal();
    c
}

/// The session secret the browser presented, if it could be one of ours.
pub fn presented_secret(req: &HttpRequest) -> Option<SecretToken> {
    req.cookie(COOKIE)
        .and_then(|c| SecretToken::from_presented(c.value()))
}

/// The live session of the request, or `None` (no cookie, unknown, expired, user disabled).
pub struct CurrentSession(pub Option<Session>);

impl FromRequest for CurrentSession {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let secret = presented_secret(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let from = seen_from(req);
        Box::pin(async move {
            let (Some(secret), Some(state)) = (secret, state) else {
                return Ok(CurrentSession(None));
            };
            let now = state.clock.now();
            let session = web::block(move || {
                crate::accounts::current_session_seen(&mut *state.conn()?, &secret, &from, now)
            })
            .await??;
            Ok(CurrentSession(session))
        })
    }
}

/// The client's address and browser, as the console's sessions list shows them.
pub fn seen_from(req: &HttpRequest) -> crate::accounts::SeenFrom {
    crate::accounts::SeenFrom {
        ip: super::client_ip(req),
        user_agent: req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    }
}
