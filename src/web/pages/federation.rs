//! Logging in through an upstream provider (issue 12): `/login/{provider}` starts,
//! `/login/{provider}/callback` finishes, `/login/{provider}/link…` proves the account an
//! identity would be linked to, `/account/linked/…` links and unlinks from the account page.
//!
//! Upstream HTTP (discovery, the code exchange, GitHub's API) runs here, asynchronously,
//! never inside `web::block`; the database work around it runs in `web::block`. Every
//! failure ends on a page of ours with a way back to the login page (never a 500 for the
//! upstream's faults, never a redirect to the relying party), is audited as
//! `federated_login_failed`, and leaves no session and no user.
use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{notice, safe_return_to, with_return_to};
use crate::accounts;
use crate::domain::{SecretToken, TokenHash};
use crate::federation::linking::{
    self, Callback, Outcome, Policy, ProofRequest, Refusal, UnlinkRefusal,
};
use crate::federation::{flow, FederationError, Upstream};
use crate::state::AppState;
use crate::store::federation::IdentityKey;
use crate::web::csrf::{self, CsrfToken};
use crate::web::error::{html, see_other, PageError};
use crate::web::flash::{self, Flash};
use crate::web::layout::Layout;
use crate::web::session::{self, CurrentSession};
use crate::web::{client_ip, hashing};

/// The browser's federation cookie: its hash binds flows, pending links and mailed proofs
/// to this browser.
pub const COOKIE: &str = "ferrid_federation";
const COOKIE_LIFETIME: i64 = 3600;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login/{provider}", web::get().to(start_login))
        .route("/login/{provider}/callback", web::get().to(callback))
        .service(
            web::resource("/login/{provider}/link")
                .route(web::get().to(show_link))
                .route(web::post().to(prove_by_password)),
        )
        .route("/login/{provider}/link/mail", web::post().to(prove_by_mail))
        .service(
            web::resource("/login/{provider}/link/confirm")
                .route(web::get().to(show_confirm))
                .route(web::post().to(confirm)),
        )
        .route("/account/linked/link", web::post().to(start_link))
        .route("/account/linked/unlink", web::post().to(unlink));
}

/// The "Continue with …" buttons of the login page: (href, display name).
pub fn login_buttons(state: &AppState, return_to: &str) -> Vec<(String, String)> {
    state
        .federation
        .all()
        .iter()
        .map(|p| {
            let href = with_return_to(&format!("/login/{}", p.name()), return_to);
            (href, p.display_name().to_string())
        })
        .collect()
}

fn presented_browser(req: &HttpRequest) -> Option<SecretToken> {
    req.cookie(COOKIE)
        .and_then(|c| SecretToken::from_presented(c.value()))
}

fn browser_hash(req: &HttpRequest) -> Option<TokenHash> {
    presented_browser(req).map(|s| s.hash())
}

/// The browser's secret, and the cookie to set when it had none.
fn browser_secret(req: &HttpRequest, state: &AppState) -> (SecretToken, Option<Cookie<'static>>) {
    if let Some(existing) = presented_browser(req) {
        return (existing, None);
    }
    let secret = SecretToken::generate();
    // SameSite=Lax: sent on the upstream's top-level redirect back to the callback.
    let cookie = Cookie::build(COOKIE, secret.as_str().to_string())
        .path("/")
        .http_only(true)
        .secure(state.cookies_secure())
        .same_site(SameSite::Lax)
        .max_age(Duration::seconds(COOKIE_LIFETIME))
        .finish();
    (secret, Some(cookie))
}

fn policy(state: &AppState, upstream: &Upstream) -> Policy {
    Policy {
        trust_email: upstream.config.trust_email,
        allow_signup: upstream.config.allow_signup,
        session_lifetime: state.settings.session.lifetime,
    }
}

