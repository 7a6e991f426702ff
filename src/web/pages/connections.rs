//! /account/connections: the applications the user let in, and removing their access.
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::oauth::connections::{self, Connection};
use crate::state::AppState;
use crate::store::StoreError;
use crate::web::client_ip;
use crate::web::csrf::{self, CsrfToken};
use crate::web::error::{html, see_other, PageError};
use crate::web::session::CurrentSession;

const LOGIN: &str = "/login?return_to=%2Faccount%2Fconnections";

#[derive(Template)]
#[template(path = "connections.html")]
struct ConnectionsPage<'a> {
    csrf_token: &'a str,
    connections: &'a [Connection],
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: CurrentSession,
) -> Result<HttpResponse, PageError> {
    let Some(session) = session.0 else {
        return Ok(see_other(LOGIN));
    };
    let list = {
        let state = state.clone();
        web::block(move || {
            let mut conn = state.pool.get().map_err(StoreError::from)?;
            connections::list(&mut conn, &session.user.id)
        })
        .await?
        .map_err(PageError::from)?
    };
    let csrf = CsrfToken::for_request(&req, state.cookies_secure());
    let page = ConnectionsPage {
        csrf_token: &csrf.value,
        connections: &list,
    };
    Ok(csrf.attach(html(StatusCode::OK, &page)?))
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    client_id: String,
}

pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: CurrentSession,
    form: web::Form<RevokeForm>,
) -> Result<HttpResponse, PageError> {
    csrf::verify(&req, &form.csrf_token)?;
    let Some(session) = session.0 else {
        return Ok(see_other(LOGIN));
    };
    let (ip, now) = (client_ip(&req), state.clock.now());
    let client_id = form.into_inner().client_id;
    web::block(move || {
        let mut conn = state.pool.get().map_err(StoreError::from)?;
        connections::withdraw(&mut conn, &session.user.id, &client_id, ip.as_deref(), now)
    })
    .await?
    .map_err(PageError::from)?;
    Ok(see_other("/account/connections"))
}
