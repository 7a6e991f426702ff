//! /admin/applications: the registered clients, searchable and paginated by keyset; one
//! client's page (discovery URL, client_id, a configuration snippet); create, edit, rotate
//! the secret and delete. Each action is the one `oauth::registration` implementation the
//! CLI also calls; the secret of a new client or a rotation is shown once, on its own page,
//! never cached (`Cache-Control: no-store`).
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::{AdminForm, Nav, RequireAdmin, Section};
use crate::domain::ClientId;
use crate::oauth::registration::{self as registration, NewClientRequest, RegistrationError};
use crate::state::AppState;
use crate::store::audit::Actor;
use crate::store::clients::{self, Client};
use crate::web::csrf::CsrfToken;
use crate::web::error::{html, PageError};
use crate::web::flash::{self, Flash};
use crate::web::layout::Layout;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/applications")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .route("/applications/new", web::get().to(new_form))
    .service(
        web::resource("/applications/{client_id}")
            .route(web::get().to(view))
            .route(web::post().to(update)),
    )
    .route("/applications/{client_id}/edit", web::get().to(edit_form))
    .service(
        web::resource("/applications/{client_id}/rotate-secret")
            .route(web::get().to(confirm_rotate))
            .route(web::post().to(rotate_secret)),
    )
    .service(
        web::resource("/applications/{client_id}/delete")
            .route(web::get().to(confirm_delete))
            .route(web::post().to(delete)),
    );
}

/// Rows per page of the list.
const PAGE_SIZE: i64 = 50;

impl From<RegistrationError> for PageError {
    fn from(e: RegistrationError) -> Self {
        match e {
            RegistrationError::Invalid(m) => PageError::BadRequest(m),
            RegistrationError::NotFound => PageError::NotFound,
            RegistrationError::Store(e) => e.into(),
        }
    }
}

/// Who made a console change and from where, owned so it can move into `web::block`.
pub(super) struct Who {
    admin_id: String,
    ip: Option<String>,
    user_agent: Option<String>,
}

impl Who {
    /// The address and browser as every other page reads them (`session::seen_from`); the
    /// audit log cuts a long user agent itself.
    pub(super) fn of(req: &HttpRequest, admin: &RequireAdmin) -> Who {
        let seen = crate::web::session::seen_from(req);
        Who {
            admin_id: admin.user_id().to_string(),
            ip: seen.ip,
            user_agent: seen.user_agent,
        }
    }

    pub(super) fn actor(&self) -> Actor<'_> {
        Actor {
            actor_id: Some(&self.admin_id),
            ip: self.ip.as_deref(),
            user_agent: self.user_agent.as_deref(),
        }
    }
}

fn page_of(client_id: &ClientId) -> String {
    let id: String = url::form_urlencoded::byte_serialize(client_id.as_str().as_bytes()).collect();
    format!("/admin/applications/{id}")
}

/// A client_id from the path; a malformed one names no client.
fn parse_id(raw: &str) -> Result<ClientId, PageError> {
    ClientId::parse(raw).map_err(|_| PageError::NotFound)
}

// ---- the list ----------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    after_name: Option<String>,
    after_id: Option<String>,
}

/// One row of the list.
struct Row {
    client_id: String,
    href: String,
    name: String,
    kind: &'static str,
    redirect_uris: String,
}

#[derive(Template)]
#[template(path = "admin/clients.html")]
struct ListPage<'a> {
    layout: Layout<'a>,
    nav: Nav<'a>,
    q: &'a str,
    rows: Vec<Row>,
    /// The query string of the next page, when there is one.
    next: Option<String>,
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: RequireAdmin,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let ListQuery {
        q,
        after_name,
        after_id,
    } = query.into_inner();
    let q: String = q.trim().chars().take(200).collect();
    let found = {
        let (state, q) = (state.clone(), q.clone());
        web::block(move || {
            let after = after_name.as_deref().zip(after_id.as_deref());
            clients::page(&mut *state.conn()?, &q, after, PAGE_SIZE + 1)
        })
        .await??
    };
    let more = found.len() as i64 > PAGE_SIZE;
    let shown = &found[..found.len().min(PAGE_SIZE as usize)];
    let next = match (more, shown.last()) {
        (true, Some(last)) => Some(
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("q", &q)
                .append_pair("after_name", &last.name)
                .append_pair("after_id", last.client_id.as_str())
                .finish(),
        ),
        _ => None,
    };
    let rows = shown
        .iter()
        .map(|c| Row {
            client_id: c.client_id.to_string(),
            href: page_of(&c.client_id),
            name: c.name.clone(),
            kind: kind(c),
            redirect_uris: c
                .redirect_uris
                .iter()
                .map(|u| u.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        })
        .collect();
    let page = ListPage {
        layout: Layout::new(&req, &state),
        nav: Nav::new(Section::Applications, &admin),
        q: &q,
        rows,
        next,
    };
    html(StatusCode::OK, &page)
}

