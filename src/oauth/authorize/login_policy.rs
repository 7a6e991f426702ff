//! Which login a request needs (OIDC Core §3.1.2.1 `prompt`, `max_age`, `id_token_hint`;
//! §3.1.2.3 "re-authenticate"). Pure functions over the request, the session and `now`.
//!
//! When the request demands re-authentication, only a login *after the request began* will
//! do: a session whose `auth_time` is at or after `began_at` and that is not the session the
//! browser presented at the start. The pending request is bound to the browser that started
//! it (see `pending`), so that login also happened in this browser; an older session, or one
//! from a browser that never saw the request, does not count.
use super::request::AuthorizationRequest;

/// The browser's session, as far as authorization cares.
#[derive(Clone, Debug)]
pub struct SessionInfo {
    pub user_id: String,
    pub auth_time: i64,
    pub session_hash: String,
}

/// First pass: records whether the request owes a fresh login, and which session (if any)
/// must not count as one.
pub fn at_start(request: &mut AuthorizationRequest, session: Option<&SessionInfo>, now: i64) {
    request.began_at = now;
    let p = request.prompt;
    // prompt=login and select_account ask for a login now, whatever session exists;
    // max_age=0 means the same (§3.1.2.1).
    let mut owed = p.login || p.select_account || request.max_age == Some(0);
    if let Some(s) = session {
        if request.max_age.is_some_and(|max| now - s.auth_time > max) {
            owed = true;
        }
        // The client expects another user: log in as that one (not with prompt=none, which
        // must fail instead: login_is_satisfied refuses the session).
        if request
            .hint_sub
            .as_deref()
            .is_some_and(|sub| sub != s.user_id)
            && !p.none
        {
            owed = true;
        }
    }
    if owed {
        request.fresh_login_owed = true;
        request.stale_session = session.map(|s| s.session_hash.clone());
    }
}

/// Has the browser's session the login this request needs?
pub fn login_is_satisfied(request: &AuthorizationRequest, session: Option<&SessionInfo>) -> bool {
    let Some(session) = session else {
        return false;
    };
    if request
        .hint_sub
        .as_deref()
        .is_some_and(|sub| sub != session.user_id)
    {
        return false;
    }
    let fresh = session.auth_time >= request.began_at
        && request.stale_session.as_deref() != Some(session.session_hash.as_str());
    if request.fresh_login_owed && !fresh {
        return false;
    }
    // max_age counts from the request: a login made for it always satisfies it, even
    // max_age=0, however long the user then takes to consent.
    if let Some(max_age) = request.max_age {
        if !fresh && request.began_at - session.auth_time > max_age {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClaimsRequest, ClientId, RedirectUri, ScopeSet};
    use crate::oauth::authorize::request::Prompt;

    const NOW: i64 = 1_000;

    fn request(max_age: Option<i64>, prompt: Prompt) -> AuthorizationRequest {
        AuthorizationRequest {
            client_id: ClientId::parse("c").unwrap(),
            redirect_uri: RedirectUri::parse("https://rp.example/cb").unwrap(),
            redirect_uri_given: true,
            scope: ScopeSet::parse("openid").unwrap(),
            state: None,
            nonce: None,
            code_challenge: None,
            prompt,
            max_age,
            login_hint: None,
            hint_sub: None,
            claims: ClaimsRequest::default(),
            began_at: 0,
            stale_session: None,
            fresh_login_owed: false,
        }
    }

    fn session(hash: &str, auth_time: i64) -> SessionInfo {
        SessionInfo {
            user_id: "u".into(),
            auth_time,
            session_hash: hash.into(),
        }
    }

    const ANY: Prompt = Prompt {
        none: false,
        login: false,
        consent: false,
        select_account: false,
    };
    const LOGIN: Prompt = Prompt { login: true, ..ANY };

    /// (case, max_age, prompt, session at start, session later, satisfied later)
    #[allow(clippy::type_complexity)]
    const CASES: &[(
        &str,
        Option<i64>,
        Prompt,
        Option<(&str, i64)>,
        Option<(&str, i64)>,
        bool,
    )] = &[
        ("no session: login needed", None, ANY, None, None, false),
        (
            "§3.1.2.1 any session will do",
            None,
            ANY,
            Some(("a", 10)),
            Some(("a", 10)),
            true,
        ),
        (
            "§3.1.2.1 prompt=login: the session of the start does not count",
            None,
            LOGIN,
            Some(("a", NOW)),
            Some(("a", NOW)),
            false,
        ),
        (
            "prompt=login: a new login during the request does",
            None,
            LOGIN,
            Some(("a", 10)),
            Some(("b", NOW + 5)),
            true,
        ),
        (
            "prompt=login started without a cookie: an older session does not count",
            None,
            LOGIN,
            None,
            Some(("a", NOW - 1)),
            false,
        ),
        (
            "prompt=login started without a cookie: a login after the start does",
            None,
            LOGIN,
            None,
            Some(("b", NOW)),
            true,
        ),
        (
            "max_age=0 without a cookie: an older session does not count",
            Some(0),
            ANY,
            None,
            Some(("a", NOW - 1)),
            false,
        ),
        (
            "max_age=0: a login for this request satisfies it",
            Some(0),
            ANY,
            Some(("a", 10)),
            Some(("b", NOW + 1)),
            true,
        ),
        (
            "max_age: too old at the start",
            Some(10),
            ANY,
            Some(("a", NOW - 50)),
            Some(("a", NOW - 50)),
            false,
        ),
        (
            "max_age: recent enough at the start",
            Some(60),
            ANY,
            Some(("a", NOW - 50)),
            Some(("a", NOW - 50)),
            true,
        ),
        (
            "max_age: an old session met later does not count",
            Some(60),
            ANY,
            None,
            Some(("a", NOW - 61)),
            false,
        ),
    ];

    #[test]
    fn fresh_login_rules() {
        for (case, max_age, prompt, start, later, expected) in CASES {
            let mut r = request(*max_age, *prompt);
            let start = start.map(|(h, t)| session(h, t));
            at_start(&mut r, start.as_ref(), NOW);
            assert_eq!(r.began_at, NOW, "{case}");
            let later = later.map(|(h, t)| session(h, t));
            assert_eq!(login_is_satisfied(&r, later.as_ref()), *expected, "{case}");
        }
    }

    #[test]
    fn id_token_hint_names_the_user() {
        let mut r = request(None, Prompt::default());
        r.hint_sub = Some("someone-else".into());
        let s = session("a", 10);
        at_start(&mut r, Some(&s), NOW);
        assert!(r.fresh_login_owed, "§3.1.2.1: log in as the hinted user");
        assert!(!login_is_satisfied(&r, Some(&s)));
        let mut hinted = session("b", NOW);
        hinted.user_id = "someone-else".into();
        assert!(login_is_satisfied(&r, Some(&hinted)));
    }
}
