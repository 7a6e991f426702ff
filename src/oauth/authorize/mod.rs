//! The authorization endpoint: RFC 6749 §4.1.1–4.1.2, OpenID Connect Core §3.1.2, PKCE
//! (RFC 7636) and the `iss` response parameter (RFC 9207).
//!
//! Errors go two ways (§4.1.2.1): until the client and its redirect_uri are verified, an
//! error *page* and never a redirect (an attacker must not turn Ferrid into an open
//! redirector); after, a redirect back to the client with `error`, `state` and `iss`.
//!
//! A request that needs the user (login, consent) is stored server-side as a pending
//! request bound to the browser that started it (`pending`); its random id travels through
//! the login and consent pages.
//!
//! - `decision`: the authorization decision, pure: verification, validation, login,
//!   consent, and `prompt=none`, over the rows read for the request and `now`;
//! - `request`: reading and validating the parameters;
//! - `login_policy`: which login the request needs (`prompt`, `max_age`, `id_token_hint`);
//! - `consent`: what the user consents to (scopes and named claims) and when to ask;
//! - `pending`: storing, binding and finding pending requests;
//! - `response`: the code and error redirects.
mod consent;
mod decision;
mod login_policy;
mod pending;
mod request;
mod response;

pub use consent::{describe_scope, ConsentView};
pub use decision::{consent_answer, decide, next_step, ConsentAnswer, Decision, FirstPass, Step};
pub use login_policy::SessionInfo;
pub use pending::{is_waiting_for, Browser, Origin, PENDING_LIFETIME};
pub use request::{AuthorizationRequest, AuthorizeParams, Prompt};
pub use response::{append_query, error_redirect, CODE_LIFETIME};

use consent::Asked;
use login_policy::login_is_satisfied;
use pending::Opened;
use response::issue_code;

use super::{issue, Error, OAuthError, Provider};
use crate::domain::{ClientId, TokenHash};
use crate::store::audit::{self, Event, EventKind};
use crate::store::clients::{self, Client};
use crate::store::consents::{self, Consent};
use crate::store::{DbConn, StoreError};

/// What the web layer does next.
#[derive(Debug)]
pub enum Outcome {
    /// To the client: a code, or an error it should see.
    Redirect(String),
    /// An error page (client or redirect_uri not verified, or a dead pending request).
    Page(String),
    /// The login page, coming back to `/authorize/continue?request=…`.
    Login {
        request_id: String,
        login_hint: Option<String>,
    },
    /// The consent page for the pending request.
    Consent { request_id: String },
}

impl Outcome {
    /// Whether a pending request was stored for the browser (it needs its binding cookie).
    pub fn is_pending(&self) -> bool {
        matches!(self, Outcome::Login { .. } | Outcome::Consent { .. })
    }
}

// The page adds what to do: go back to the application and start over.
const EXPIRED: &str = "This sign-in request has expired or was already used.";
const START_OVER: &str = "This sign-in request was started in another browser, or this browser no longer has its cookie. For your safety it cannot be continued here.";

/// Where a pass over the request stands: the first (nothing stored yet; at most
/// `max_pending` requests may wait per client IP), or a later one.
enum Pass<'a> {
    First {
        origin: &'a Origin,
        max_pending: i64,
    },
    Later {
        id: &'a str,
        id_hash: &'a TokenHash,
    },
}

/// GET or POST /authorize: reads the client, checks the hint, reads the remembered consent,
/// decides ([`decide`]) and carries the decision out.
pub fn start(
    provider: &Provider<'_>,
    conn: &mut DbConn,
    params: AuthorizeParams,
    session: Option<SessionInfo>,
    origin: Origin,
    now: i64,
) -> Result<Outcome, Error> {
    let client = match request::client_id(&params) {
        Some(id) => clients::find(conn, &id)?,
        None => None,
    };
    let hint = issue::check_hint(provider, params.id_token_hint.as_deref(), now);
    let consent = remembered(
        conn,
        session.as_ref(),
        client.as_ref().map(|c| &c.client_id),
    )?;
    let pass = FirstPass {
        params: &params,
        client: client.as_ref(),
        hint: &hint,
        session: session.as_ref(),
        consent: consent.as_ref(),
    };
    let issuer = provider.issuer;
    match decide(&pass, now) {
        Decision::Page(message) => Ok(Outcome::Page(message)),
        Decision::Refuse {
            redirect_uri,
            state,
            error,
        } => {
            let location = error_redirect(issuer, &redirect_uri, &error, state.as_deref());
            Ok(Outcome::Redirect(location))
        }
        Decision::Proceed { request, step } => {
            let pass = Pass::First {
                origin: &origin,
                max_pending: provider.max_pending_per_ip,
            };
            carry_out(issuer, conn, &request, pass, step, now)
        }
    }
}