fn kind(c: &Client) -> &'static str {
    if c.client_type.is_public() {
        "public"
    } else {
        "confidential"
    }
}

// ---- create and edit ---------------------------------------------------------------

/// The application form as posted (create and edit). Lists are one value per line (URIs)
/// or space-separated (scopes); checkboxes are present or absent.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ClientForm {
    name: String,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    /// "public" or "confidential"; read on create only (the type cannot change).
    client_type: String,
    grant_authorization_code: Option<String>,
    grant_refresh_token: Option<String>,
    grant_client_credentials: Option<String>,
    scopes: String,
    auth_method: String,
    id_token_alg: String,
    skip_consent: Option<String>,
    require_pkce: Option<String>,
}

fn lines(raw: &str) -> Vec<String> {
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

impl ClientForm {
    /// The registration request; `Err` names what the form lacks. Editing (`creating`
    /// false) ignores the posted type: the stored client's type stays.
    fn request(&self, creating: bool) -> Result<NewClientRequest, String> {
        let mut grants = Vec::new();
        for (on, grant) in [
            (&self.grant_authorization_code, "authorization_code"),
            (&self.grant_refresh_token, "refresh_token"),
            (&self.grant_client_credentials, "client_credentials"),
        ] {
            if on.is_some() {
                grants.push(grant.to_string());
            }
        }
        let public = creating && self.client_type == "public";
        let nonempty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        if grants.is_empty() {
            return Err("Choose at least one grant type.".into());
        }
        Ok(NewClientRequest {
            name: self.name.clone(),
            redirect_uris: lines(&self.redirect_uris),
            public,
            // (No grant ticked was refused above, not read as "the defaults".)
            grants,
            scopes: self.scopes.split_whitespace().map(str::to_string).collect(),
            post_logout_redirect_uris: lines(&self.post_logout_redirect_uris),
            auth_method: if public {
                None
            } else {
                nonempty(&self.auth_method)
            },
            id_token_alg: nonempty(&self.id_token_alg),
            skip_consent: self.skip_consent.is_some(),
            require_pkce: self.require_pkce.is_some(),
        })
    }

    fn of(request: &NewClientRequest) -> ClientForm {
        let has = |g: &str| request.grants.iter().any(|x| x == g).then(String::new);
        ClientForm {
            name: request.name.clone(),
            redirect_uris: request.redirect_uris.join("\n"),
            post_logout_redirect_uris: request.post_logout_redirect_uris.join("\n"),
            client_type: if request.public {
                "public".into()
            } else {
                "confidential".into()
            },
            grant_authorization_code: has("authorization_code"),
            grant_refresh_token: has("refresh_token"),
            grant_client_credentials: has("client_credentials"),
            scopes: request.scopes.join(" "),
            auth_method: request.auth_method.clone().unwrap_or_default(),
            id_token_alg: request.id_token_alg.clone().unwrap_or_default(),
            skip_consent: request.skip_consent.then(String::new),
            require_pkce: request.require_pkce.then(String::new),
        }
    }

    fn new_client() -> ClientForm {
        ClientForm {
            client_type: "confidential".into(),
            grant_authorization_code: Some(String::new()),
            grant_refresh_token: Some(String::new()),
            scopes: registration::DEFAULT_SCOPES.into(),
            auth_method: "client_secret_basic".into(),
            id_token_alg: "RS256".into(),
            ..ClientForm::default()
        }
    }
}

#[derive(Template)]
#[template(path = "admin/client_form.html")]
struct FormPage<'a> {
    layout: Layout<'a>,
    nav: Nav<'a>,
    csrf_token: &'a str,
    /// `None` when creating.
    client_id: Option<&'a str>,
    action: &'a str,
    form: &'a ClientForm,
    error: Option<&'a str>,
}