/// The failure page: what happened in words, a way back to the login page; audited.
async fn fail(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    provider: &str,
    error: FederationError,
    return_to: &str,
) -> Result<HttpResponse, PageError> {
    let error = match error {
        FederationError::Store(e) => return Err(e.into()),
        FederationError::Account(e) => return Err(e.into()),
        other => other,
    };
    log::info!("federated login through {provider} failed: {error}");
    // A path naming no provider is a 404 like any other, not a failed login.
    if !matches!(error, FederationError::UnknownProvider) {
        let (state, provider, detail_error, ip, now) = (
            state.clone(),
            provider.to_string(),
            error.to_string(),
            client_ip(req),
            state.clock.now(),
        );
        web::block(move || {
            let mut conn = state.conn()?;
            linking::record_failure(&mut conn, &provider, &detail_error, ip.as_deref(), now)
        })
        .await??;
    }
    let display = state.federation.display_name_of(provider).to_string();
    let (status, title, message) = wording(&error, &display);
    let back = with_return_to("/login", safe_return_to(return_to));
    notice(
        Layout::new(req, state),
        status,
        title,
        &message,
        (&back, "Back to log in"),
    )
}

/// The status, title and message of each failure, as a person reads them.
fn wording(error: &FederationError, display: &str) -> (StatusCode, &'static str, String) {
    let cannot = "We couldn't sign you in";
    match error {
        FederationError::UnknownProvider => (
            StatusCode::NOT_FOUND,
            "Unknown sign-in provider",
            "This way of signing in is not offered here.".into(),
        ),
        FederationError::Upstream(why) if why == "access_denied" => (
            StatusCode::FORBIDDEN,
            cannot,
            format!("{display} did not sign you in: the request was cancelled or refused there."),
        ),
        FederationError::Upstream(_) => (
            StatusCode::BAD_GATEWAY,
            cannot,
            format!("{display} refused to complete the sign-in. Try again."),
        ),
        FederationError::State => (
            StatusCode::BAD_REQUEST,
            cannot,
            "This sign-in was not started in this browser, has expired, or was already used. Start again from the login page.".into(),
        ),
        FederationError::Unreachable(_) => (
            StatusCode::BAD_GATEWAY,
            cannot,
            format!("{display} cannot be reached right now. Try again in a moment, or log in another way."),
        ),
        FederationError::Timeout(_) => (
            StatusCode::GATEWAY_TIMEOUT,
            cannot,
            format!("{display} took too long to answer. Try again in a moment, or log in another way."),
        ),
        FederationError::Malformed(_) | FederationError::Token(_) => (
            StatusCode::BAD_GATEWAY,
            cannot,
            format!("{display} sent an answer we could not accept, so you were not signed in. Try again, or log in another way."),
        ),
        FederationError::Refused(refusal) => (StatusCode::FORBIDDEN, cannot, refusal_message(*refusal, display)),
        // Handled before (they are ours, not the upstream's).
        FederationError::Store(_) | FederationError::Account(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            cannot,
            "Something failed on our side.".into(),
        ),
    }
}

fn refusal_message(refusal: Refusal, display: &str) -> String {
    match refusal {
        Refusal::Disabled => "This account is disabled. Ask the people who run this service.".into(),
        Refusal::LinkedToAnother => format!("This {display} account is already linked to another account here."),
        Refusal::SignupClosed => format!("There is no account here for this {display} account, and new accounts cannot be created this way. Log in with your password, then link {display} from your account page."),
        Refusal::NoEmail => format!("{display} did not share an email address, which a new account needs."),
        Refusal::AddressTaken => format!("An account here already uses the address this {display} account gave, which {display} has not verified. Log in with your password, then link {display} from your account page."),
    }
}

#[derive(Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    return_to: String,
}

/// GET /login/{provider}: to the upstream, with state, PKCE and nonce.
pub async fn start_login(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: web::Path<String>,
    query: web::Query<StartQuery>,
) -> Result<HttpResponse, PageError> {
    let return_to = safe_return_to(&query.return_to).to_string();
    start(&req, &state, &provider, return_to, None).await
}

#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    provider: String,
    #[serde(default)]
    csrf_token: String,
}

/// POST /account/linked/link: a logged-in user links another provider.
pub async fn start_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: CurrentSession,
    form: web::Form<LinkForm>,
) -> Result<HttpResponse, PageError> {
    csrf::verify(&req, &form.csrf_token)?;
    let Some(session) = session.0 else {
        return Ok(see_other("/login?return_to=%2Faccount"));
    };
    let user = session.user.id;
    start(&req, &state, &form.provider, "/account".into(), Some(user)).await
}

