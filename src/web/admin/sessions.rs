//! /admin/sessions: live login sessions, newest first (keyset pages), searchable by the
//! user's address or limited to one user; revoke one, the selected ones, or (on the user's
//! page) all of a user's.
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::confirm::{self, Confirmation};
use super::format::{browser, when, when_opt};
use super::guard::Fields;
use super::users::{actor, user_page};
use super::{AdminForm, Nav, RequireAdmin, Section};
use crate::accounts::admin;
use crate::state::AppState;
use crate::store::console::{self, SessionCursor};
use crate::web::client_ip;
use crate::web::csrf::CsrfToken;
use crate::web::error::{html, PageError};
use crate::web::flash::{self, Flash};
use crate::web::layout::Layout;

const PAGE_SIZE: i64 = 50;

/// Most sessions one "revoke selected" may name (a page shows 50).
const MAX_SELECTED: usize = 200;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sessions", web::get().to(list))
        .route("/sessions/revoke", web::post().to(revoke))
        .route("/sessions/revoke-selected", web::post().to(revoke_selected));
}

struct Row {
    id: String,
    user_href: String,
    email: String,
    ip: String,
    browser: String,
    user_agent: String,
    created: String,
    last_seen: String,
}

#[derive(Template)]
#[template(path = "admin/sessions.html")]
struct ListPage<'a> {
    layout: Layout<'a>,
    nav: Nav<'a>,
    csrf_token: &'a str,
    q: &'a str,
    user: &'a str,
    rows: Vec<Row>,
    here: String,
    next_href: Option<String>,
    first_href: Option<String>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    /// One user's sessions (their id).
    #[serde(default)]
    user: String,
    /// `created_at.id_hash` of the last row of the previous page.
    #[serde(default)]
    after: String,
}

fn list_href(q: &str, user: &str, after: Option<&SessionCursor>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if !q.is_empty() {
        query.append_pair("q", q);
    }
    if !user.is_empty() {
        query.append_pair("user", user);
    }
    if let Some(c) = after {
        query.append_pair("after", &format!("{}.{}", c.created_at, c.id_hash));
    }
    let query = query.finish();
    if query.is_empty() {
        "/admin/sessions".to_string()
    } else {
        format!("/admin/sessions?{query}")
    }
}

fn cursor_of(raw: &str) -> Option<SessionCursor> {
    let (at, id) = raw.split_once('.')?;
    Some(SessionCursor {
        created_at: at.parse().ok()?,
        id_hash: id.to_string(),
    })
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: RequireAdmin,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let query = query.into_inner();
    let q: String = query.q.trim().chars().take(200).collect();
    let user: String = query.user.chars().take(100).collect();
    let after = cursor_of(&query.after);
    let now = state.clock.now();
    let page = {
        let (state, q, user, after) = (state.clone(), q.clone(), user.clone(), after.clone());
        web::block(move || {
            let user = (!user.is_empty()).then_some(user.as_str());
            let mut conn = state.conn()?;
            console::list_sessions(&mut conn, user, &q, after.as_ref(), PAGE_SIZE, now)
        })
        .await??
    };
    let csrf = CsrfToken::for_request(&req, state.cookies_secure());
    let rows = page
        .rows
        .iter()
        .map(|s| Row {
            id: s.id_hash.clone(),
            user_href: user_page(&s.user_id),
            email: s.email.clone(),
            ip: s.ip.clone().unwrap_or_else(|| "—".into()),
            browser: browser(s.user_agent.as_deref()),
            user_agent: s.user_agent.clone().unwrap_or_default(),
            created: when(s.created_at),
            last_seen: when_opt(s.last_seen_at),
        })
        .collect();
    let page = ListPage {
        layout: Layout::new(&req, &state),
        nav: Nav::new(Section::Sessions, &admin),
        csrf_token: &csrf.value,
        q: &q,
        user: &user,
        rows,
        here: list_href(&q, &user, after.as_ref()),
        next_href: page.next.as_ref().map(|c| list_href(&q, &user, Some(c))),
        first_href: after.as_ref().map(|_| list_href(&q, &user, None)),
    };
    Ok(csrf.attach(html(StatusCode::OK, &page)?))
}

/// Where to go after a revocation: a console page the form named, or the sessions list.
fn back_to(raw: &str) -> String {
    let local = raw.starts_with("/admin/") && crate::web::pages::safe_return_to(raw) == raw;
    if local {
        raw.to_string()
    } else {
        "/admin/sessions".to_string()
    }
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    session: String,
    #[serde(default)]
    return_to: String,
}

pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    change: AdminForm<RevokeForm>,
) -> Result<HttpResponse, PageError> {
    let AdminForm { admin, form } = change;
    let (ip, now) = (client_ip(&req), state.clock.now());
    let back = back_to(&form.return_to);
    {
        let state = state.clone();
        web::block(move || {
            let actor = actor(&admin, &ip);
            admin::revoke_session(&mut *state.conn()?, &form.session, actor, now)
        })
        .await??;
    }
    Ok(flash::redirect_with(&state, &back, Flash::SessionRevoked))
}

pub async fn revoke_selected(
    req: HttpRequest,
    state: web::Data<AppState>,
    change: AdminForm<Fields>,
) -> Result<HttpResponse, PageError> {
    let AdminForm { admin, form } = change;
    let selected: Vec<String> = form
        .iter()
        .filter(|(k, v)| k == "selected" && !v.is_empty())
        .map(|(_, v)| v.clone())
        .collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let back = back_to(field("return_to"));
    if selected.is_empty() {
        return Err(PageError::BadRequest(
            "No session was selected: tick the sessions to revoke.".into(),
        ));
    }
    if selected.len() > MAX_SELECTED {
        return Err(PageError::BadRequest(format!(
            "At most {MAX_SELECTED} sessions at once."
        )));
    }
    if field("confirm") != "yes" {
        let message = format!(
            "{} session(s) end now; their users must sign in again.",
            selected.len()
        );
        let mut fields: Vec<(&str, &str)> =
            selected.iter().map(|s| ("selected", s.as_str())).collect();
        fields.push(("return_to", &back));
        let question = Confirmation {
            title: "Revoke the selected sessions?",
            message: &message,
            action: "/admin/sessions/revoke-selected",
            button: "Revoke sessions",
            back: &back,
            fields,
        };
        return confirm::render(&req, &state, &admin, question);
    }
    let (ip, now) = (client_ip(&req), state.clock.now());
    {
        let state = state.clone();
        web::block(move || {
            let actor = actor(&admin, &ip);
            let mut conn = state.conn()?;
            for id in &selected {
                admin::revoke_session(&mut conn, id, actor, now)?;
            }
            Ok::<_, crate::accounts::AccountError>(())
        })
        .await??;
    }
    Ok(flash::redirect_with(&state, &back, Flash::SessionsRevoked))
}
