//! /admin/users: the accounts (searchable, paged by keyset), one account's page, a new
//! account, and what an administrator does to one: disable, enable, delete, set the role,
//! mail a password reset, mark the address verified, revoke every login. Each action is the
//! one in `accounts::admin`, which the CLI calls too; destructive ones are confirmed first
//! (`confirm`).
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::confirm::{self, Confirmation};
use super::format::{browser, when, when_opt};
use super::{AdminForm, Nav, RequireAdmin, Section};
use crate::accounts::admin::{self, Actor, UserOverview};
use crate::accounts::AccountError;
use crate::domain::Role;
use crate::state::AppState;
use crate::store::console::{self, UserCursor, UserOrder};
use crate::store::users::User;
use crate::web::client_ip;
use crate::web::csrf::CsrfToken;
use crate::web::error::{html, PageError};
use crate::web::flash::{self, Flash};
use crate::web::layout::Layout;

/// Rows per page of the list.
const PAGE_SIZE: i64 = 50;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/users", web::get().to(list))
        .service(
            web::resource("/users/new")
                .route(web::get().to(new_form))
                .route(web::post().to(create)),
        )
        .route("/users/{id}", web::get().to(show))
        .route("/users/{id}/disable", web::post().to(disable))
        .route("/users/{id}/enable", web::post().to(enable))
        .route("/users/{id}/delete", web::post().to(delete))
        .route("/users/{id}/role", web::post().to(set_role))
        .route("/users/{id}/send-reset", web::post().to(send_reset))
        .route(
            "/users/{id}/verify-email",
            web::post().to(mark_email_verified),
        )
        .route("/users/{id}/revoke-all", web::post().to(revoke_all));
}

/// The actor of a console change.
pub fn actor<'a>(admin: &'a RequireAdmin, ip: &'a Option<String>) -> Actor<'a> {
    Actor::Console {
        admin_id: admin.user_id(),
        email: admin.session.user.email.as_str(),
        ip: ip.as_deref(),
    }
}

/// A path segment, percent-encoded (ids are URL-safe already; this keeps them so).
pub fn segment(raw: &str) -> String {
    url::form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}

pub fn user_page(id: &str) -> String {
    format!("/admin/users/{}", segment(id))
}

/// A user as a row of the list.
struct UserRow {
    href: String,
    email: String,
    name: String,
    role: &'static str,
    verified: bool,
    disabled: bool,
    created: String,
}

