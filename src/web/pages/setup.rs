//! The first-run page: a one-time link printed by `ferrid serve` on a database with no
//! admin. It creates the first admin and then stops working.
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::accounts::{self, AccountError, Registration};
use crate::domain::SecretToken;
use crate::state::AppState;
use crate::web::csrf::{self, CsrfToken};
use crate::web::error::{html, PageError};
use crate::web::layout::Layout;
use crate::web::{client_ip, hashing, session};

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage<'a> {
    layout: Layout<'a>,
    csrf_token: &'a str,
    error: Option<&'a str>,
    token: &'a str,
    email: &'a str,
    name: &'a str,
    min_length: usize,
}

#[derive(Deserialize)]
pub struct SetupQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    csrf_token: String,
}

const LINK_GONE: &str = "This setup link is no longer valid. An administrator may already exist. If not, restart the server to get a new link, or create an administrator from the command line with: ferrid user add --admin";

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<SetupQuery>,
) -> Result<HttpResponse, PageError> {
    let token = SecretToken::from_presented(&query.token).ok_or(PageError::NotFound)?;
    let usable = {
        let (state, token, now) = (state.clone(), token.clone(), state.clock.now());
        web::block(move || {
            let mut conn = state.conn()?;
            accounts::setup_link_is_usable(&mut conn, &token, now)
        })
        .await??
    };
    if !usable {
        return Err(PageError::BadRequest(LINK_GONE.into()));
    }
    let csrf = CsrfToken::for_request(&req, state.cookies_secure());
    let page = SetupPage {
        layout: Layout::new(&req, &state),
        csrf_token: &csrf.value,
        error: None,
        token: token.as_str(),
        email: "",
        name: "",
        min_length: state.settings.password.policy().min_length(),
    };
    Ok(csrf.attach(html(StatusCode::OK, &page)?))
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<SetupForm>,
) -> Result<HttpResponse, PageError> {
    csrf::verify(&req, &form.csrf_token)?;
    let form = form.into_inner();
    let token = SecretToken::from_presented(&form.token)
        .ok_or_else(|| PageError::BadRequest(LINK_GONE.into()))?;
    let (ip, now) = (client_ip(&req), state.clock.now());
    let result = {
        let state = state.clone();
        let (email, password, name) =
            (form.email.clone(), form.password.clone(), form.name.clone());
        hashing::block(&state.clone(), move || {
            let registration = Registration {
                email: &email,
                password: &password,
                name: &name,
            };
            let accounts = state.accounts();
            let ip = ip.as_deref();
            accounts::create_first_admin(&state.pool, &accounts, &token, &registration, ip, now)
        })
        .await?
    };
    match result {
        Ok(new_session) => session::logged_in_redirect(&state, "/account", &new_session.secret),
        Err(AccountError::SetupLinkInvalid) => Err(PageError::BadRequest(LINK_GONE.into())),
        Err(e) => match e.form_message() {
            Some(message) => {
                let csrf = CsrfToken::for_request(&req, state.cookies_secure());
                let page = SetupPage {
                    layout: Layout::new(&req, &state),
                    csrf_token: &csrf.value,
                    error: Some(&message),
                    token: &form.token,
                    email: &form.email,
                    name: &form.name,
                    min_length: state.settings.password.policy().min_length(),
                };
                Ok(csrf.attach(html(StatusCode::BAD_REQUEST, &page)?))
            }
            None => Err(e.into()),
        },
    }
}
