//! /register: the form, and the one answer to it ("check your inbox") when verification is
//! required; otherwise the new account is logged in at once. Closed registration is a page
//! that says so.
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{lifetime_in_words, notice, safe_return_to, with_return_to};
use crate::accounts::{self, AccountError, Registered, Registration};
use crate::state::AppState;
use crate::web::csrf::{self, CsrfToken};
use crate::web::error::{html, PageError};
use crate::web::layout::Layout;
use crate::web::{client_ip, hashing, session};

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage<'a> {
    layout: Layout<'a>,
    csrf_token: &'a str,
    error: Option<&'a str>,
    email: &'a str,
    name: &'a str,
    return_to: &'a str,
    min_length: usize,
    login_href: &'a str,
}

/// What every registration with a valid form is answered, whatever the address; the
/// resend form on it answers the same again.
#[derive(Template)]
#[template(path = "check_inbox.html")]
pub(super) struct CheckInbox<'a> {
    pub layout: Layout<'a>,
    pub csrf_token: &'a str,
    pub email: &'a str,
    pub return_to: &'a str,
    pub lifetime: String,
    pub register_href: &'a str,
}

#[derive(Deserialize)]
pub struct RegisterQuery {
    #[serde(default)]
    return_to: String,
}

#[derive(Clone, Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    return_to: String,
    #[serde(default)]
    csrf_token: String,
}

impl RegisterForm {
    fn registration(&self) -> Registration<'_> {
        Registration {
            email: &self.email,
            password: &self.password,
            name: &self.name,
        }
    }
}

fn render(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    error: Option<&str>,
    form: &RegisterForm,
) -> Result<HttpResponse, PageError> {
    let csrf = CsrfToken::for_request(req, state.cookies_secure());
    let return_to = return_to_of(&form.return_to);
    let page = RegisterPage {
        layout: Layout::new(req, state),
        csrf_token: &csrf.value,
        error,
        email: &form.email,
        name: &form.name,
        return_to,
        min_length: state.settings.password.policy().min_length(),
        login_href: &with_return_to("/login", return_to),
    };
    Ok(csrf.attach(html(status, &page)?))
}

/// A local path to continue at after verification, or nothing.
fn return_to_of(raw: &str) -> &str {
    if !raw.is_empty() && safe_return_to(raw) == raw {
        raw
    } else {
        ""
    }
}

/// The "check your inbox" page for `email`.
pub(super) fn check_inbox(
    req: &HttpRequest,
    state: &AppState,
    email: &str,
    return_to: &str,
) -> Result<HttpResponse, PageError> {
    let csrf = CsrfToken::for_request(req, state.cookies_secure());
    let return_to = return_to_of(return_to);
    let page = CheckInbox {
        layout: Layout::new(req, state),
        csrf_token: &csrf.value,
        email: email.trim(),
        return_to,
        lifetime: lifetime_in_words(state.settings.accounts.verification_token_lifetime),
        register_href: &with_return_to("/register", return_to),
    };
    Ok(csrf.attach(html(StatusCode::OK, &page)?))
}

fn closed(req: &HttpRequest, state: &AppState) -> Result<HttpResponse, PageError> {
    notice(
        Layout::new(req, state),
        StatusCode::FORBIDDEN,
        "Registration is closed",
        "New accounts are made by an administrator here. Ask yours for one.",
        ("/login", "Log in"),
    )
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<RegisterQuery>,
) -> Result<HttpResponse, PageError> {
    if !state.flows().registration_open {
        return closed(&req, &state);
    }
    let form = RegisterForm {
        email: String::new(),
        password: String::new(),
        name: String::new(),
        return_to: query.into_inner().return_to,
        csrf_token: String::new(),
    };
    render(&req, &state, StatusCode::OK, None, &form)
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<RegisterForm>,
) -> Result<HttpResponse, PageError> {
    csrf::verify(&req, &form.csrf_token)?;
    let form = form.into_inner();
    let (ip, now) = (client_ip(&req), state.clock.now());
    // Throttling first (per IP and per address): a refused registration costs no hash.
    let throttled = {
        let (state, ip, form) = (state.clone(), ip.clone(), form.clone());
        web::block(move || {
            let registration = form.registration();
            let accounts = state.accounts();
            accounts::throttle_registration(
                &state.pool,
                &accounts,
                &registration,
                ip.as_deref(),
                now,
            )
        })
        .await?
    };
    throttled?;
    let result = {
        let (state, form) = (state.clone(), form.clone());
        let return_to = return_to_of(&form.return_to).to_string();
        hashing::block(&state.clone(), move || {
            let accounts = state.accounts();
            let return_to = Some(return_to.as_str()).filter(|r| !r.is_empty());
            let (ip, registration) = (ip.as_deref(), form.registration());
            accounts::register(&state.pool, &accounts, &registration, return_to, ip, now)
        })
        .await?
    };
    match result {
        Ok(Registered::LoggedIn(new_session)) => {
            let to = safe_return_to(&form.return_to);
            session::logged_in_redirect(&state, to, &new_session.secret)
        }
        Ok(Registered::CheckInbox) => check_inbox(&req, &state, &form.email, &form.return_to),
        Err(AccountError::RegistrationClosed) => closed(&req, &state),
        Err(e) => match e.form_message() {
            Some(message) => render(&req, &state, StatusCode::BAD_REQUEST, Some(&message), &form),
            None => Err(e.into()),
        },
    }
}
