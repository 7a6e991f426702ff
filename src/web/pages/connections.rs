//! /account/connections: the applications the user let in, and removing their access.
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::accounts::{self, Connection};
use crate::oauth::authorize::describe_scope;
use crate::state::AppState;
use crate::web::client_ip;
use crate::web::csrf::{self, CsrfToken};
use crate::web::error::{html, see_other, PageError};
use crate::web::flash::{self, Flash};
use crate::web::layout::Layout;
use crate::web::session::CurrentSession;

const LOGIN: &str = "/login?return_to=%2Faccount%2Fconnections";

#[derive(Template)]
#[template(path = "connections.html")]
struct ConnectionsPage<'a> {
    layout: Layout<'a>,
    csrf_token: &'a str,
    connections: &'a [ConnectionView],
}

/// One application as the page lists it: each scope with the words the consent page used.
struct ConnectionView {
    client_id: String,
    client_name: String,
    scopes: Vec<(String, &'static str)>,
}

impl From<Connection> for ConnectionView {
    fn from(c: Connection) -> Self {
        ConnectionView {
            client_id: c.client_id.to_string(),
            scopes: c
                .scope
                .iter()
                .map(|s| (s.to_string(), describe_scope(s)))
                .collect(),
            client_name: c.client_name,
        }
    }
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
        web::block(move || accounts::list_connections(&mut *state.conn()?, &session.user.id))
            .await??
    };
    let list: Vec<ConnectionView> = list.into_iter().map(ConnectionView::from).collect();
    let csrf = CsrfToken::for_request(&req, state.cookies_secure());
    let page = ConnectionsPage {
        layout: Layout::new(&req, &state),
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
    {
        let state = state.clone();
        web::block(move || {
            let mut conn = state.conn()?;
            let ip = ip.as_deref();
            accounts::withdraw_consent(&mut conn, &session.user.id, &client_id, ip, now)
        })
        .await??;
    }
    Ok(flash::redirect_with(
        &state,
        "/account/connections",
        Flash::AccessRemoved,
    ))
}
