//! /verify-email: the mailed link that proves an address. GET only shows what the link
//! does, with a button: mail scanners open links, and must neither spend one nor be logged
//! in by it. POST confirms: a new account is verified and logged in, and continues the
//! sign-in it was started from when this browser can; a new address replaces the old.
//! /verify-email/resend sends a new link, answering alike for any address.
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::layout::Layout;

use super::register::check_inbox;
use super::{notice, safe_return_to};
use crate::accounts::{self, AccountError, AddressLink, Confirmed, FormLimit};
use crate::domain::{SecretToken, TokenHash};
use crate::oauth::authorize;
use crate::state::AppState;
use crate::store::{DbConn, StoreError};
use crate::web::authorize::presented_binding;
use crate::web::csrf::{self, CsrfToken};
use crate::web::error::{html, PageError};
use crate::web::{client_ip, session};

#[derive(Template)]
#[template(path = "verify_email.html")]
struct ConfirmPage<'a> {
    layout: Layout<'a>,
    csrf_token: &'a str,
    title: &'a str,
    message: &'a str,
    button: &'a str,
    token: &'a str,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    csrf_token: String,
}

#[derive(Deserialize)]
pub struct ResendForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    return_to: String,
    #[serde(default)]
    csrf_token: String,
}

fn dead_link(req: &HttpRequest, state: &AppState) -> Result<HttpResponse, PageError> {
    notice(
        Layout::new(req, state),
        StatusCode::BAD_REQUEST,
        "This link no longer works",
        "Confirmation links work once, for a limited time. To get a new one, log in: the login page offers to send it again. For a change of address, ask for the change again on your account page.",
        ("/login", "Log in"),
    )
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, PageError> {
    let Some(token) = SecretToken::from_presented(&query.token) else {
        return dead_link(&req, &state);
    };
    let link = {
        let (state, token, now) = (state.clone(), token.clone(), state.clock.now());
        web::block(move || accounts::address_link(&mut *state.conn()?, &token, now)).await??
    };
    let (title, message, button) = match &link {
        None => return dead_link(&req, &state),
        Some(AddressLink::Registration) => (
            "Confirm your email address".to_string(),
            "One click and your account is ready.".to_string(),
            "Confirm and log in",
        ),
        Some(AddressLink::EmailChange { new_email }) => (
            "Confirm your new address".to_string(),
            format!("Your account's email address will become {new_email}."),
            "Confirm the new address",
        ),
    };
    let csrf = CsrfToken::for_request(&req, state.cookies_secure());
    let page = ConfirmPage {
        layout: Layout::new(&req, &state),
        csrf_token: &csrf.value,
        title: &title,
        message: &message,
        button,
        token: token.as_str(),
    };
    Ok(csrf.attach(html(StatusCode::OK, &page)?))
}

/// What POST /verify-email leads to.
enum Next {
    /// Logged in; go on at this local path.
    LoggedIn {
        session: SecretToken,
        to: String,
    },
    EmailChanged(String),
}

pub async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, PageError> {
    csrf::verify(&req, &form.csrf_token)?;
    let Some(token) = SecretToken::from_presented(&form.token) else {
        return dead_link(&req, &state);
    };
    let (ip, now) = (client_ip(&req), state.clock.now());
    let binding = presented_binding(&req).map(|b| b.hash());
    let result = {
        let state = state.clone();
        web::block(move || {
            let mut conn = state.conn()?;
            let accounts = state.accounts();
            match accounts::confirm_address(&mut conn, &accounts, &token, ip.as_deref(), now)? {
                Confirmed::Verified { session, return_to } => {
                    let to = continuation(&mut conn, return_to.as_deref(), binding.as_ref(), now)?;
                    let session = session.secret;
                    Ok(Next::LoggedIn { session, to })
                }
                Confirmed::EmailChanged { email } => {
                    Ok::<_, AccountError>(Next::EmailChanged(email.as_str().to_string()))
                }
            }
        })
        .await?
    };
    match result {
        Ok(Next::LoggedIn { session, to }) => session::logged_in_redirect(&state, &to, &session),
        Ok(Next::EmailChanged(email)) => notice(
            Layout::new(&req, &state),
            StatusCode::OK,
            "Your address was changed",
            &format!("Your account's email address is now {email}."),
            ("/account", "Your account"),
        ),
        Err(AccountError::LinkInvalid) => dead_link(&req, &state),
        Err(AccountError::EmailTaken) => notice(
            Layout::new(&req, &state),
            StatusCode::BAD_REQUEST,
            "This address is taken",
            "Another account uses this address (or one that looks the same) now, so your address was not changed.",
            ("/account", "Your account"),
        ),
        Err(e) => Err(e.into()),
    }
}

/// Where a newly verified user goes: the local path their registration carried, except a
/// pending sign-in this browser cannot continue (it is bound to the browser that started
/// it, and the link may have been opened elsewhere): then their account page.
fn continuation(
    conn: &mut DbConn,
    return_to: Option<&str>,
    binding: Option<&TokenHash>,
    now: i64,
) -> Result<String, StoreError> {
    const ACCOUNT: &str = "/account";
    let Some(path) = return_to.filter(|p| safe_return_to(p) == *p) else {
        return Ok(ACCOUNT.into());
    };
    let Some(request) = pending_request_in(path) else {
        return Ok(path.into());
    };
    Ok(
        if authorize::is_waiting_for(conn, &request, binding, now)? {
            path.into()
        } else {
            ACCOUNT.into()
        },
    )
}

/// The pending authorization request a path continues (`/authorize/continue?request=ID`,
/// where the login page sends a sign-in back), or `None` for any other path. An id that is
/// missing is the empty string, which no request has.
fn pending_request_in(path: &str) -> Option<String> {
    let query = path.strip_prefix("/authorize/continue?")?;
    let id = url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == "request")
        .map(|(_, id)| id.into_owned());
    Some(id.unwrap_or_default())
}

/// The same answer whether or not the address has an account waiting for verification.
pub async fn resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ResendForm>,
) -> Result<HttpResponse, PageError> {
    csrf::verify(&req, &form.csrf_token)?;
    let (ip, now) = (client_ip(&req), state.clock.now());
    let return_to = safe_return_to(&form.return_to);
    let return_to = (return_to == form.return_to).then(|| return_to.to_string());
    let result = {
        let (state, email) = (state.clone(), form.email.clone());
        web::block(move || {
            // It mails the address named: limited as the forgot-password form is.
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
            let (return_to, ip) = (return_to.as_deref(), ip.as_deref());
            accounts::resend_verification(&mut conn, &flows, &email, return_to, ip, now)
        })
        .await?
    };
    match result {
        Ok(()) => check_inbox(&req, &state, &form.email, &form.return_to),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::pending_request_in;

    /// Each case: where a verification link continues, and the pending request that is.
    #[test]
    fn a_continuation_names_its_pending_request() {
        for (path, request) in [
            ("/authorize/continue?request=abc", Some("abc")),
            ("/authorize/continue?x=1&request=a%2Bb", Some("a+b")),
            ("/authorize/continue?x=1", Some("")),
            ("/authorize/continue", None),
            ("/account/connections", None),
            ("/account?request=abc", None),
        ] {
            assert_eq!(pending_request_in(path).as_deref(), request, "{path}");
        }
    }
}
