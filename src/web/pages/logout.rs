//! /logout: the end-session endpoint (OpenID Connect RP-Initiated Logout 1.0), GET or POST,
//! and the target of the account page's logout button.
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::accounts;
use crate::oauth::logout::{self, Decision, LogoutParams};
use crate::state::AppState;
use crate::web::client_ip;
use crate::web::csrf::{self, CsrfToken};
use crate::web::error::{html, see_other, PageError};
use crate::web::flash::{self, Flash};
use crate::web::layout::Layout;
use crate::web::protocol;
use crate::web::session::{self, CurrentSession};

#[derive(Template)]
#[template(path = "logout_confirm.html")]
struct ConfirmPage<'a> {
    layout: Layout<'a>,
    csrf_token: &'a str,
    client_name: Option<String>,
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

#[derive(Template)]
#[template(path = "logged_out.html")]
struct LoggedOutPage<'a> {
    layout: Layout<'a>,
}

pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentSession,
    params: web::Query<LogoutParams>,
) -> Result<HttpResponse, PageError> {
    run(req, state, current, params.into_inner(), false).await
}

/// A POST carrying our CSRF token is a confirmed logout (the confirmation page or the
/// account page). One without it but with a relying party's parameters is an RP's logout
/// request (RP-Initiated Logout 1.0 §2 allows POST), handled like a GET: confirmation unless
/// a valid id_token_hint names the session's user. A bare POST without the token is refused.
pub async fn post(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentSession,
    form: web::Form<LogoutParams>,
) -> Result<HttpResponse, PageError> {
    let params = form.into_inner();
    let confirmed = match params.csrf_token.as_deref() {
        Some(token) if !token.is_empty() => {
            csrf::verify(&req, token)?;
            true
        }
        _ if params.from_relying_party() => false,
        _ => csrf::verify(&req, "").map(|_| false)?,
    };
    run(req, state, current, params, confirmed).await
}

async fn run(
    req: HttpRequest,
    state: web::Data<AppState>,
    current: CurrentSession,
    params: LogoutParams,
    confirmed: bool,
) -> Result<HttpResponse, PageError> {
    let user = current.0.map(|s| s.user.id);
    let now = state.clock.now();
    let is_account_logout =
        confirmed && params.post_logout_redirect_uri.is_none() && params.client_id.is_none();
    let decision = protocol::call(&state, move |provider, conn| {
        logout::handle(provider, conn, &params, user.as_deref(), confirmed, now)
    })
    .await?
    .map_err(PageError::from)?;
    match decision {
        Decision::Invalid(message) => Err(PageError::BadRequest(message.into())),
        Decision::Confirm {
            client_name,
            client_id,
            post_logout_redirect_uri,
            state: client_state,
        } => {
            let csrf = CsrfToken::for_request(&req, state.cookies_secure());
            let page = ConfirmPage {
                layout: Layout::new(&req, &state),
                csrf_token: &csrf.value,
                client_name,
                client_id,
                post_logout_redirect_uri,
                state: client_state,
            };
            Ok(csrf.attach(html(StatusCode::OK, &page)?))
        }
        Decision::LogOut { redirect } => {
            if let Some(secret) = session::presented_secret(&req) {
                let (state, ip) = (state.clone(), client_ip(&req));
                web::block(move || {
                    accounts::logout(&mut *state.conn()?, &secret, ip.as_deref(), now)
                })
                .await??;
            }
            let mut response = match redirect {
                Some(location) => see_other(&location),
                // The account page's button goes back to the login page, which says so.
                None if is_account_logout => {
                    flash::redirect_with(&state, "/login", Flash::LoggedOut)
                }
                None => html(
                    StatusCode::OK,
                    &LoggedOutPage {
                        layout: Layout::new(&req, &state),
                    },
                )?,
            };
            response
                .add_cookie(&session::removal_cookie(&state))
                .map_err(PageError::internal)?;
            Ok(response)
        }
    }
}