impl From<&User> for UserRow {
    fn from(u: &User) -> Self {
        UserRow {
            href: user_page(&u.id),
            email: u.email.as_str().to_string(),
            name: u.name.clone(),
            role: u.role.as_str(),
            verified: u.email_verified,
            disabled: u.disabled,
            created: when(u.created_at),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct ListPage<'a> {
    layout: Layout<'a>,
    nav: Nav<'a>,
    q: &'a str,
    newest: bool,
    users: Vec<UserRow>,
    next_href: Option<String>,
    first_href: Option<String>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    /// `email` (default) or `newest`.
    #[serde(default)]
    order: String,
    /// Where the page starts: the last row of the previous page (see `cursor_of`).
    #[serde(default)]
    after: String,
}

/// The cursor in a link: the address, or `created_at.id` for newest first.
fn cursor_of(order: UserOrder, raw: &str) -> Option<UserCursor> {
    if raw.is_empty() {
        return None;
    }
    match order {
        UserOrder::Email => Some(UserCursor::Email(raw.to_string())),
        UserOrder::Newest => {
            let (at, id) = raw.split_once('.')?;
            Some(UserCursor::Newest {
                created_at: at.parse().ok()?,
                id: id.to_string(),
            })
        }
    }
}

fn cursor_text(cursor: &UserCursor) -> String {
    match cursor {
        UserCursor::Email(email) => email.clone(),
        UserCursor::Newest { created_at, id } => format!("{created_at}.{id}"),
    }
}

fn list_href(q: &str, newest: bool, after: Option<&str>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if !q.is_empty() {
        query.append_pair("q", q);
    }
    if newest {
        query.append_pair("order", "newest");
    }
    if let Some(after) = after {
        query.append_pair("after", after);
    }
    let query = query.finish();
    if query.is_empty() {
        "/admin/users".to_string()
    } else {
        format!("/admin/users?{query}")
    }
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: RequireAdmin,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let query = query.into_inner();
    let q: String = query.q.trim().chars().take(200).collect();
    let newest = query.order == "newest";
    let order = if newest {
        UserOrder::Newest
    } else {
        UserOrder::Email
    };
    let after = cursor_of(order, &query.after);
    let page = {
        let (state, q, after) = (state.clone(), q.clone(), after.clone());
        web::block(move || {
            console::list_users(&mut *state.conn()?, &q, order, after.as_ref(), PAGE_SIZE)
        })
        .await??
    };
    let next_href = page
        .next
        .as_ref()
        .map(|c| list_href(&q, newest, Some(&cursor_text(c))));
    let page = ListPage {
        layout: Layout::new(&req, &state),
        nav: Nav::new(Section::Users, &admin),
        q: &q,
        newest,
        users: page.rows.iter().map(UserRow::from).collect(),
        next_href,
        first_href: after.map(|_| list_href(&q, newest, None)),
    };
    html(StatusCode::OK, &page)
}

struct SessionRow {
    id: String,
    created: String,
    last_seen: String,
    ip: String,
    browser: String,
}

struct EventRow {
    at: String,
    kind: String,
    ip: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage<'a> {
    layout: Layout<'a>,
    nav: Nav<'a>,
    csrf_token: &'a str,
    id: &'a str,
    href: String,
    email: &'a str,
    name: &'a str,
    is_admin: bool,
    verified: bool,
    disabled: bool,
    created: String,
    updated: String,
    last_login: String,
    sessions: Vec<SessionRow>,
    connections: Vec<(String, String)>,
    /// Linked upstream identities: provider, the email it last reported, linked, last used.
    identities: Vec<(String, String, String, String)>,
    events: Vec<EventRow>,
    is_self: bool,
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: RequireAdmin,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let now = state.clock.now();
    let overview: Option<UserOverview> = {
        let (state, id) = (state.clone(), id.clone());
        web::block(move || admin::user_overview(&mut *state.conn()?, &id, now)).await??
    };
    let Some(o) = overview else {
        return Err(PageError::NotFound);
    };
    let csrf = CsrfToken::for_request(&req, state.cookies_secure());
    let user = &o.user;
    let page = UserPage {
        layout: Layout::new(&req, &state),
        nav: Nav::new(Section::Users, &admin),
        csrf_token: &csrf.value,
        id: &user.id,
        href: user_page(&user.id),
        email: user.email.as_str(),
        name: &user.name,
        is_admin: user.role == Role::Admin,
        verified: user.email_verified,
        disabled: user.disabled,
        created: when(user.created_at),
        updated: when(user.updated_at),
        last_login: when_opt(o.last_login),
        sessions: o
            .sessions
            .iter()
            .map(|s| SessionRow {
                id: s.id_hash.clone(),
                created: when(s.created_at),
                last_seen: when_opt(s.last_seen_at),
                ip: s.ip.clone().unwrap_or_else(|| "—".into()),
                browser: browser(s.user_agent.as_deref()),
            })
            .collect(),
        connections: o
            .connections
            .iter()
            .map(|c| (c.client_name.clone(), c.scope.to_string()))
            .collect(),
        identities: o
            .identities
            .iter()
            .map(|i| {
                let provider = state.federation.display_name_of(&i.provider).to_string();
                let email = i.email.clone().unwrap_or_else(|| "—".into());
                (provider, email, when(i.created_at), when(i.last_login_at))
            })
            .collect(),
        events: o
            .events
            .iter()
            .map(|e| EventRow {
                at: when(e.at),
                kind: e.kind.clone(),
                ip: e.ip.clone().unwrap_or_default(),
                detail: e.detail.clone(),
            })
            .collect(),
        is_self: user.id == admin.user_id(),
    };
    Ok(csrf.attach(html(StatusCode::OK, &page)?))
}

#[derive(Template)]
#[template(path = "admin/user_new.html")]
struct NewUserPage<'a> {
    layout: Layout<'a>,
    nav: Nav<'a>,
    csrf_token: &'a str,
    error: Option<&'a str>,
    email: &'a str,
    name: &'a str,
    admin_role: bool,
}

#[derive(Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

fn render_new(
    req: &HttpRequest,
    state: &AppState,
    admin: &RequireAdmin,
    status: StatusCode,
    form: &NewUserForm,
    error: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let csrf = CsrfToken::for_request(req, state.cookies_secure());
    let page = NewUserPage {
        layout: Layout::new(req, state),
        nav: Nav::new(Section::Users, admin),
        csrf_token: &csrf.value,
        error,
        email: &form.email,
        name: &form.name,
        admin_role: form.role == "admin",
    };
    Ok(csrf.attach(html(status, &page)?))
}

pub async fn new_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: RequireAdmin,
) -> Result<HttpResponse, PageError> {
    let empty = NewUserForm {
        email: String::new(),
        name: String::new(),
        role: String::new(),
    };
    render_new(&req, &state, &admin, StatusCode::OK, &empty, None)
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    change: AdminForm<NewUserForm>,
) -> Result<HttpResponse, PageError> {
    let AdminForm { admin, form } = change;
    let role = match Role::parse(&form.role) {
        Ok(role) => role,
        Err(e) => {
            let status = StatusCode::BAD_REQUEST;
            return render_new(&req, &state, &admin, status, &form, Some(&e.to_string()));
        }
    };
    let (ip, now) = (client_ip(&req), state.clock.now());
    let result = {
        let state = state.clone();
        let (email, name) = (form.email.clone(), form.name.clone());
        let admin_id = admin.user_id().to_string();
        let admin_email = admin.session.user.email.as_str().to_string();
        web::block(move || {
            let actor = Actor::Console {
                admin_id: &admin_id,
                email: &admin_email,
                ip: ip.as_deref(),
            };
            let flows = state.flows();
            admin::create_user(&mut *state.conn()?, &flows, &email, &name, role, actor, now)
        })
        .await?
    };
    match result {
        Ok(user) => Ok(flash::redirect_with(
            &state,
            &user_page(&user.id),
            Flash::UserCreated,
        )),
        Err(e) => match e.form_message() {
            Some(message) => {
                let status = StatusCode::BAD_REQUEST;
                render_new(&req, &state, &admin, status, &form, Some(&message))
            }
            None => Err(e.into()),
        },
    }
}