fn render_form(
    req: &HttpRequest,
    state: &AppState,
    admin: &RequireAdmin,
    client_id: Option<&ClientId>,
    form: &ClientForm,
    error: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let csrf = CsrfToken::for_request(req, state.cookies_secure());
    let action = client_id.map_or_else(|| "/admin/applications".to_string(), page_of);
    let page = FormPage {
        layout: Layout::new(req, state),
        nav: Nav::new(Section::Applications, admin),
        csrf_token: &csrf.value,
        client_id: client_id.map(ClientId::as_str),
        action: &action,
        form,
        error,
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(csrf.attach(html(status, &page)?))
}

pub async fn new_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: RequireAdmin,
) -> Result<HttpResponse, PageError> {
    render_form(&req, &state, &admin, None, &ClientForm::new_client(), None)
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    change: AdminForm<ClientForm>,
) -> Result<HttpResponse, PageError> {
    let (who, now) = (Who::of(&req, &change.admin), state.clock.now());
    let request = match change.form.request(true) {
        Ok(request) => request,
        Err(message) => {
            return render_form(
                &req,
                &state,
                &change.admin,
                None,
                &change.form,
                Some(&message),
            )
        }
    };
    let created = {
        let state = state.clone();
        web::block(move || {
            registration::create_client(&mut *state.conn()?, &request, who.actor(), now)
        })
        .await?
    };
    match created {
        Ok((client, secret)) => secret_page(
            &req,
            &state,
            &change.admin,
            &client,
            secret.as_ref().map(|s| s.as_str()),
            true,
        ),
        Err(RegistrationError::Invalid(message)) => render_form(
            &req,
            &state,
            &change.admin,
            None,
            &change.form,
            Some(&message),
        ),
        Err(e) => Err(e.into()),
    }
}

async fn load(state: &web::Data<AppState>, raw_id: &str) -> Result<Client, PageError> {
    let client_id = parse_id(raw_id)?;
    let state = state.clone();
    web::block(move || clients::find(&mut *state.conn()?, &client_id))
        .await??
        .ok_or(PageError::NotFound)
}

pub async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: RequireAdmin,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let client = load(&state, &path).await?;
    let form = ClientForm::of(&registration::as_request(&client));
    render_form(&req, &state, &admin, Some(&client.client_id), &form, None)
}

pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    change: AdminForm<ClientForm>,
) -> Result<HttpResponse, PageError> {
    let client_id = parse_id(&path)?;
    let (who, now) = (Who::of(&req, &change.admin), state.clock.now());
    let request = match change.form.request(false) {
        Ok(request) => request,
        Err(message) => {
            let id = Some(&client_id);
            return render_form(
                &req,
                &state,
                &change.admin,
                id,
                &change.form,
                Some(&message),
            );
        }
    };
    let updated = {
        let (state, client_id) = (state.clone(), client_id.clone());
        web::block(move || {
            registration::update_client(&mut *state.conn()?, &client_id, &request, who.actor(), now)
        })
        .await?
    };
    match updated {
        Ok(client) => Ok(flash::redirect_with(
            &state,
            &page_of(&client.client_id),
            Flash::Saved,
        )),
        Err(RegistrationError::Invalid(message)) => render_form(
            &req,
            &state,
            &change.admin,
            Some(&client_id),
            &change.form,
            Some(&message),
        ),
        Err(e) => Err(e.into()),
    }
}

// ---- the client's page -------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/client_view.html")]
struct ViewPage<'a> {
    layout: Layout<'a>,
    nav: Nav<'a>,
    client: &'a Client,
    href: String,
    kind: &'static str,
    discovery_url: String,
    snippet: String,
    created: String,
}

/// Settings to paste into a relying party (most OpenID Connect libraries read these names
/// or close ones); the secret is a placeholder: Ferrid does not have it.
fn snippet(issuer: &str, client: &Client) -> String {
    let mut out = format!(
        "OIDC_ISSUER={issuer}\nOIDC_DISCOVERY_URL={issuer}/.well-known/openid-configuration\nOIDC_CLIENT_ID={}\n",
        client.client_id
    );
    if !client.client_type.is_public() {
        out.push_str("OIDC_CLIENT_SECRET=<the secret shown when the application was created or its secret rotated>\n");
    }
    if let Some(uri) = client.redirect_uris.first() {
        out.push_str(&format!("OIDC_REDIRECT_URI={}\n", uri.as_str()));
    }
    out.push_str(&format!("OIDC_SCOPES=\"{}\"\n", client.scopes));
    out.push_str(&format!(
        "OIDC_TOKEN_ENDPOINT_AUTH_METHOD={}\n",
        client.client_type.token_endpoint_auth_method()
    ));
    if client.requires_pkce() {
        out.push_str("OIDC_PKCE=S256\n");
    }
    out
}