async fn start(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    provider: &str,
    return_to: String,
    link_user: Option<String>,
) -> Result<HttpResponse, PageError> {
    let Some(upstream) = state.federation.get(provider) else {
        return fail(
            req,
            state,
            provider,
            FederationError::UnknownProvider,
            &return_to,
        )
        .await;
    };
    let (secret, new_cookie) = browser_secret(req, state);
    let now = state.clock.now();
    let started = {
        let (state, name, browser, return_to) = (
            state.clone(),
            provider.to_string(),
            secret.hash(),
            return_to.clone(),
        );
        web::block(move || {
            let mut conn = state.conn()?;
            flow::start(
                &mut conn,
                &name,
                &browser,
                &return_to,
                link_user.as_deref(),
                now,
            )
        })
        .await?
    };
    let url = match started {
        Ok(started) => upstream.authorize_url(&started, now).await,
        Err(e) => Err(e),
    };
    match url {
        Ok(url) => {
            let mut response = HttpResponse::SeeOther()
                .insert_header((actix_web::http::header::LOCATION, url))
                .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
                .finish();
            if let Some(cookie) = new_cookie {
                response.add_cookie(&cookie).map_err(PageError::internal)?;
            }
            Ok(response)
        }
        Err(e) => fail(req, state, provider, e, &return_to).await,
    }
}

/// The upstream's redirect back (RFC 6749 §4.1.2, §4.1.2.1). Flat fields: a repeated one
/// is refused rather than chosen from.
#[derive(Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    #[allow(dead_code)] // The upstream's words are not shown: they are not ours to vouch for.
    error_description: Option<String>,
}

/// An upstream error code, kept only if it is a plain RFC 6749 code.
fn error_code(raw: &str) -> String {
    if !raw.is_empty()
        && raw.len() <= 64
        && raw.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    {
        raw.to_string()
    } else {
        "unrecognised error".into()
    }
}

/// GET /login/{provider}/callback.
pub async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: web::Path<String>,
    query: web::Query<CallbackQuery>,
    session: CurrentSession,
) -> Result<HttpResponse, PageError> {
    let provider = provider.into_inner();
    let Some(upstream) = state.federation.get(&provider) else {
        return fail(
            &req,
            &state,
            &provider,
            FederationError::UnknownProvider,
            "",
        )
        .await;
    };
    let query = query.into_inner();
    let browser = browser_hash(&req);
    let now = state.clock.now();
    // The flow is spent whatever the upstream said: a state works once.
    let redeemed = {
        let (state, name, browser, flow_state) = (
            state.clone(),
            provider.clone(),
            browser.clone(),
            query.state.clone(),
        );
        web::block(move || {
            let mut conn = state.conn()?;
            flow::finish(&mut conn, &name, &flow_state, browser.as_ref(), now)
        })
        .await?
    };
    let flow = match redeemed {
        Ok(flow) => flow,
        Err(e) => return fail(&req, &state, &provider, e, "").await,
    };
    let return_to = flow.return_to.clone();
    let code = match (query.error, query.code) {
        (Some(error), _) => Err(FederationError::Upstream(error_code(&error))),
        (None, Some(code)) if !code.is_empty() && code.len() <= 2048 => Ok(code),
        (None, _) => Err(FederationError::Malformed("no code in the callback".into())),
    };
    let identity = match code {
        Ok(code) => upstream.exchange(&code, &flow, now).await,
        Err(e) => Err(e),
    };
    let identity = match identity {
        Ok(identity) => identity,
        Err(e) => return fail(&req, &state, &provider, e, &return_to).await,
    };
    let Some(browser) = browser else {
        return fail(&req, &state, &provider, FederationError::State, &return_to).await;
    };
    let outcome = {
        let (state, policy, ip) = (state.clone(), policy(&state, &upstream), client_ip(&req));
        let current_user = session.0.map(|s| s.user.id);
        web::block(move || {
            let mut conn = state.conn()?;
            let callback = Callback {
                flow: &flow,
                current_user: current_user.as_deref(),
                browser: &browser,
                ip: ip.as_deref(),
            };
            linking::complete(&mut conn, policy, &identity, &callback, now)
        })
        .await?
    };
    match outcome {
        Ok(Outcome::LoggedIn {
            session: new_session,
            return_to,
        }) => session::logged_in_redirect(&state, safe_return_to(&return_to), &new_session.secret),
        Ok(Outcome::Linked) => Ok(flash::redirect_with(&state, "/account", Flash::Saved)),
        Ok(Outcome::NeedsProof) => Ok(see_other(&format!("/login/{provider}/link"))),
        Err(e) => fail(&req, &state, &provider, e, &return_to).await,
    }
}

