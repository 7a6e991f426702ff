//! Which user claims are released, and where: by the scope values of OpenID Connect Core
//! §5.4 and by the `claims` request parameter of §5.5. A claim asked for by name is
//! released only when the client is registered for the scope that carries it and the user
//! consented to it (the consent page lists it; `oauth::authorize` records it).
use serde_json::{Map, Value};

use crate::domain::claims::SCOPE_CLAIMS;
use crate::domain::{ClaimsRequest, ScopeSet};
use crate::store::users::{Profile, User};

/// A claim in words, for the consent page: each standard claim (OIDC Core §5.1).
pub fn describe_claim(claim: &str) -> &'static str {
    match claim {
        "sub" => "An identifier for your account",
        "name" => "Your full name",
        "given_name" => "Your given name",
        "family_name" => "Your family name",
        "middle_name" => "Your middle name",
        "nickname" => "Your nickname",
        "preferred_username" => "The username you prefer",
        "profile" => "The address of your profile page",
        "picture" => "Your profile picture",
        "website" => "Your website",
        "gender" => "Your gender",
        "birthdate" => "Your date of birth",
        "zoneinfo" => "Your time zone",
        "locale" => "Your language and region",
        "updated_at" => "When you last changed your profile",
        "email" => "Your email address",
        "email_verified" => "Whether your email address is confirmed",
        "address" => "Your postal address",
        "phone_number" => "Your phone number",
        "phone_number_verified" => "Whether your phone number is confirmed",
        _ => "A detail of your account",
    }
}

/// Every claim Ferrid can release (discovery's `claims_supported`).
pub const SUPPORTED: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "at_hash",
    "azp",
    "name",
    "given_name",
    "family_name",
    "updated_at",
    "email",
    "email_verified",
    "address",
    "phone_number",
    "phone_number_verified",
];

/// Where claims go: the ID token or the UserInfo response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    IdToken,
    UserInfo,
}

/// The user claims to release for `target`: those of the granted scopes, plus those asked
/// for by name in the (consented) claims request, each only if `client_scopes` (the client's
/// registration) has the scope carrying it. The caller has checked the `openid` scope.
/// Empty values are left out (OIDC Core §5.3.2: "If a Claim is not returned, that Claim
/// Name SHOULD be omitted").
pub fn user_claims(
    user: &User,
    profile: &Profile,
    scope: &ScopeSet,
    request: &ClaimsRequest,
    client_scopes: &ScopeSet,
    target: Target,
) -> Map<String, Value> {
    let requested = request.allowed_by(client_scopes);
    let mut wanted: Vec<&str> = SCOPE_CLAIMS
        .iter()
        .filter(|(s, _)| scope.contains(s))
        .flat_map(|(_, claims)| claims.iter().copied())
        .collect();
    let named = match target {
        Target::IdToken => &requested.id_token,
        Target::UserInfo => &requested.userinfo,
    };
    wanted.extend(named.iter().map(String::as_str));

    let mut out = Map::new();
    for claim in wanted {
        if out.contains_key(claim) {
            continue;
        }
        let text = |s: &str| (!s.is_empty()).then(|| Value::String(s.to_string()));
        let value = match claim {
            "name" => text(&profile.name),
            "given_name" => text(&profile.given_name),
            "family_name" => text(&profile.family_name),
            "updated_at" => Some(Value::from(user.updated_at)),
            "email" => text(user.email.as_str()),
            "email_verified" => Some(Value::Bool(user.email_verified)),
            "phone_number" => text(&profile.phone_number),
            "phone_number_verified" => (!profile.phone_number.is_empty())
                .then_some(Value::Bool(profile.phone_number_verified)),
            "address" => address(profile),
            _ => None,
        };
        if let Some(value) = value {
            out.insert(claim.to_string(), value);
        }
    }
    out
}