/// After the login page: `/authorize/continue?request=ID`.
pub fn resume(
    issuer: &str,
    conn: &mut DbConn,
    request_id: &str,
    session: Option<SessionInfo>,
    browser: Browser,
    now: i64,
) -> Result<Outcome, Error> {
    let (client, request, id_hash) =
        match reopen(conn, request_id, &browser, session.as_ref(), now)? {
            Ok(found) => found,
            Err(outcome) => return Ok(outcome),
        };
    let consent = remembered(conn, session.as_ref(), Some(&client.client_id))?;
    let step = next_step(&request, &client, session.as_ref(), consent.as_ref());
    let pass = Pass::Later {
        id: request_id,
        id_hash: &id_hash,
    };
    carry_out(issuer, conn, &request, pass, step, now)
}

/// The consent page's content, or where to go instead (no session yet, say).
pub fn consent_view(
    conn: &mut DbConn,
    request_id: &str,
    session: Option<SessionInfo>,
    browser: Browser,
    now: i64,
) -> Result<Result<ConsentView, Outcome>, Error> {
    let (client, request, _) = match reopen(conn, request_id, &browser, session.as_ref(), now)? {
        Ok(found) => found,
        Err(outcome) => return Ok(Err(outcome)),
    };
    if !login_is_satisfied(&request, session.as_ref()) {
        return Ok(Err(login(request_id, &request)));
    }
    let asked = Asked::of(&request);
    Ok(Ok(ConsentView::new(&client.name, &asked, request_id)))
}

/// The name of the application a pending request is for, so the login page can say what
/// the person is logging in to ("to continue to Example"). Read-only, and only for the
/// browser that started the request: a login link carrying someone else's request id
/// names no application (it could not be continued here anyway).
pub fn client_name(
    conn: &mut DbConn,
    request_id: &str,
    browser: &Browser,
    now: i64,
) -> Result<Option<String>, StoreError> {
    Ok(
        match pending::open(conn, request_id, browser.binding.as_ref(), now)? {
            Opened::Found(found) => Some(found.client.name),
            Opened::Gone | Opened::ForeignBrowser => None,
        },
    )
}

/// POST /consent: the user allowed or denied the pending request.
pub fn submit_consent(
    issuer: &str,
    conn: &mut DbConn,
    request_id: &str,
    session: Option<SessionInfo>,
    browser: Browser,
    allow: bool,
    now: i64,
) -> Result<Outcome, Error> {
    let (client, request, id_hash) =
        match reopen(conn, request_id, &browser, session.as_ref(), now)? {
            Ok(found) => found,
            Err(outcome) => return Ok(outcome),
        };
    let allowed = match consent_answer(&request, session.as_ref(), allow) {
        ConsentAnswer::Login => return Ok(login(request_id, &request)),
        ConsentAnswer::Deny(error) => Err(error),
        ConsentAnswer::Allow(session) => Ok(session),
    };
    // Single use: of two submissions only one proceeds.
    if !pending::take(conn, &id_hash)? {
        return Ok(Outcome::Page(EXPIRED.into()));
    }
    let session = match allowed {
        Ok(session) => session,
        Err(error) => return Ok(refused(issuer, &request, &error)),
    };
    record_consent(conn, &client, &request, session, &browser, now)?;
    Ok(Outcome::Redirect(issue_code(
        issuer, conn, &request, session, now,
    )?))
}

/// What the session's user consented to for the client before, if anything.
fn remembered(
    conn: &mut DbConn,
    session: Option<&SessionInfo>,
    client_id: Option<&ClientId>,
) -> Result<Option<Consent>, StoreError> {
    match (session, client_id) {
        (Some(session), Some(client_id)) => {
            consents::find_consent(conn, &session.user_id, client_id)
        }
        _ => Ok(None),
    }
}