#[derive(Template)]
#[template(path = "federation_link.html")]
struct LinkPage<'a> {
    layout: Layout<'a>,
    csrf_token: &'a str,
    provider: &'a str,
    display_name: &'a str,
    email: &'a str,
    by_mail: bool,
    error: Option<&'a str>,
    cancel_href: &'a str,
}

/// The pending link of this browser for `provider`, and whether a mailed proof is offered.
async fn pending_of(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    provider: &str,
) -> Result<Option<(crate::store::federation::PendingLink, bool)>, PageError> {
    let (state, browser, now) = (state.clone(), browser_hash(req), state.clock.now());
    let provider = provider.to_string();
    let found = web::block(move || {
        let mut conn = state.conn()?;
        let pending =
            linking::pending(&mut conn, browser.as_ref(), now)?.filter(|p| p.provider == provider);
        match pending {
            Some(p) => {
                let by_mail = linking::mail_proof_allowed(&mut conn, &p)?;
                Ok(Some((p, by_mail)))
            }
            None => Ok(None),
        }
    })
    .await?;
    found.map_err(|e: FederationError| match e {
        FederationError::Store(e) => e.into(),
        other => PageError::BadRequest(other.to_string()),
    })
}

async fn render_link(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    provider: &str,
    status: StatusCode,
    error: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let Some((pending, by_mail)) = pending_of(req, state, provider).await? else {
        return fail(req, state, provider, FederationError::State, "").await;
    };
    let csrf = CsrfToken::for_request(req, state.cookies_secure());
    let cancel = with_return_to("/login", safe_return_to(&pending.return_to));
    let page = LinkPage {
        layout: Layout::new(req, state),
        csrf_token: &csrf.value,
        provider,
        display_name: state.federation.display_name_of(provider),
        email: &pending.email,
        by_mail,
        error,
        cancel_href: &cancel,
    };
    Ok(csrf.attach(html(status, &page)?))
}

