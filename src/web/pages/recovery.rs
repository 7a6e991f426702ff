//! /forgot-password (ask for a reset link) and /reset-password (choose a new password with
//! it). The first answers one page whatever the address; the second shows a dead link as a
//! page with a way to ask again.
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::layout::Layout;

use super::{lifetime_in_words, notice};
use crate::accounts::{self, AccountError, FormLimit, NewPassword};
use crate::domain::SecretToken;
use crate::state::AppState;
use crate::web::csrf::{self, CsrfToken};
use crate::web::error::{html, PageError};
use crate::web::{client_ip, hashing};

#[derive(Template)]
#[template(path = "forgot_password.html")]
struct ForgotPage<'a> {
    layout: Layout<'a>,
    csrf_token: &'a str,
    error: Option<&'a str>,
    email: &'a str,
}

#[derive(Template)]
#[template(path = "forgot_password_sent.html")]
struct SentPage<'a> {
    layout: Layout<'a>,
    email: &'a str,
    lifetime: String,
}

#[derive(Template)]
#[template(path = "reset_password.html")]
struct ResetPage<'a> {
    layout: Layout<'a>,
    csrf_token: &'a str,
    error: Option<&'a str>,
    token: &'a str,
    min_length: usize,
}

#[derive(Deserialize)]
pub struct ForgotQuery {
    #[serde(default)]
    email: String,
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    csrf_token: String,
}

#[derive(Deserialize)]
pub struct ResetQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm_password: String,
    #[serde(default)]
    csrf_token: String,
}

fn forgot_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    error: Option<&str>,
    email: &str,
) -> Result<HttpResponse, PageError> {
    let csrf = CsrfToken::for_request(req, state.cookies_secure());
    let page = ForgotPage {
        layout: Layout::new(req, state),
        csrf_token: &csrf.value,
        error,
        email,
    };
    Ok(csrf.attach(html(status, &page)?))
}

pub async fn forgot(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ForgotQuery>,
) -> Result<HttpResponse, PageError> {
    let email: String = query.email.chars().take(254).collect();
    forgot_page(&req, &state, StatusCode::OK, None, &email)
}

/// The same page whether or not the address has an account (and the same work behind it,
/// see `accounts::request_password_reset`). Only a malformed address gets the form again.
pub async fn request_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, PageError> {
    csrf::verify(&req, &form.csrf_token)?;
    let (ip, now) = (client_ip(&req), state.clock.now());
    let result = {
        let (state, email) = (state.clone(), form.email.clone());
        web::block(move || {
            // Per address and per IP before any work: the page mails whoever is named.
            let limit = FormLimit::ForgotPassword;
            accounts::throttle_form(
                &state.pool,
                &state.accounts(),
                limit,
                ip.as_deref(),
                &email,
                now,
            )?;
            let mut conn = state.conn()?;
            let flows = state.flows();
            accounts::request_password_reset(&mut conn, &flows, &email, ip.as_deref(), now)
        })
        .await?
    };
    match result {
        Ok(()) => {
            let page = SentPage {
                layout: Layout::new(&req, &state),
                email: form.email.trim(),
                lifetime: lifetime_in_words(state.settings.accounts.reset_token_lifetime),
            };
            html(StatusCode::OK, &page)
        }
        Err(AccountError::Invalid(e)) => forgot_page(
            &req,
            &state,
            StatusCode::BAD_REQUEST,
            Some(e.0),
            &form.email,
        ),
        Err(e) => Err(e.into()),
    }
}

/// A forged, spent or expired link, or one whose account is gone.
fn dead_link(req: &HttpRequest, state: &AppState) -> Result<HttpResponse, PageError> {
    notice(
        Layout::new(req, state),
        StatusCode::BAD_REQUEST,
        "This link no longer works",
        "Password reset links work once, for a limited time. Ask for a new one, and use the newest message you get.",
        ("/forgot-password", "Ask for a new link"),
    )
}

fn reset_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    error: Option<&str>,
    token: &str,
) -> Result<HttpResponse, PageError> {
    let csrf = CsrfToken::for_request(req, state.cookies_secure());
    let page = ResetPage {
        layout: Layout::new(req, state),
        csrf_token: &csrf.value,
        error,
        token,
        min_length: state.settings.password.policy().min_length(),
    };
    Ok(csrf.attach(html(status, &page)?))
}

pub async fn reset_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ResetQuery>,
) -> Result<HttpResponse, PageError> {
    let Some(token) = SecretToken::from_presented(&query.token) else {
        return dead_link(&req, &state);
    };
    let live = {
        let (state, token, now) = (state.clone(), token.clone(), state.clock.now());
        web::block(move || accounts::reset_link_is_live(&mut *state.conn()?, &token, now)).await??
    };
    if !live {
        return dead_link(&req, &state);
    }
    reset_page(&req, &state, StatusCode::OK, None, token.as_str())
}

pub async fn reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, PageError> {
    csrf::verify(&req, &form.csrf_token)?;
    let form = form.into_inner();
    let Some(token) = SecretToken::from_presented(&form.token) else {
        return dead_link(&req, &state);
    };
    let (ip, now) = (client_ip(&req), state.clock.now());
    let result = {
        let state = state.clone();
        let (password, confirmation) = (form.password.clone(), form.confirm_password.clone());
        hashing::block(&state.clone(), move || {
            let new = NewPassword {
                password: &password,
                confirmation: &confirmation,
            };
            let accounts = state.accounts();
            accounts::reset_password(&state.pool, &accounts, &token, &new, ip.as_deref(), now)
        })
        .await?
    };
    match result {
        Ok(()) => notice(
            Layout::new(&req, &state),
            StatusCode::OK,
            "Your password was changed",
            "Every device that was logged in to your account has been logged out. Log in with your new password.",
            ("/login", "Log in"),
        ),
        Err(AccountError::LinkInvalid) => dead_link(&req, &state),
        Err(e) => match e.form_message() {
            Some(message) => {
                reset_page(&req, &state, StatusCode::BAD_REQUEST, Some(&message), &form.token)
            }
            None => Err(e.into()),
        },
    }
}
