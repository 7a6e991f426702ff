//! /account/password and /account/email: changing the password (the current one required;
//! other sessions end) and the address (confirmed by a link mailed to the new one).
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::layout::Layout;

use super::notice;
use crate::accounts::{self, FormLimit, PasswordChange};
use crate::state::AppState;
use crate::store::sessions::Session;
use crate::web::csrf::{self, CsrfToken};
use crate::web::error::{html, see_other, PageError};
use crate::web::session::{presented_secret, CurrentSession};
use crate::web::{client_ip, hashing};

#[derive(Template)]
#[template(path = "change_password.html")]
struct PasswordPage<'a> {
    layout: Layout<'a>,
    csrf_token: &'a str,
    error: Option<&'a str>,
    min_length: usize,
}

#[derive(Template)]
#[template(path = "change_email.html")]
struct EmailPage<'a> {
    layout: Layout<'a>,
    csrf_token: &'a str,
    error: Option<&'a str>,
    current: &'a str,
    email: &'a str,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm_password: String,
    #[serde(default)]
    csrf_token: String,
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    csrf_token: String,
}

/// Where an anonymous visitor goes: the login page, coming back to `path`.
fn login_first(path: &str) -> HttpResponse {
    see_other(&super::with_return_to("/login", path))
}

fn password_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    error: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let csrf = CsrfToken::for_request(req, state.cookies_secure());
    let page = PasswordPage {
        layout: Layout::new(req, state),
        csrf_token: &csrf.value,
        error,
        min_length: state.settings.password.policy().min_length(),
    };
    Ok(csrf.attach(html(status, &page)?))
}

fn email_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    session: &Session,
    error: Option<&str>,
    email: &str,
) -> Result<HttpResponse, PageError> {
    let csrf = CsrfToken::for_request(req, state.cookies_secure());
    let page = EmailPage {
        layout: Layout::new(req, state),
        csrf_token: &csrf.value,
        error,
        current: session.user.email.as_str(),
        email,
    };
    Ok(csrf.attach(html(status, &page)?))
}

pub async fn show_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: CurrentSession,
) -> Result<HttpResponse, PageError> {
    if session.0.is_none() {
        return Ok(login_first("/account/password"));
    }
    password_page(&req, &state, StatusCode::OK, None)
}

pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: CurrentSession,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    csrf::verify(&req, &form.csrf_token)?;
    let (Some(session), Some(secret)) = (session.0, presented_secret(&req)) else {
        return Ok(login_first("/account/password"));
    };
    let (ip, now) = (client_ip(&req), state.clock.now());
    let result = {
        let state = state.clone();
        let form = form.into_inner();
        let user_id = session.user.id.clone();
        hashing::block(&state.clone(), move || {
            let change = PasswordChange {
                current: &form.current_password,
                new: &form.password,
                confirmation: &form.confirm_password,
            };
            let accounts = state.accounts();
            let (keep, ip) = (secret.hash(), ip.as_deref());
            accounts::change_password(&state.pool, &accounts, &user_id, &keep, &change, ip, now)
        })
        .await?
    };
    match result {
        Ok(()) => notice(
            Layout::new(&req, &state),
            StatusCode::OK,
            "Your password was changed",
            "Your other devices have been logged out; this one stays logged in.",
            ("/account", "Your account"),
        ),
        Err(e) => match e.form_message() {
            Some(message) => password_page(&req, &state, StatusCode::BAD_REQUEST, Some(&message)),
            None => Err(e.into()),
        },
    }
}

pub async fn show_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: CurrentSession,
) -> Result<HttpResponse, PageError> {
    let Some(session) = session.0 else {
        return Ok(login_first("/account/email"));
    };
    email_page(&req, &state, StatusCode::OK, &session, None, "")
}

pub async fn change_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: CurrentSession,
    form: web::Form<EmailForm>,
) -> Result<HttpResponse, PageError> {
    csrf::verify(&req, &form.csrf_token)?;
    let Some(session) = session.0 else {
        return Ok(login_first("/account/email"));
    };
    let form = form.into_inner();
    let (ip, now) = (client_ip(&req), state.clock.now());
    let result = {
        let (state, user_id) = (state.clone(), session.user.id.clone());
        let (email, current) = (form.email.clone(), form.current_password.clone());
        hashing::block(&state.clone(), move || {
            let accounts = state.accounts();
            let ip = ip.as_deref();
            // It mails the new address: limited as the forgot-password form is.
            let limit = FormLimit::ForgotPassword;
            accounts::throttle_form(&state.pool, &accounts, limit, ip, &email, now)?;
            accounts::request_email_change(
                &state.pool,
                &accounts,
                &user_id,
                &email,
                &current,
                ip,
                now,
            )
        })
        .await?
    };
    match result {
        Ok(new_email) => notice(
            Layout::new(&req, &state),
            StatusCode::OK,
            "Check your new inbox",
            &format!(
                "We sent a link to {}. Your address changes when you open it; until then it stays {}.",
                new_email.as_str(),
                session.user.email.as_str()
            ),
            ("/account", "Your account"),
        ),
        Err(e) => match e.form_message() {
            Some(message) => {
                let status = StatusCode::BAD_REQUEST;
                email_page(&req, &state, status, &session, Some(&message), &form.email)
            }
            None => Err(e.into()),
        },
    }
}
