//! Which user claims are released, and where: by the scope values of OpenID Connect Core
//! §5.4 and by the `claims` request parameter of §5.5.
use serde_json::{json, Map, Value};

use super::OAuthError;
use crate::domain::ScopeSet;
use crate::store::users::{Profile, User};

/// The claims each standard scope value asks for (OIDC Core §5.4).
const SCOPE_CLAIMS: &[(&str, &[&str])] = &[
    (
        "profile",
        &[
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        ],
    ),
    ("email", &["email", "email_verified"]),
    ("address", &["address"]),
    ("phone", &["phone_number", "phone_number_verified"]),
];

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

/// The `claims` request parameter (OIDC Core §5.5), checked and normalised: a JSON object
/// whose `userinfo` and `id_token` members are objects mapping claim names to null or to
/// `{"essential": bool, "value": …, "values": […]}`. Other members are ignored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClaimsRequest {
    pub userinfo: Vec<String>,
    pub id_token: Vec<String>,
}

impl ClaimsRequest {
    pub fn parse(raw: &str) -> Result<Self, OAuthError> {
        let bad = || {
            OAuthError::invalid_request("the claims parameter is not a valid JSON claims request")
        };
        let value: Value = serde_json::from_str(raw).map_err(|_| bad())?;
        let object = value.as_object().ok_or_else(bad)?;
        let member = |name: &str| -> Result<Vec<String>, OAuthError> {
            match object.get(name) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Object(claims)) => {
                    for request in claims.values() {
                        if !(request.is_null() || request.is_object()) {
                            return Err(bad());
                        }
                    }
                    Ok(claims.keys().cloned().collect())
                }
                Some(_) => Err(bad()),
            }
        };
        Ok(ClaimsRequest {
            userinfo: member("userinfo")?,
            id_token: member("id_token")?,
        })
    }

    /// The compact JSON form kept with a code or grant.
    pub fn to_json(&self) -> String {
        json!({"userinfo": self.userinfo, "id_token": self.id_token}).to_string()
    }

    /// Reads back `to_json`; anything else means "no claims request".
    pub fn from_stored(stored: Option<&str>) -> Self {
        let Some(text) = stored else {
            return ClaimsRequest::default();
        };
        let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        let list = |name: &str| {
            value[name]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        ClaimsRequest {
            userinfo: list("userinfo"),
            id_token: list("id_token"),
        }
    }

    fn names(&self, target: Target) -> &[String] {
        match target {
            Target::IdToken => &self.id_token,
            Target::UserInfo => &self.userinfo,
        }
    }
}

/// The user claims to release for `target`: those of the granted scopes, plus those asked
/// for by name in the claims request (a scope-less request for `email` still needs the
/// `openid` scope: the caller has checked that). Empty values are left out (OIDC Core
/// §5.3.2: "If a Claim is not returned, that Claim Name SHOULD be omitted").
pub fn user_claims(
    user: &User,
    profile: &Profile,
    scope: &ScopeSet,
    request: &ClaimsRequest,
    target: Target,
) -> Map<String, Value> {
    let mut wanted: Vec<&str> = SCOPE_CLAIMS
        .iter()
        .filter(|(s, _)| scope.contains(s))
        .flat_map(|(_, claims)| claims.iter().copied())
        .collect();
    wanted.extend(request.names(target).iter().map(String::as_str));

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
            Target::UserInfo,
        );
        assert!(c.is_empty());
        let c = user_claims(
            &u,
            &p,
            &ScopeSet::parse("openid email").unwrap(),
            &none,
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
        let ui = user_claims(&u, &p, &openid, &req, Target::UserInfo);
        assert_eq!(ui["email"], "ann@example.com");
        assert!(!ui.contains_key("name"));
        let idt = user_claims(&u, &p, &openid, &req, Target::IdToken);
        assert_eq!(idt["name"], "Ann Lee");
        assert_eq!(ClaimsRequest::from_stored(Some(&req.to_json())), req);
    }

    #[test]
    fn malformed_claims_requests_are_refused() {
        for bad in [
            "",
            "[]",
            "{\"userinfo\": 3}",
            "{\"userinfo\": {\"email\": 3}}",
            "not json",
        ] {
            assert!(ClaimsRequest::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            ClaimsRequest::parse("{}").unwrap(),
            ClaimsRequest::default()
        );
    }
}
