//! The end-session endpoint: OpenID Connect RP-Initiated Logout 1.0, by GET or POST (§2).
//!
//! With a valid `id_token_hint` for the browser's user (or no session at all) the session
//! ends at once. Without one, the user confirms first (§2: the OP "SHOULD ask the End-User
//! whether to log out"), so a third-party page cannot log users out at will. The hint must
//! be an ID token of ours (an access token is not one) issued to a registered client, the
//! `client_id` when one is given (§2); anything else is refused (§4: a failed validation is
//! an error, and there is no post-logout redirection). Redirection afterwards goes only to a
//! `post_logout_redirect_uri` registered for the client, with `state`; anything else gets
//! Ferrid's own "logged out" page (§3).
use serde::Deserialize;

use super::authorize::append_query;
use super::issue::{self, IdTokenHint};
use super::OAuthError;
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

impl LogoutParams {
    /// Whether a relying party's parameter is present: a POST carrying one without our CSRF
    /// token is an RP's logout request (§2), not a forged confirmation.
    pub fn from_relying_party(&self) -> bool {
        [
            &self.id_token_hint,
            &self.client_id,
            &self.post_logout_redirect_uri,
            &self.state,
            &self.logout_hint,
            &self.ui_locales,
        ]
        .iter()
        .any(|v| v.as_deref().is_some_and(|s| !s.is_empty()))
    }
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
    /// The parameters are invalid or contradict each other: an error page, nothing ends.
    Invalid(&'static str),
}

/// The `id_token_hint` as checked.
#[derive(Debug)]
pub enum Hint {
    Absent,
    /// Not an ID token of ours (forged, an access token, signed by an unknown key).
    Invalid,
    Valid(IdTokenHint),
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
    let hint = match params.id_token_hint.as_deref().filter(|h| !h.is_empty()) {
        None => Hint::Absent,
        Some(raw) => {
            issue::verify_id_token_hint(state, raw, now).map_or(Hint::Invalid, Hint::Valid)
        }
    };
    let client_id = match &hint {
        Hint::Valid(h) => Some(h.aud.as_str()),
        _ => params.client_id.as_deref().filter(|c| !c.is_empty()),
    };
    let client = match client_id {
        Some(id) => find_client(state, id)?,
        None => None,
    };
    Ok(choose(
        params,
        &hint,
        client.as_ref(),
        session_user,
        confirmed,
    ))
}

/// The decision, given the checked hint and the client it (or `client_id`) names.
pub fn choose(
    params: &LogoutParams,
    hint: &Hint,
    client: Option<&Client>,
    session_user: Option<&str>,
    confirmed: bool,
) -> Decision {
    let named_client = params.client_id.as_deref().filter(|c| !c.is_empty());
    let hint = match hint {
        Hint::Absent => None,
        Hint::Invalid => {
            return Decision::Invalid("The id_token_hint is not an ID token issued by this server.")
        }
        Hint::Valid(h) => Some(h),
    };
    if let Some(h) = hint {
        // §2: the hint's audience is a client registered here, and the client_id if given.
        if named_client.is_some_and(|named| named != h.aud) {
            return Decision::Invalid("client_id does not match the id_token_hint.");
        }
        if client.is_none() {
            return Decision::Invalid("The id_token_hint was not issued to a registered client.");
        }
    }
    let redirect = params
        .post_logout_redirect_uri
        .as_deref()
        .filter(|uri| !uri.is_empty())
        .and_then(|uri| registered(client, uri))
        .map(|uri| match params.state.as_deref() {
            Some(s) => append_query(&uri, &[("state", s)]),
            None => uri,
        });
    let hint_matches_session = hint.is_some_and(|h| session_user.is_none_or(|user| user == h.sub));
    if confirmed || hint_matches_session || session_user.is_none() {
        return Decision::LogOut { redirect };
    }
    Decision::Confirm {
        client_name: client.map(|c| c.name.clone()),
        client_id: client.map(|c| c.client_id.as_str().to_string()),
        post_logout_redirect_uri: params
            .post_logout_redirect_uri
            .clone()
            .filter(|_| redirect.is_some()),
        state: params.state.clone(),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::registration::{build_client, NewClientRequest};

    const BYE: &str = "https://rp.example/bye";

    fn client() -> Client {
        let request = NewClientRequest {
            name: "RP".into(),
            redirect_uris: vec!["https://rp.example/cb".into()],
            post_logout_redirect_uris: vec![BYE.into()],
            ..Default::default()
        };
        build_client(&request, 0).unwrap().0
    }

    fn valid(sub: &str, aud: &str) -> Hint {
        Hint::Valid(IdTokenHint {
            sub: sub.into(),
            aud: aud.into(),
        })
    }

    #[test]
    fn logout_decisions() {
        let c = client();
        let id = c.client_id.as_str().to_string();
        let params = |client_id: Option<&str>| LogoutParams {
            client_id: client_id.map(str::to_string),
            post_logout_redirect_uri: Some(BYE.into()),
            state: Some("s".into()),
            ..Default::default()
        };
        let out = Decision::LogOut {
            redirect: Some(format!("{BYE}?state=s")),
        };
        let is_confirm = |d: &Decision| matches!(d, Decision::Confirm { .. });
        // §2: a valid hint for the session's user logs out at once and redirects.
        assert_eq!(
            choose(&params(None), &valid("u", &id), Some(&c), Some("u"), false),
            out
        );
        // ... and with a matching client_id.
        assert_eq!(
            choose(
                &params(Some(&id)),
                &valid("u", &id),
                Some(&c),
                Some("u"),
                false
            ),
            out
        );
        // §2: a client_id naming another client than the hint's audience is refused.
        let d = choose(
            &params(Some("other")),
            &valid("u", &id),
            Some(&c),
            Some("u"),
            false,
        );
        assert!(matches!(d, Decision::Invalid(_)), "{d:?}");
        // A hint that is no ID token of ours (an access token) is refused, not ignored.
        let d = choose(
            &params(Some(&id)),
            &Hint::Invalid,
            Some(&c),
            Some("u"),
            false,
        );
        assert!(matches!(d, Decision::Invalid(_)), "{d:?}");
        // A hint whose audience is no registered client.
        let d = choose(&params(None), &valid("u", "gone"), None, Some("u"), false);
        assert!(matches!(d, Decision::Invalid(_)), "{d:?}");
        // No hint (GET or an RP's POST): the user confirms first.
        assert!(is_confirm(&choose(
            &params(Some(&id)),
            &Hint::Absent,
            Some(&c),
            Some("u"),
            false
        )));
        // A hint for another user than the session's: confirm too.
        assert!(is_confirm(&choose(
            &params(None),
            &valid("v", &id),
            Some(&c),
            Some("u"),
            false
        )));
        // Confirmed on our page, or nobody logged in: log out.
        assert_eq!(
            choose(&params(Some(&id)), &Hint::Absent, Some(&c), Some("u"), true),
            out
        );
        assert_eq!(
            choose(&params(Some(&id)), &Hint::Absent, Some(&c), None, false),
            out
        );
        // §3: an unregistered URI is never a redirect.
        let mut evil = params(Some(&id));
        evil.post_logout_redirect_uri = Some("https://evil.example/".into());
        let d = choose(&evil, &Hint::Absent, Some(&c), Some("u"), true);
        assert_eq!(d, Decision::LogOut { redirect: None });
    }

    #[test]
    fn relying_party_parameters() {
        assert!(!LogoutParams::default().from_relying_party());
        let p = LogoutParams {
            csrf_token: Some("t".into()),
            ..Default::default()
        };
        assert!(!p.from_relying_party());
        let p = LogoutParams {
            client_id: Some("c".into()),
            ..Default::default()
        };
        assert!(p.from_relying_party());
    }
}