/// The form of a destructive action: confirmed once (`confirm=yes`).
#[derive(Deserialize)]
pub struct Confirmed {
    #[serde(default)]
    confirm: String,
}

/// Runs `action` on the user named in the path and redirects back to their page with
/// `done`, or shows why not (the last administrator, an unknown user).
async fn act<F>(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    admin: RequireAdmin,
    id: String,
    done: Flash,
    then: Option<&str>,
    action: F,
) -> Result<HttpResponse, PageError>
where
    F: FnOnce(&mut crate::store::DbConn, &str, Actor<'_>, i64) -> Result<(), AccountError>
        + Send
        + 'static,
{
    let (ip, now) = (client_ip(req), state.clock.now());
    let result = {
        let (state, id) = (state.clone(), id.clone());
        web::block(move || {
            let actor = actor(&admin, &ip);
            action(&mut *state.conn()?, &id, actor, now)
        })
        .await?
    };
    let back = user_page(&id);
    match result {
        Ok(()) => Ok(flash::redirect_with(state, then.unwrap_or(&back), done)),
        Err(AccountError::NoSuchUser) => Err(PageError::NotFound),
        // The last administrator: a 400 page saying so.
        Err(e) => Err(e.into()),
    }
}

/// Asks first, unless the form says it was confirmed.
fn ask_first(
    req: &HttpRequest,
    state: &AppState,
    admin: &RequireAdmin,
    confirmed: &Confirmed,
    question: Confirmation<'_>,
) -> Option<Result<HttpResponse, PageError>> {
    (confirmed.confirm != "yes").then(|| confirm::render(req, state, admin, question))
}

/// The user's address, for a confirmation's words.
async fn email_of(state: &web::Data<AppState>, id: &str) -> Result<String, PageError> {
    let (state, id) = (state.clone(), id.to_string());
    let user =
        web::block(move || crate::store::users::find_by_id(&mut *state.conn()?, &id)).await??;
    user.map(|u| u.email.as_str().to_string())
        .ok_or(PageError::NotFound)
}

pub async fn disable(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    change: AdminForm<Confirmed>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let email = email_of(&state, &id).await?;
    let question = Confirmation {
        title: "Disable this user?",
        message: &format!("{email} will be signed out everywhere and cannot sign in until enabled again. Their sessions, tokens and consents end now."),
        action: &format!("{}/disable", user_page(&id)),
        button: "Disable user",
        back: &user_page(&id),
        fields: vec![],
    };
    if let Some(page) = ask_first(&req, &state, &change.admin, &change.form, question) {
        return page;
    }
    act(
        &req,
        &state,
        change.admin,
        id,
        Flash::UserDisabled,
        None,
        |c, id, a, now| admin::set_disabled(c, id, true, a, now).map(|_| ()),
    )
    .await
}

pub async fn enable(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    change: AdminForm<IgnoredAny>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    act(
        &req,
        &state,
        change.admin,
        id,
        Flash::UserEnabled,
        None,
        |c, id, a, now| admin::set_disabled(c, id, false, a, now).map(|_| ()),
    )
    .await
}

pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    change: AdminForm<Confirmed>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let email = email_of(&state, &id).await?;
    let question = Confirmation {
        title: "Delete this user?",
        message: &format!("{email} and everything that belongs to the account (sessions, tokens, consents) are deleted for good. The address can register again as a new account."),
        action: &format!("{}/delete", user_page(&id)),
        button: "Delete user",
        back: &user_page(&id),
        fields: vec![],
    };
    if let Some(page) = ask_first(&req, &state, &change.admin, &change.form, question) {
        return page;
    }
    let to = Some("/admin/users");
    act(
        &req,
        &state,
        change.admin,
        id,
        Flash::UserDeleted,
        to,
        |c, id, a, now| admin::delete_user(c, id, a, now).map(|_| ()),
    )
    .await
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn set_role(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    change: AdminForm<RoleForm>,
) -> Result<HttpResponse, PageError> {
    let role = Role::parse(&change.form.role).map_err(|e| PageError::BadRequest(e.to_string()))?;
    act(
        &req,
        &state,
        change.admin,
        path.into_inner(),
        Flash::Saved,
        None,
        move |c, id, a, now| admin::set_role(c, id, role, a, now).map(|_| ()),
    )
    .await
}

pub async fn send_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    change: AdminForm<IgnoredAny>,
) -> Result<HttpResponse, PageError> {
    let st = state.clone();
    act(
        &req,
        &state,
        change.admin,
        path.into_inner(),
        Flash::ResetSent,
        None,
        move |c, id, a, now| admin::send_password_reset(c, &st.flows(), id, a, now).map(|_| ()),
    )
    .await
}

pub async fn mark_email_verified(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    change: AdminForm<IgnoredAny>,
) -> Result<HttpResponse, PageError> {
    act(
        &req,
        &state,
        change.admin,
        path.into_inner(),
        Flash::Saved,
        None,
        |c, id, a, now| admin::mark_email_verified(c, id, a, now).map(|_| ()),
    )
    .await
}

pub async fn revoke_all(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    change: AdminForm<Confirmed>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let email = email_of(&state, &id).await?;
    let question = Confirmation {
        title: "Sign this user out everywhere?",
        message: &format!("Every session of {email} ends, and every application's tokens for the account stop working. They can sign in again."),
        action: &format!("{}/revoke-all", user_page(&id)),
        button: "Sign out everywhere",
        back: &user_page(&id),
        fields: vec![],
    };
    if let Some(page) = ask_first(&req, &state, &change.admin, &change.form, question) {
        return page;
    }
    act(
        &req,
        &state,
        change.admin,
        id,
        Flash::SessionsRevoked,
        None,
        |c, id, a, now| admin::revoke_all_logins(c, id, a, now).map(|_| ()),
    )
    .await
}
