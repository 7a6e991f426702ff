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
use super::issue::{self, Hint};
use super::{Error, Provider};
use crate::domain::ClientId;
use crate::store::clients::{self, Client};
use crate::store::DbConn;

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

/// /logout: checks the hint, reads the client it (or `client_id`) names, and decides.
/// `session_user`: the user of the browser's session, if any. `confirmed`: the user
/// confirmed on our page (the form's CSRF token was checked by the caller).
pub fn handle(
    provider: &Provider<'_>,
    conn: &mut DbConn,
    params: &LogoutParams,
    session_user: Option<&str>,
    confirmed: bool,
    now: i64,
) -> Result<Decision, Error> {
    let hint = issue::check_hint(provider, params.id_token_hint.as_deref(), now);
    let client_id = match &hint {
        Hint::Valid(h) => Some(h.aud.as_str()),
        _ => params.client_id.as_deref().filter(|c| !c.is_empty()),
    };
    let client = match client_id.map(ClientId::parse) {
        Some(Ok(id)) => clients::find(conn, &id)?,
        Some(Err(_)) | None => None,
    };
    Ok(decide(
        params,
        &hint,
        client.as_ref(),
        session_user,
        confirmed,
    ))
}

/// The logout decision, given the checked hint and the client it (or `client_id`) names.
pub fn decide(
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
    use crate::oauth::issue::IdTokenHint;
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

    /// What a decision comes to, for the table.
    fn outcome(d: &Decision) -> &'static str {
        match d {
            Decision::LogOut { redirect: Some(_) } => "log out, redirect",
            Decision::LogOut { redirect: None } => "log out, our page",
            Decision::Confirm { .. } => "confirm",
            Decision::Invalid(_) => "error page",
        }
    }

    #[test]
    fn the_logout_decision() {
        let c = client();
        let id = c.client_id.as_str().to_string();
        let params = |client_id: Option<&str>, uri: &str| LogoutParams {
            client_id: client_id.map(str::to_string),
            post_logout_redirect_uri: Some(uri.into()),
            state: Some("s".into()),
            ..Default::default()
        };
        let (ours, theirs) = (Some(id.as_str()), Some("other"));
        let evil = "https://evil.example/";
        let (hint_u, hint_v, hint_gone) = (valid("u", &id), valid("v", &id), valid("u", "gone"));
        // (case, params, hint, client read, session user, confirmed on our page, outcome)
        type Case<'a> = (
            &'a str,
            LogoutParams,
            &'a Hint,
            Option<&'a Client>,
            Option<&'a str>,
            bool,
            &'a str,
        );
        #[rustfmt::skip]
        let cases: Vec<Case<'_>> = vec![
            ("RP-Initiated Logout §2 a valid hint for the session's user: at once", params(None, BYE), &hint_u, Some(&c), Some("u"), false, "log out, redirect"),
            ("§2 ... with the matching client_id", params(ours, BYE), &hint_u, Some(&c), Some("u"), false, "log out, redirect"),
            ("§2 client_id names another client than the hint's audience", params(theirs, BYE), &hint_u, Some(&c), Some("u"), false, "error page"),
            ("§4 a hint that is no ID token of ours is refused, not ignored", params(ours, BYE), &Hint::Invalid, Some(&c), Some("u"), false, "error page"),
            ("§2 the hint's audience is no registered client", params(None, BYE), &hint_gone, None, Some("u"), false, "error page"),
            ("§2 no hint: the user is asked", params(ours, BYE), &Hint::Absent, Some(&c), Some("u"), false, "confirm"),
            ("§2 a hint for another user than the session's: asked", params(None, BYE), &hint_v, Some(&c), Some("u"), false, "confirm"),
            ("§2 confirmed on our page", params(ours, BYE), &Hint::Absent, Some(&c), Some("u"), true, "log out, redirect"),
            ("§2 nobody logged in: nothing to protect", params(ours, BYE), &Hint::Absent, Some(&c), None, false, "log out, redirect"),
            ("§3 an unregistered post_logout_redirect_uri is never a redirect", params(ours, evil), &Hint::Absent, Some(&c), Some("u"), true, "log out, our page"),
            ("§3 no client named: no redirect", params(None, BYE), &Hint::Absent, None, None, false, "log out, our page"),
        ];
        for (case, params, hint, client, session, confirmed, expected) in cases {
            let decision = decide(&params, hint, client, session, confirmed);
            assert_eq!(outcome(&decision), expected, "{case}: {decision:?}");
        }
    }

    #[test]
    fn the_redirect_carries_state_and_the_confirmation_only_a_registered_uri() {
        let c = client();
        let params = LogoutParams {
            post_logout_redirect_uri: Some(BYE.into()),
            state: Some("s".into()),
            ..Default::default()
        };
        let hint = valid("u", c.client_id.as_str());
        let d = decide(&params, &hint, Some(&c), Some("u"), false);
        let redirect = Some(format!("{BYE}?state=s"));
        assert_eq!(d, Decision::LogOut { redirect }, "§3: with state");
        let mut evil = params.clone();
        evil.post_logout_redirect_uri = Some("https://evil.example/".into());
        match decide(&evil, &Hint::Absent, Some(&c), Some("u"), false) {
            Decision::Confirm {
                post_logout_redirect_uri,
                ..
            } => assert_eq!(post_logout_redirect_uri, None),
            other => panic!("{other:?}"),
        }
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
