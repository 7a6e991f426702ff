use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::state::AppState;
use crate::web::csrf::CsrfToken;
use crate::web::error::{html, see_other, PageError};
use crate::web::session::CurrentSession;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    csrf_token: &'a str,
    name: &'a str,
    email: &'a str,
    email_verified: bool,
    role: &'a str,
}

pub async fn home() -> HttpResponse {
    see_other("/account")
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: CurrentSession,
) -> Result<HttpResponse, PageError> {
    let Some(session) = session.0 else {
        return Ok(see_other("/login?return_to=%2Faccount"));
    };
    let csrf = CsrfToken::for_request(&req, state.cookies_secure());
    let user = &session.user;
    let page = AccountPage {
        csrf_token: &csrf.value,
        name: &user.name,
        email: user.email.as_str(),
        email_verified: user.email_verified,
        role: user.role.as_str(),
    };
    Ok(csrf.attach(html(StatusCode::OK, &page)?))
}