/// The `address` claim (OIDC Core §5.1.1), with `formatted` built from the parts.
fn address(p: &Profile) -> Option<Value> {
    let parts = [
        ("street_address", &p.street_address),
        ("locality", &p.locality),
        ("region", &p.region),
        ("postal_code", &p.postal_code),
        ("country", &p.country),
    ];
    if parts.iter().all(|(_, v)| v.is_empty()) {
        return None;
    }
    let mut out = Map::new();
    let city_line = [&p.postal_code, &p.locality, &p.region]
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let formatted = [
        p.street_address.as_str(),
        city_line.as_str(),
        p.country.as_str(),
    ]
    .iter()
    .filter(|s| !s.is_empty())
    .copied()
    .collect::<Vec<_>>()
    .join("\n");
    out.insert("formatted".into(), formatted.into());
    for (name, value) in parts {
        if !value.is_empty() {
            out.insert(name.into(), value.clone().into());
        }
    }
    Some(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Email, Role};

    fn all() -> ScopeSet {
        ScopeSet::parse("openid profile email address phone").unwrap()
    }

    fn scopes(raw: &str) -> ScopeSet {
        ScopeSet::parse(raw).unwrap()
    }

    fn user() -> (User, Profile) {
        let user = User {
            id: "u1".into(),
            email: Email::parse("ann@example.com").unwrap(),
            email_verified: true,
            name: "Ann Lee".into(),
            role: Role::User,
            disabled: false,
            created_at: 0,
            updated_at: 5,
        };
        let profile = Profile {
            name: "Ann Lee".into(),
            given_name: "Ann".into(),
            family_name: "Lee".into(),
            phone_number: "+1 555 0100".into(),
            street_address: "1 Main St".into(),
            locality: "Springfield".into(),
            country: "US".into(),
            ..Profile::default()
        };
        (user, profile)
    }

    #[test]
    fn scopes_select_claims() {
        let (u, p) = user();
        let none = ClaimsRequest::default();
        let c = user_claims(
            &u,
            &p,
            &ScopeSet::parse("openid").unwrap(),
            &none,
            &all(),
            Target::UserInfo,
        );
        assert!(c.is_empty());
        let c = user_claims(
            &u,
            &p,
            &ScopeSet::parse("openid email").unwrap(),
            &none,
            &all(),
            Target::UserInfo,
        );
        assert_eq!(c["email"], "ann@example.com");
        assert_eq!(c["email_verified"], true);
        assert!(!c.contains_key("name"));
        let c = user_claims(
            &u,
            &p,
            &ScopeSet::parse("openid profile address phone").unwrap(),
            &none,
            &all(),
            Target::UserInfo,
        );
        assert_eq!(c["given_name"], "Ann");
        assert_eq!(c["address"]["locality"], "Springfield");
        assert_eq!(c["address"]["formatted"], "1 Main St\nSpringfield\nUS");
        assert_eq!(c["phone_number"], "+1 555 0100");
        assert_eq!(c["phone_number_verified"], false);
    }

    #[test]
    fn claims_request_adds_named_claims_per_target() {
        let (u, p) = user();
        let req = ClaimsRequest::parse(
            r#"{"userinfo":{"email":{"essential":true}},"id_token":{"name":null}}"#,
        )
        .unwrap();
        let openid = ScopeSet::parse("openid").unwrap();
        let ui = user_claims(&u, &p, &openid, &req, &all(), Target::UserInfo);
        assert_eq!(ui["email"], "ann@example.com");
        assert!(!ui.contains_key("name"));
        let idt = user_claims(&u, &p, &openid, &req, &all(), Target::IdToken);
        assert_eq!(idt["name"], "Ann Lee");
    }

    /// OIDC Core §5.5 with RFC 6749 §3.3: naming a claim does not widen the client's
    /// registration.
    #[test]
    fn claims_outside_the_clients_scopes_are_never_released() {
        let (u, p) = user();
        let req = ClaimsRequest::parse(
            r#"{"userinfo":{"address":null,"phone_number":null,"email":null},
                "id_token":{"email":{"essential":true},"name":null}}"#,
        )
        .unwrap();
        let openid = scopes("openid");
        let registered = scopes("openid email");
        let ui = user_claims(&u, &p, &openid, &req, &registered, Target::UserInfo);
        assert_eq!(ui["email"], "ann@example.com");
        assert!(!ui.contains_key("address") && !ui.contains_key("phone_number"));
        let idt = user_claims(&u, &p, &openid, &req, &registered, Target::IdToken);
        assert_eq!(idt["email"], "ann@example.com");
        assert!(!idt.contains_key("name"));
        let bare = user_claims(&u, &p, &openid, &req, &openid, Target::UserInfo);
        assert!(bare.is_empty(), "{bare:?}");
    }
}
