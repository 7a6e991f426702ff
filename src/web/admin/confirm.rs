//! The confirmation step of destructive console actions (disable, delete, revoke): the
//! action's form first posts without `confirm`, and gets this page, whose button posts the
//! same fields again with `confirm=yes`. No script is needed, and a stray click changes
//! nothing.
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::{Nav, RequireAdmin, Section};
use crate::state::AppState;
use crate::web::csrf::CsrfToken;
use crate::web::error::{html, PageError};
use crate::web::layout::Layout;

/// What to ask, and what to post when the answer is yes.
pub struct Confirmation<'a> {
    pub title: &'a str,
    pub message: &'a str,
    /// Where the form posts (the action itself).
    pub action: &'a str,
    /// The danger button's words.
    pub button: &'a str,
    /// Where "Cancel" goes.
    pub back: &'a str,
    /// The action's other fields, posted again.
    pub fields: Vec<(&'a str, &'a str)>,
}

#[derive(Template)]
#[template(path = "admin/confirm.html")]
struct ConfirmPage<'a> {
    layout: Layout<'a>,
    nav: Nav<'a>,
    csrf_token: &'a str,
    c: &'a Confirmation<'a>,
}

pub fn render(
    req: &HttpRequest,
    state: &AppState,
    admin: &RequireAdmin,
    confirmation: Confirmation<'_>,
) -> Result<HttpResponse, PageError> {
    let csrf = CsrfToken::for_request(req, state.cookies_secure());
    let page = ConfirmPage {
        layout: Layout::new(req, state),
        nav: Nav::new(Section::None, admin),
        csrf_token: &csrf.value,
        c: &confirmation,
    };
    Ok(csrf.attach(html(StatusCode::OK, &page)?))
}