pub async fn view(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: RequireAdmin,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let client = load(&state, &path).await?;
    let page = ViewPage {
        layout: Layout::new(&req, &state),
        nav: Nav::new(Section::Applications, &admin),
        href: page_of(&client.client_id),
        kind: kind(&client),
        discovery_url: format!("{}/.well-known/openid-configuration", state.issuer),
        snippet: snippet(&state.issuer, &client),
        created: crate::domain::utc::format(client.created_at),
        client: &client,
    };
    html(StatusCode::OK, &page)
}

// ---- the secret, rotation and deletion ---------------------------------------------

#[derive(Template)]
#[template(path = "admin/client_secret.html")]
struct SecretPage<'a> {
    layout: Layout<'a>,
    nav: Nav<'a>,
    client: &'a Client,
    href: String,
    secret: Option<&'a str>,
    /// A new client, rather than a new secret for one.
    created: bool,
}

/// The page that shows a secret once: never stored by a cache or the browser's history
/// (RFC 9111 §5.2.2.5 no-store).
fn secret_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &RequireAdmin,
    client: &Client,
    secret: Option<&str>,
    created: bool,
) -> Result<HttpResponse, PageError> {
    let page = SecretPage {
        layout: Layout::new(req, state),
        nav: Nav::new(Section::Applications, admin),
        client,
        href: page_of(&client.client_id),
        secret,
        created,
    };
    let mut response = html(StatusCode::OK, &page)?;
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

#[derive(Template)]
#[template(path = "admin/client_confirm.html")]
struct ConfirmPage<'a> {
    layout: Layout<'a>,
    nav: Nav<'a>,
    csrf_token: &'a str,
    client: &'a Client,
    href: String,
    /// "rotate" or "delete".
    action: &'static str,
}

async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: RequireAdmin,
    raw_id: &str,
    action: &'static str,
) -> Result<HttpResponse, PageError> {
    let client = load(&state, raw_id).await?;
    if action == "rotate" && client.client_type.is_public() {
        return Err(PageError::BadRequest(
            "A public client has no secret to rotate.".into(),
        ));
    }
    let csrf = CsrfToken::for_request(&req, state.cookies_secure());
    let page = ConfirmPage {
        layout: Layout::new(&req, &state),
        nav: Nav::new(Section::Applications, &admin),
        csrf_token: &csrf.value,
        href: page_of(&client.client_id),
        client: &client,
        action,
    };
    Ok(csrf.attach(html(StatusCode::OK, &page)?))
}

pub async fn confirm_rotate(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: RequireAdmin,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    confirm(req, state, admin, &path, "rotate").await
}

pub async fn confirm_delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: RequireAdmin,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    confirm(req, state, admin, &path, "delete").await
}

pub async fn rotate_secret(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    change: AdminForm<IgnoredAny>,
) -> Result<HttpResponse, PageError> {
    let client_id = parse_id(&path)?;
    let (who, now) = (Who::of(&req, &change.admin), state.clock.now());
    let (client, secret) = {
        let state = state.clone();
        web::block(move || {
            registration::rotate_secret(&mut *state.conn()?, &client_id, who.actor(), now)
        })
        .await??
    };
    secret_page(
        &req,
        &state,
        &change.admin,
        &client,
        Some(secret.as_str()),
        false,
    )
}

pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    change: AdminForm<IgnoredAny>,
) -> Result<HttpResponse, PageError> {
    let client_id = parse_id(&path)?;
    let (who, now) = (Who::of(&req, &change.admin), state.clock.now());
    {
        let state = state.clone();
        web::block(move || {
            registration::delete_client(&mut *state.conn()?, &client_id, who.actor(), now)
        })
        .await??;
    }
    Ok(flash::redirect_with(
        &state,
        "/admin/applications",
        Flash::ApplicationDeleted,
    ))
}