/// GET /login/{provider}/link: an account has this identity's address; prove it's yours.
pub async fn show_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    render_link(&req, &state, &provider, StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub struct PasswordProof {
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
}

/// POST /login/{provider}/link: the account's password, checked as a login of that account
/// (throttled like one); then the identity is linked.
pub async fn prove_by_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: web::Path<String>,
    form: web::Form<PasswordProof>,
) -> Result<HttpResponse, PageError> {
    csrf::verify(&req, &form.csrf_token)?;
    let provider = provider.into_inner();
    let Some((pending, _)) = pending_of(&req, &state, &provider).await? else {
        return fail(&req, &state, &provider, FederationError::State, "").await;
    };
    let Some(browser) = browser_hash(&req) else {
        return fail(&req, &state, &provider, FederationError::State, "").await;
    };
    let (ip, now) = (client_ip(&req), state.clock.now());
    let device = req
        .cookie(accounts::DEVICE_COOKIE)
        .map(|c| c.value().to_string());
    let begun = {
        let (state, email, password, ip) = (
            state.clone(),
            pending.email.clone(),
            form.into_inner().password,
            ip.clone(),
        );
        web::block(move || {
            let accounts = state.accounts();
            accounts::begin_login(
                &accounts,
                &email,
                &password,
                device.as_deref(),
                ip.as_deref(),
                now,
            )
        })
        .await?
    };
    let result = match begun {
        Ok(attempt) => {
            let state = state.clone();
            hashing::block(&state.clone(), move || {
                accounts::finish_login(&state.pool, &state.accounts(), attempt, now)
            })
            .await?
        }
        Err(e) => Err(e),
    };
    let new_session = match result {
        Ok(new_session) => new_session,
        Err(e) => {
            return match e.form_message() {
                Some(message) => {
                    render_link(
                        &req,
                        &state,
                        &provider,
                        StatusCode::BAD_REQUEST,
                        Some(&message),
                    )
                    .await
                }
                None => Err(e.into()),
            };
        }
    };
    let linked = {
        let (state, user_id, ip) = (state.clone(), new_session.user.id.clone(), ip.clone());
        web::block(move || {
            let mut conn = state.conn()?;
            linking::link_after_password(&mut conn, &browser, &user_id, ip.as_deref(), now)
        })
        .await?
    };
    let return_to = match linked {
        Ok(Some(return_to)) => return_to,
        Ok(None) => pending.return_to,
        Err(e) => return fail(&req, &state, &provider, e, &pending.return_to).await,
    };
    let mut response =
        session::logged_in_redirect(&state, safe_return_to(&return_to), &new_session.secret)?;
    if let Some(device) = &new_session.device_cookie {
        session::remember_device(&state, &mut response, device)?;
    }
    Ok(response)
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

/// POST /login/{provider}/link/mail: a proof mailed to the account's (verified) address.
pub async fn prove_by_mail(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, PageError> {
    csrf::verify(&req, &form.csrf_token)?;
    let provider = provider.into_inner();
    let Some(browser) = browser_hash(&req) else {
        return fail(&req, &state, &provider, FederationError::State, "").await;
    };
    let display = state.federation.display_name_of(&provider).to_string();
    let sent = {
        let (state, ip, now) = (state.clone(), client_ip(&req), state.clock.now());
        web::block(move || {
            let mut conn = state.conn()?;
            linking::send_proof(
                &mut conn,
                &state.flows(),
                &browser,
                &display,
                ip.as_deref(),
                now,
            )
        })
        .await?
    };
    match sent {
        Ok(ProofRequest::Sent) => notice(
            Layout::new(&req, &state),
            StatusCode::OK,
            "Check your inbox",
            "We mailed a link to the address of your account. Open it in this browser within 15 minutes to link the accounts; it works once.",
            ("", ""),
        ),
        Ok(ProofRequest::TooMany) => notice(
            Layout::new(&req, &state),
            StatusCode::TOO_MANY_REQUESTS,
            "Check your inbox",
            "We already mailed several links for this. Open the newest one, or wait 15 minutes and start again.",
            (&format!("/login/{provider}/link"), "Back"),
        ),
        Ok(ProofRequest::NoPendingLink) => {
            fail(&req, &state, &provider, FederationError::State, "").await
        }
        Err(e) => fail(&req, &state, &provider, e, "").await,
    }
}

#[derive(Template)]
#[template(path = "federation_confirm.html")]
struct ConfirmPage<'a> {
    layout: Layout<'a>,
    csrf_token: &'a str,
    provider: &'a str,
    display_name: &'a str,
    token: &'a str,
}

#[derive(Deserialize)]
pub struct ConfirmQuery {
    #[serde(default)]
    token: String,
}

/// GET /login/{provider}/link/confirm?token=…: a button, so that a mail scanner opening the
/// link links nothing.
pub async fn show_confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: web::Path<String>,
    query: web::Query<ConfirmQuery>,
) -> Result<HttpResponse, PageError> {
    let live = {
        let (state, token, browser, now) = (
            state.clone(),
            query.token.clone(),
            browser_hash(&req),
            state.clock.now(),
        );
        web::block(move || {
            let mut conn = state.conn()?;
            linking::proof_is_live(&mut conn, &token, browser.as_ref(), now)
        })
        .await?
    };
    match live {
        Ok(true) => {}
        Ok(false) => return dead_link(&req, &state),
        Err(e) => return fail(&req, &state, &provider, e, "").await,
    }
    let csrf = CsrfToken::for_request(&req, state.cookies_secure());
    let page = ConfirmPage {
        layout: Layout::new(&req, &state),
        csrf_token: &csrf.value,
        provider: &provider,
        display_name: state.federation.display_name_of(&provider),
        token: &query.token,
    };
    Ok(csrf.attach(html(StatusCode::OK, &page)?))
}

fn dead_link(req: &HttpRequest, state: &AppState) -> Result<HttpResponse, PageError> {
    notice(
        Layout::new(req, state),
        StatusCode::BAD_REQUEST,
        "This link no longer works",
        "The link has expired, was already used, was cancelled, or was opened in another browser than the one that asked for it. Log in and link the account again.",
        ("/login", "Back to log in"),
    )
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    csrf_token: String,
}

