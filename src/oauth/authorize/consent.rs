//! What the user consents to (OIDC Core §3.1.2.4): the requested scopes, and the claims the
//! request names (§5.5) beyond those the scopes carry. A remembered consent covers a request
//! only if it covered all of that before; otherwise the consent page shows it, and
//! `prompt=none` gets `consent_required` (§3.1.2.6).
use std::collections::BTreeSet;

use super::request::AuthorizationRequest;
use crate::domain::claims::scope_of;
use crate::domain::ScopeSet;
use crate::oauth::claims::describe_claim;
use crate::store::consents::Consent;

/// What a request asks the user to allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asked {
    pub scope: ScopeSet,
    /// Claims named in the claims request that `scope` does not carry.
    pub claims: BTreeSet<String>,
}

impl Asked {
    pub fn of(request: &AuthorizationRequest) -> Asked {
        Asked {
            scope: request.scope.clone(),
            claims: request.claims.beyond(&request.scope),
        }
    }
}

/// Whether `consent` already allows everything asked: each scope, and each claim either by
/// name or by a consented scope carrying it.
pub fn covers(consent: &Consent, asked: &Asked) -> bool {
    asked.scope.is_subset(&consent.scope)
        && asked.claims.iter().all(|claim| {
            consent.claims.contains(claim)
                || scope_of(claim).is_some_and(|s| consent.scope.contains(s))
        })
}

/// Is the consent page needed? `prompt=consent` always asks (§3.1.2.1), even a first-party
/// client registered to skip consent.
pub fn needed(
    asked: &Asked,
    remembered: Option<&Consent>,
    skip_consent: bool,
    prompt_consent: bool,
) -> bool {
    prompt_consent || (!skip_consent && !remembered.is_some_and(|c| covers(c, asked)))
}

/// What the consent page shows.
#[derive(Debug)]
pub struct ConsentView {
    pub client_name: String,
    pub scopes: Vec<(String, &'static str)>,
    /// Claims asked for by name, beyond the scopes: (claim, in words).
    pub claims: Vec<(String, &'static str)>,
    pub request_id: String,
}

impl ConsentView {
    pub fn new(client_name: &str, asked: &Asked, request_id: &str) -> ConsentView {
        ConsentView {
            client_name: client_name.to_string(),
            scopes: asked
                .scope
                .iter()
                .map(|s| (s.to_string(), describe_scope(s)))
                .collect(),
            claims: asked
                .claims
                .iter()
                .map(|c| (c.clone(), describe_claim(c)))
                .collect(),
            request_id: request_id.to_string(),
        }
    }
}

/// Scope values in words, for the consent page ("… may:") and the connected applications:
/// what the application can do, in plain language; the page shows the scope's name after it,
/// small, for those who know it.
pub fn describe_scope(scope: &str) -> &'static str {
    match scope {
        "openid" => "Know that it is you when you sign in (it gets an identifier for your account, never your password)",
        "profile" => "See your name and profile details",
        "email" => "See your email address",
        "address" => "See your postal address",
        "phone" => "See your phone number",
        "offline_access" => "Keep access to your account while you are away, until you remove it",
        _ => "Other access, which the application names",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(scope: &str, claims: &[&str]) -> Asked {
        Asked {
            scope: ScopeSet::parse(scope).unwrap(),
            claims: claims.iter().map(|c| c.to_string()).collect(),
        }
    }

    fn consent(scope: &str, claims: &[&str]) -> Consent {
        let a = asked(scope, claims);
        Consent {
            scope: a.scope,
            claims: a.claims,
        }
    }

    #[test]
    fn when_consent_is_needed() {
        let (openid, openid_email) = (consent("openid", &[]), consent("openid email", &[]));
        let email_by_name = consent("openid", &["email"]);
        // (case, asked, remembered, skip_consent, prompt=consent, needed)
        type Case<'a> = (&'a str, Asked, Option<&'a Consent>, bool, bool, bool);
        #[rustfmt::skip]
        let cases: &[Case<'_>] = &[
            ("OIDC Core §3.1.2.4 first time", asked("openid", &[]), None, false, false, true),
            ("§3.1.2.4 same scopes again", asked("openid", &[]), Some(&openid_email), false, false, false),
            ("§3.1.2.4 a new scope", asked("openid phone", &[]), Some(&openid_email), false, false, true),
            ("§5.5 a claim never consented", asked("openid", &["email"]), Some(&openid), false, false, true),
            ("§5.5 a claim consented by name", asked("openid", &["email"]), Some(&email_by_name), false, false, false),
            ("§5.4 a claim its consented scope carries", asked("openid", &["email_verified"]), Some(&openid_email), false, false, false),
            ("§5.5 another claim of a scope named once", asked("openid", &["email_verified"]), Some(&email_by_name), false, false, true),
            ("OIDC Core §3.1.2.4 first-party client", asked("openid", &["email"]), None, true, false, false),
            ("§3.1.2.1 prompt=consent", asked("openid", &[]), Some(&openid), false, true, true),
            ("§3.1.2.1 prompt=consent for a first-party client", asked("openid", &[]), None, true, true, true),
        ];
        for (case, asked, remembered, skip, prompt, expected) in cases {
            assert_eq!(
                needed(asked, *remembered, *skip, *prompt),
                *expected,
                "{case}"
            );
        }
    }

    #[test]
    fn the_page_lists_scopes_and_claims() {
        let view = ConsentView::new("RP", &asked("openid", &["email", "phone_number"]), "id");
        assert_eq!(view.scopes[0].0, "openid");
        assert_eq!(
            view.claims,
            [
                ("email".to_string(), "Your email address"),
                ("phone_number".to_string(), "Your phone number")
            ]
        );
    }

    /// Every standard scope and every claim a scope carries has its own words, never the
    /// catch-all.
    #[test]
    fn every_standard_scope_and_claim_is_described_in_words() {
        let fallback = describe_scope("api:read");
        for scope in [
            "openid",
            "profile",
            "email",
            "address",
            "phone",
            "offline_access",
        ] {
            let words = describe_scope(scope);
            assert_ne!(words, fallback, "{scope}");
            assert!(words.contains(' '), "{scope}: {words}");
        }
        for (_, claims) in crate::domain::claims::SCOPE_CLAIMS {
            for claim in *claims {
                assert_ne!(describe_claim(claim), describe_claim("x-custom"), "{claim}");
            }
        }
    }
}
