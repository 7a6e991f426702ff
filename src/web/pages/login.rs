use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{safe_return_to, with_return_to};
use crate::accounts::{self, AccountError};
use crate::state::AppState;
use crate::web::csrf::{self, CsrfToken};
use crate::web::error::{html, PageError};
use crate::web::{client_ip, session};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    csrf_token: &'a str,
    error: Option<&'a str>,
    email: &'a str,
    return_to: &'a str,
    /// The password was right but the address is unverified: offer the link again.
    unverified: bool,
    registration_open: bool,
    register_href: &'a str,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    return_to: String,
    /// OpenID Connect Core §3.1.2.1 `login_hint`, passed on by /authorize to prefill the form.
    #[serde(default)]
    login_hint: String,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    return_to: String,
}

fn render(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    error: Option<&str>,
    email: &str,
    return_to: &str,
) -> Result<HttpResponse, PageError> {
    let csrf = CsrfToken::for_request(req, state.cookies_secure());
    let return_to = safe_return_to(return_to);
    let page = LoginPage {
        csrf_token: &csrf.value,
        error,
        email,
        return_to,
        // The login page answers 403 only to a right password for an unverified address.
        unverified: status == StatusCode::FORBIDDEN,
        registration_open: state.flows().registration_open,
        register_href: &with_return_to("/register", return_to),
    };
    Ok(csrf.attach(html(status, &page)?))
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, PageError> {
    let hint = query.login_hint.chars().take(254).collect::<String>();
    render(&req, &state, StatusCode::OK, None, &hint, &query.return_to)
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    csrf::verify(&req, &form.csrf_token)?;
    let form = form.into_inner();
    let (ip, now) = (client_ip(&req), state.clock.now());
    let result = {
        let state = state.clone();
        let (email, password) = (form.email.clone(), form.password);
        web::block(move || {
            let accounts = state.accounts();
            accounts::login(
                &state.pool,
                &accounts,
                &email,
                &password,
                ip.as_deref(),
                now,
            )
        })
        .await?
    };
    match result {
        Ok(new_session) => session::logged_in_redirect(
            &state,
            safe_return_to(&form.return_to),
            &new_session.secret,
        ),
        Err(e) => match e.form_message() {
            Some(message) => render(
                &req,
                &state,
                if matches!(e, AccountError::EmailNotVerified) {
                    StatusCode::FORBIDDEN
                } else {
                    StatusCode::BAD_REQUEST
                },
                Some(&message),
                &form.email,
                &form.return_to,
            ),
            None => Err(e.into()),
        },
    }
}