/// POST /login/{provider}/link/confirm: redeems the mailed proof in this browser.
pub async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: web::Path<String>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, PageError> {
    csrf::verify(&req, &form.csrf_token)?;
    let provider = provider.into_inner();
    let Some(upstream) = state.federation.get(&provider) else {
        return fail(
            &req,
            &state,
            &provider,
            FederationError::UnknownProvider,
            "",
        )
        .await;
    };
    let Some(browser) = browser_hash(&req) else {
        return dead_link(&req, &state);
    };
    let confirmed = {
        let (state, policy, token) = (
            state.clone(),
            policy(&state, &upstream),
            form.into_inner().token,
        );
        let (ip, now) = (client_ip(&req), state.clock.now());
        web::block(move || {
            let mut conn = state.conn()?;
            linking::confirm_proof(&mut conn, policy, &token, &browser, ip.as_deref(), now)
        })
        .await?
    };
    match confirmed {
        Ok(Some((new_session, return_to))) => {
            session::logged_in_redirect(&state, safe_return_to(&return_to), &new_session.secret)
        }
        Ok(None) => dead_link(&req, &state),
        Err(e) => fail(&req, &state, &provider, e, "").await,
    }
}

#[derive(Deserialize)]
pub struct UnlinkForm {
    #[serde(default)]
    provider: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    csrf_token: String,
}

/// POST /account/linked/unlink: never the last way to log in.
pub async fn unlink(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: CurrentSession,
    form: web::Form<UnlinkForm>,
) -> Result<HttpResponse, PageError> {
    csrf::verify(&req, &form.csrf_token)?;
    let Some(session) = session.0 else {
        return Ok(see_other("/login?return_to=%2Faccount"));
    };
    let form = form.into_inner();
    let key = IdentityKey {
        provider: form.provider,
        issuer: form.issuer,
        subject: form.subject,
    };
    let result = {
        let (state, user_id, ip, now) = (
            state.clone(),
            session.user.id.clone(),
            client_ip(&req),
            state.clock.now(),
        );
        web::block(move || {
            let mut conn = state.conn()?;
            linking::unlink(&mut conn, &user_id, &key, ip.as_deref(), now)
        })
        .await?
    };
    let refusal = match result {
        Ok(Ok(())) => return Ok(flash::redirect_with(&state, "/account", Flash::Saved)),
        Ok(Err(refusal)) => refusal,
        Err(FederationError::Store(e)) => return Err(e.into()),
        Err(e) => return Err(PageError::internal(e)),
    };
    let message = match refusal {
        UnlinkRefusal::NotLinked => "This provider is not linked to your account.",
        UnlinkRefusal::LastLoginMethod => "This is the only way you can log in. Set a password (by the \"Forgot your password?\" link on the login page) or link another provider first.",
    };
    notice(
        Layout::new(&req, &state),
        StatusCode::CONFLICT,
        "We couldn't unlink it",
        message,
        ("/account", "Back to your account"),
    )
}

/// The linked-providers section of /account.
pub struct LinkedSection {
    pub linked: Vec<LinkedRow>,
    /// Providers not linked yet: (name, display name).
    pub available: Vec<(String, String)>,
    pub has_password: bool,
}

pub struct LinkedRow {
    pub provider: String,
    pub display_name: String,
    pub issuer: String,
    pub subject: String,
    pub email: String,
}

/// What /account shows of the user's linked providers.
pub async fn linked_section(
    state: &web::Data<AppState>,
    user_id: &str,
) -> Result<LinkedSection, PageError> {
    let (state2, user_id) = (state.clone(), user_id.to_string());
    let found = web::block(move || {
        let mut conn = state2.conn()?;
        linking::linked_identities(&mut conn, &user_id)
    })
    .await?;
    let (identities, has_password) = match found {
        Ok(found) => found,
        Err(FederationError::Store(e)) => return Err(e.into()),
        Err(e) => return Err(PageError::internal(e)),
    };
    let linked: Vec<LinkedRow> = identities
        .into_iter()
        .map(|i| LinkedRow {
            display_name: state.federation.display_name_of(&i.provider).to_string(),
            provider: i.provider,
            issuer: i.issuer,
            subject: i.subject,
            email: i.email.unwrap_or_default(),
        })
        .collect();
    let available = state
        .federation
        .all()
        .iter()
        .map(|p| (p.name().to_string(), p.display_name().to_string()))
        .collect();
    Ok(LinkedSection {
        linked,
        available,
        has_password,
    })
}
