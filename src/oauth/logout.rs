//! The end-session endpoint: OpenID Connect RP-Initiated Logout 1.0.
//!
//! With a valid `id_token_hint` for the browser's user (or no session at all) the session
//! ends at once. Without one, the user confirms first (§2: the OP "SHOULD ask the End-User
//! whether to log out"), so a third-party page cannot log users out at will. Redirection
//! afterwards goes only to a `post_logout_redirect_uri` registered for the client, with
//! `state`; anything else gets Ferrid's own "logged out" page (§3).
use serde::Deserialize;
use serde_json::Value;

use super::authorize::append_query;
use super::OAuthError;
use crate::crypto::jwt::Validation;
use crate::domain::ClientId;
use crate::state::AppState;
use crate::store::clients::{self, Client};
use crate::store::StoreError;

#[derive(Clone, Debug, Default, Deserialize)]
pub struct LogoutParams {
    pub id_token_hint: Option<String>,
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub logout_hint: Option<String>,
    pub ui_locales: Option<String>,
    /// Only on the confirmation form (and the account page's logout button).
    pub csrf_token: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    /// End the session, then redirect there (or show the logged-out page).
    LogOut { redirect: Option<String> },
    /// Ask the user; the confirmation form posts these back.
    Confirm {
        client_name: Option<String>,
        client_id: Option<String>,
        post_logout_redirect_uri: Option<String>,
        state: Option<String>,
    },
    /// The parameters contradict each other: an error page.
    Invalid(&'static str),
}

/// `session_user`: the user of the browser's session, if any. `confirmed`: the user
/// confirmed on our page (the form's CSRF token was checked by the caller).
pub fn decide(
    state: &AppState,
    params: &LogoutParams,
    session_user: Option<&str>,
    confirmed: bool,
    now: i64,
) -> Result<Decision, OAuthError> {
    let hint = params
        .id_token_hint
        .as_deref()
        .filter(|h| !h.is_empty())
        .and_then(|h| verify_hint(state, h, now));
    let hint_client = hint.as_ref().map(|(_, aud)| aud.clone());
    let named_client = params.client_id.clone().filter(|c| !c.is_empty());
    if let (Some(a), Some(b)) = (&hint_client, &named_client) {
        if a != b {
            return Ok(Decision::Invalid(
                "client_id does not match the id_token_hint.",
            ));
        }
    }
    let client = match hint_client.or(named_client) {
        Some(id) => find_client(state, &id)?,
        None => None,
    };
    let redirect = params
        .post_logout_redirect_uri
        .as_deref()
        .filter(|uri| !uri.is_empty())
        .and_then(|uri| registered(client.as_ref(), uri))
        .map(|uri| match params.state.as_deref() {
            Some(s) => append_query(&uri, &[("state", s)]),
            None => uri,
        });
    let hint_matches_session = hint
        .as_ref()
        .is_some_and(|(sub, _)| session_user.is_none_or(|user| user == sub));
    if confirmed || hint_matches_session || session_user.is_none() {
        return Ok(Decision::LogOut { redirect });
    }
    Ok(Decision::Confirm {
        client_name: client.as_ref().map(|c| c.name.clone()),
        client_id: client.as_ref().map(|c| c.client_id.as_str().to_string()),
        post_logout_redirect_uri: params
            .post_logout_redirect_uri
            .clone()
            .filter(|_| redirect.is_some()),
        state: params.state.clone(),
    })
}

/// (sub, aud) of an ID token we issued; expired is fine for a hint (§2).
fn verify_hint(state: &AppState, hint: &str, now: i64) -> Option<(String, String)> {
    let validation = Validation {
        issuer: &state.issuer,
        audience: None,
        typ: None,
        leeway_secs: 100 * 365 * 86400,
    };
    let claims = state.keys.current().verify(hint, &validation, now).ok()?;
    let sub = claims.get("sub")?.as_str()?.to_string();
    let aud = match claims.get("aud")? {
        Value::String(a) => a.clone(),
        Value::Array(a) if a.len() == 1 => a[0].as_str()?.to_string(),
        _ => return None,
    };
    Some((sub, aud))
}

fn find_client(state: &AppState, id: &str) -> Result<Option<Client>, OAuthError> {
    let Ok(id) = ClientId::parse(id) else {
        return Ok(None);
    };
    let mut conn = state.pool.get().map_err(StoreError::from)?;
    Ok(clients::find(&mut conn, &id)?)
}

/// Exact match against the client's registered post-logout URIs (§3).
fn registered(client: Option<&Client>, uri: &str) -> Option<String> {
    client?
        .post_logout_redirect_uris
        .iter()
        .find(|registered| registered.matches(uri))
        .map(|u| u.as_str().to_string())
}