/// Remembers what the user allowed (scopes and named claims), with an audit event.
fn record_consent(
    conn: &mut DbConn,
    client: &Client,
    request: &AuthorizationRequest,
    session: &SessionInfo,
    browser: &Browser,
    now: i64,
) -> Result<(), StoreError> {
    let asked = Asked::of(request);
    let user = session.user_id.as_str();
    consents::add_consent(
        conn,
        user,
        &client.client_id,
        &asked.scope,
        &asked.claims,
        now,
    )?;
    let claims: Vec<&str> = asked.claims.iter().map(String::as_str).collect();
    let detail = format!(
        "client {}: scope \"{}\", claims \"{}\"",
        client.client_id,
        asked.scope,
        claims.join(" ")
    );
    let event = Event::new(EventKind::ConsentGranted)
        .user(user)
        .ip(browser.ip.as_deref());
    audit::record(conn, &event.detail(&detail), now)
}

/// The pending request for a later pass, or what to show instead.
fn reopen(
    conn: &mut DbConn,
    request_id: &str,
    browser: &Browser,
    session: Option<&SessionInfo>,
    now: i64,
) -> Result<Result<(Client, AuthorizationRequest, TokenHash), Outcome>, StoreError> {
    match pending::open(conn, request_id, browser.binding.as_ref(), now)? {
        Opened::Found(found) => Ok(Ok((found.client, found.request, found.id_hash))),
        Opened::Gone => Ok(Err(Outcome::Page(EXPIRED.into()))),
        Opened::ForeignBrowser => {
            // Someone else's request reached a signed-in user: likely an attack on them.
            // Recorded only then, so anonymous retries cannot fill the audit log.
            if let Some(s) = session {
                let event = Event::new(EventKind::AuthorizeForeignBrowser)
                    .user(&s.user_id)
                    .ip(browser.ip.as_deref())
                    .detail("a pending authorization request was continued from another browser");
                audit::record(conn, &event, now)?;
            }
            Ok(Err(Outcome::Page(START_OVER.into())))
        }
    }
}

fn login(request_id: &str, request: &AuthorizationRequest) -> Outcome {
    Outcome::Login {
        request_id: request_id.to_string(),
        login_hint: request.login_hint.clone(),
    }
}

fn refused(issuer: &str, request: &AuthorizationRequest, error: &OAuthError) -> Outcome {
    let state = request.state.as_deref();
    Outcome::Redirect(error_redirect(issuer, &request.redirect_uri, error, state))
}

/// Carries out the next step: stores the request for the login or consent page, or ends
/// it with an error or a code.
fn carry_out(
    issuer: &str,
    conn: &mut DbConn,
    request: &AuthorizationRequest,
    pass: Pass<'_>,
    step: Step<'_>,
    now: i64,
) -> Result<Outcome, Error> {
    match step {
        Step::Login => Ok(match wait(issuer, conn, request, &pass, now)? {
            Ok(id) => login(&id, request),
            Err(refused) => refused,
        }),
        Step::Consent => Ok(match wait(issuer, conn, request, &pass, now)? {
            Ok(id) => Outcome::Consent { request_id: id },
            Err(refused) => refused,
        }),
        Step::Refuse(error) => {
            if let Pass::Later { id_hash, .. } = pass {
                pending::take(conn, id_hash)?;
            }
            Ok(refused(issuer, request, &error))
        }
        Step::Code(session) => {
            if let Pass::Later { id_hash, .. } = pass {
                if !pending::take(conn, id_hash)? {
                    return Ok(Outcome::Page(EXPIRED.into()));
                }
            }
            Ok(Outcome::Redirect(issue_code(
                issuer, conn, request, session, now,
            )?))
        }
    }
}

/// The id of the stored request, storing it on the first pass; an error redirect when the
/// client IP already keeps too many waiting.
fn wait(
    issuer: &str,
    conn: &mut DbConn,
    request: &AuthorizationRequest,
    pass: &Pass<'_>,
    now: i64,
) -> Result<Result<String, Outcome>, Error> {
    let (origin, max_pending) = match pass {
        Pass::Later { id, .. } => return Ok(Ok(id.to_string())),
        Pass::First {
            origin,
            max_pending,
        } => (origin, *max_pending),
    };
    if let Some(id) = pending::create(conn, request, origin, max_pending, now)? {
        return Ok(Ok(id));
    }
    log::warn!("authorize: pending request refused, this client IP keeps too many waiting");
    // RFC 6749 §4.1.2.1: "temporarily unable to handle the request due to a temporary
    // overloading".
    let error = OAuthError::temporarily_unavailable(
        "too many sign-in requests are waiting from this address; try again later",
    );
    Ok(Err(refused(issuer, request, &error)))
}
