//! The authorization decision, as pure functions over the request's parameters, the rows
//! already read for it (the client, the remembered consent), the browser's session, the
//! checked `id_token_hint` and `now`. The order is the specs': the client and its
//! redirect_uri first (errors are pages, RFC 6749 §4.1.2.1), then the other parameters
//! (errors are redirects), then the login the request needs (OIDC Core §3.1.2.1 `prompt`,
//! `max_age`, hints), then consent (§3.1.2.4), and `prompt=none` turns what would need the
//! user into an error (§3.1.2.6).
use super::consent::{self, Asked};
use super::login_policy::{self, login_is_satisfied, SessionInfo};
use super::request::{self, AuthorizationRequest, AuthorizeParams};
use crate::domain::RedirectUri;
use crate::oauth::issue::Hint;
use crate::oauth::OAuthError;
use crate::store::clients::Client;
use crate::store::consents::Consent;

/// What the first pass over a request knows.
#[derive(Clone, Copy, Debug)]
pub struct FirstPass<'a> {
    pub params: &'a AuthorizeParams,
    /// The client `client_id` names, if it is registered.
    pub client: Option<&'a Client>,
    /// The `id_token_hint`, checked against our keys.
    pub hint: &'a Hint,
    /// The browser's login session.
    pub session: Option<&'a SessionInfo>,
    /// What the session's user consented to for this client before.
    pub consent: Option<&'a Consent>,
}

/// The decision on a new request.
#[derive(Debug)]
pub enum Decision<'a> {
    /// An error page, never a redirect: the client or its redirect_uri is not verified
    /// (RFC 6749 §4.1.2.1: "MUST NOT automatically redirect the user-agent").
    Page(String),
    /// An error for the verified client, at its redirect_uri (§4.1.2.1).
    Refuse {
        redirect_uri: RedirectUri,
        state: Option<String>,
        error: OAuthError,
    },
    /// A valid request, and what it needs next.
    Proceed {
        request: Box<AuthorizationRequest>,
        step: Step<'a>,
    },
}

/// What a valid request needs next.
#[derive(Debug)]
pub enum Step<'s> {
    /// The user must log in (again) for this request.
    Login,
    /// The user must consent.
    Consent,
    /// A code for this session's user (RFC 6749 §4.1.2).
    Code(&'s SessionInfo),
    /// `prompt=none` cannot be honoured (OIDC Core §3.1.2.6): an error redirect.
    Refuse(OAuthError),
}

/// The first pass: verify, validate, then the next step.
pub fn decide<'a>(pass: &FirstPass<'a>, now: i64) -> Decision<'a> {
    let (client, redirect_uri, given) = match request::verify_client(pass.params, pass.client) {
        Ok(verified) => verified,
        Err(message) => return Decision::Page(message),
    };
    let validated = request::validate(
        client,
        redirect_uri.clone(),
        given,
        pass.params,
        pass.hint,
        now,
    );
    let mut request = match validated {
        Ok(request) => request,
        Err(error) => {
            return Decision::Refuse {
                redirect_uri,
                state: pass.params.state.clone(),
                error,
            }
        }
    };
    login_policy::at_start(&mut request, pass.session, now);
    let step = next_step(&request, client, pass.session, pass.consent);
    Decision::Proceed {
        request: Box::new(request),
        step,
    }
}

/// Login, consent, or a code, for a valid request (on its first pass, and back from the
/// login page). `consent`: what the session's user consented to for the client before.
pub fn next_step<'s>(
    request: &AuthorizationRequest,
    client: &Client,
    session: Option<&'s SessionInfo>,
    consent: Option<&Consent>,
) -> Step<'s> {
    let Some(session) = session.filter(|s| login_is_satisfied(request, Some(s))) else {
        return match request.prompt.none {
            true => Step::Refuse(OAuthError::login_required("the user is not logged in")),
            false => Step::Login,
        };
    };
    let asked = Asked::of(request);
    if consent::needed(&asked, consent, client.skip_consent, request.prompt.consent) {
        return match request.prompt.none {
            true => Step::Refuse(OAuthError::consent_required("the user has not consented")),
            // Consent is asked once per request: after it, prompt=consent is satisfied.
            false => Step::Consent,
        };
    }
    Step::Code(session)
}

/// The consent page's answer (POST /consent).
#[derive(Debug)]
pub enum ConsentAnswer<'s> {
    /// The session no longer has the login the request needs.
    Login,
    /// RFC 6749 §4.1.2.1 `access_denied`.
    Deny(OAuthError),
    /// Consent given: record it, and a code for this session's user.
    Allow(&'s SessionInfo),
}

pub fn consent_answer<'s>(
    request: &AuthorizationRequest,
    session: Option<&'s SessionInfo>,
    allow: bool,
) -> ConsentAnswer<'s> {
    let Some(session) = session.filter(|s| login_is_satisfied(request, Some(s))) else {
        return ConsentAnswer::Login;
    };
    match allow {
        true => ConsentAnswer::Allow(session),
        false => ConsentAnswer::Deny(OAuthError::access_denied("the user denied the request")),
    }
}

#[cfg(test)]
mod tests;
