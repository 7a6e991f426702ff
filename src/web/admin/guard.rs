//! Who may open the console: the `CurrentUser` and `RequireAdmin` extractors, and
//! `AdminForm<T>`, the body of every console change (administrator, CSRF, sudo mode).
//!
//! - Anonymous: 303 to /login, which returns to the page (a GET; after a POST, to /admin,
//!   since the login cannot replay a form).
//! - Logged in but not an administrator: the 403 page, audited as `permission_denied`.
//! - A change (POST): the form's `csrf_token` must match its cookie (403, nothing read or
//!   written otherwise); then, when the session's last login is older than
//!   `admin.sudo_window`, the password is asked again first (see `super::sudo`).
use std::future::Future;
use std::pin::Pin;

use actix_web::error::InternalError;
use actix_web::{http::Method, web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::accounts::admin;
use crate::domain::TokenHash;
use crate::state::AppState;
use crate::store::sessions::Session;
use crate::web::csrf;
use crate::web::error::{see_other, PageError};
use crate::web::session::{presented_secret, seen_from};
use crate::web::{client_ip, pages::with_return_to};

type Boxed<T> = Pin<Box<dyn Future<Output = Result<T, actix_web::Error>>>>;

/// The logged-in user of a request, with their session. Anonymous requests are sent to the
/// login page, which brings them back.
pub struct CurrentUser {
    pub session: Session,
    /// The session's id as stored: what sudo mode renews.
    pub session_hash: TokenHash,
}

impl CurrentUser {
    pub fn user_id(&self) -> &str {
        &self.session.user.id
    }
}

/// The login page, returning to this request's page (a GET), or to the console's front page.
fn login_required(req: &HttpRequest) -> actix_web::Error {
    let back = match *req.method() {
        Method::GET | Method::HEAD => req
            .uri()
            .path_and_query()
            .map_or("/admin", |p| p.as_str())
            .to_string(),
        _ => "/admin".to_string(),
    };
    InternalError::from_response(
        "login required",
        see_other(&with_return_to("/login", &back)),
    )
    .into()
}

impl FromRequest for CurrentUser {
    type Error = actix_web::Error;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| PageError::Internal("no application state".into()))?;
            let Some(secret) = presented_secret(&req) else {
                return Err(login_required(&req));
            };
            let (hash, now, from) = (secret.hash(), state.clock.now(), seen_from(&req));
            let session = web::block(move || {
                crate::accounts::current_session_seen(&mut *state.conn()?, &secret, &from, now)
            })
            .await
            .map_err(PageError::from)?
            .map_err(PageError::from)?;
            match session {
                Some(session) => Ok(CurrentUser {
                    session,
                    session_hash: hash,
                }),
                None => Err(login_required(&req)),
            }
        })
    }
}

/// A logged-in administrator. Anyone else logged in gets 403, recorded as
/// `permission_denied`.
pub struct RequireAdmin(pub CurrentUser);

impl std::ops::Deref for RequireAdmin {
    type Target = CurrentUser;
    fn deref(&self) -> &CurrentUser {
        &self.0
    }
}

impl FromRequest for RequireAdmin {
    type Error = actix_web::Error;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let current = CurrentUser::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let current = current.await?;
            if current.session.user.role == crate::domain::Role::Admin {
                return Ok(RequireAdmin(current));
            }
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| PageError::Internal("no application state".into()))?;
            let (ip, now) = (client_ip(&req), state.clock.now());
            let path = req.path().to_string();
            let user_id = current.user_id().to_string();
            web::block(move || {
                let mut conn = state.conn()?;
                admin::record_permission_denied(&mut conn, &user_id, &path, ip.as_deref(), now)
            })
            .await
            .map_err(PageError::from)?
            .map_err(PageError::from)?;
            Err(PageError::Forbidden("This page is for administrators.").into())
        })
    }
}

/// The fields of a console form, as posted: kept in order, so the sudo page can post them
/// again unchanged.
pub type Fields = Vec<(String, String)>;

/// The field the sudo page adds; never passed on to the form itself.
pub const SUDO_PASSWORD: &str = "sudo_password";

/// A console change: the administrator, and their form (`T`, read from the posted fields),
/// once the CSRF token matched and sudo mode allowed it.
pub struct AdminForm<T> {
    pub admin: RequireAdmin,
    pub form: T,
}

impl<T: DeserializeOwned + 'static> FromRequest for AdminForm<T> {
    type Error = actix_web::Error;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let admin = RequireAdmin::from_request(req, payload);
        let fields = web::Form::<Fields>::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            // Who first: an anonymous POST goes to the login page, a non-admin's is refused.
            let admin = admin.await?;
            let fields = fields.await?.into_inner();
            let token = fields
                .iter()
                .find(|(k, _)| k == "csrf_token")
                .map_or("", |(_, v)| v.as_str());
            csrf::verify(&req, token)?;
            let form = parse_fields::<T>(&fields)?;
            super::sudo::ensure(&req, &admin, &fields).await?;
            Ok(AdminForm { admin, form })
        })
    }
}

/// The typed form, from the fields without the sudo page's own.
fn parse_fields<T: DeserializeOwned>(fields: &[(String, String)]) -> Result<T, PageError> {
    let kept: Vec<&(String, String)> = fields.iter().filter(|(k, _)| k != SUDO_PASSWORD).collect();
    let encoded = serde_urlencoded::to_string(&kept)
        .map_err(|_| PageError::BadRequest("The form could not be read.".into()))?;
    serde_urlencoded::from_str(&encoded)
        .map_err(|_| PageError::BadRequest("The form could not be read.".into()))
}
