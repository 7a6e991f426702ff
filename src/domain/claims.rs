//! User claims by scope (OpenID Connect Core §5.4) and the `claims` request parameter
//! (§5.5): parsed, bounded, and narrowed to what the client may have.
use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::{DomainError, ScopeSet};

/// The claims each standard scope value asks for (OIDC Core §5.4).
pub const SCOPE_CLAIMS: &[(&str, &[&str])] = &[
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

/// The scope that carries a user claim, if any (OIDC Core §5.4).
pub fn scope_of(claim: &str) -> Option<&'static str> {
    SCOPE_CLAIMS
        .iter()
        .find(|(_, claims)| claims.contains(&claim))
        .map(|(scope, _)| *scope)
}

/// The `claims` request parameter (OIDC Core §5.5), checked and normalised: a JSON object
/// whose `userinfo` and `id_token` members are objects mapping claim names to null or to
/// `{"essential": bool, "value": …, "values": […]}`. Other members are ignored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClaimsRequest {
    pub userinfo: Vec<String>,
    pub id_token: Vec<String>,
}

/// Bounds on the `claims` parameter: it is stored with the pending request and the code,
/// so an anonymous caller must not make us keep large values (a few KB, a few dozen names).
pub const MAX_CLAIMS_LEN: usize = 4096;
pub const MAX_CLAIM_NAMES: usize = 32;

impl ClaimsRequest {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if raw.len() > MAX_CLAIMS_LEN {
            return Err(DomainError(
                "the claims parameter is too long (at most 4096 bytes)",
            ));
        }
        let bad = DomainError("the claims parameter is not a valid JSON claims request");
        let value: Value = serde_json::from_str(raw).map_err(|_| bad.clone())?;
        let object = value.as_object().ok_or(bad.clone())?;
        let member = |name: &str| -> Result<Vec<String>, DomainError> {
            match object.get(name) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Object(claims)) => {
                    for request in claims.values() {
                        if !(request.is_null() || request.is_object()) {
                            return Err(bad.clone());
                        }
                    }
                    Ok(claims.keys().cloned().collect())
                }
                Some(_) => Err(bad.clone()),
            }
        };
        let request = ClaimsRequest {
            userinfo: member("userinfo")?,
            id_token: member("id_token")?,
        };
        if request.userinfo.len() + request.id_token.len() > MAX_CLAIM_NAMES {
            return Err(DomainError(
                "the claims parameter names too many claims (at most 32)",
            ));
        }
        Ok(request)
    }

    /// Only the claims a client registered for `client_scopes` may have: each user claim is
    /// carried by a scope (OIDC Core §5.4), and asking for it by name (§5.5) does not get
    /// around the client's registration (RFC 6749 §3.3). Claims no scope carries are not
    /// user claims Ferrid releases, so they go too.
    pub fn allowed_by(&self, client_scopes: &ScopeSet) -> ClaimsRequest {
        let keep = |names: &[String]| {
            let mut out: Vec<String> = Vec::new();
            for name in names {
                let allowed = scope_of(name).is_some_and(|s| client_scopes.contains(s));
                if allowed && !out.contains(name) {
                    out.push(name.clone());
                }
            }
            out
        };
        ClaimsRequest {
            userinfo: keep(&self.userinfo),
            id_token: keep(&self.id_token),
        }
    }

    /// The claims named for either target that `scope` does not already carry: what the
    /// user must consent to on top of the scopes (sorted, no duplicates).
    pub fn beyond(&self, scope: &ScopeSet) -> BTreeSet<String> {
        self.userinfo
            .iter()
            .chain(&self.id_token)
            .filter(|name| !scope_of(name).is_some_and(|s| scope.contains(s)))
            .cloned()
            .collect()
    }

    /// The compact JSON form kept with a code or grant.
    pub fn to_json(&self) -> String {
        json!({"userinfo": self.userinfo, "id_token": self.id_token}).to_string()
    }

    /// Reads back `to_json` (what is kept with a code or grant). Anything else is an error,
    /// not "no claims request": the caller reports the row.
    pub fn from_json(text: &str) -> Result<Self, DomainError> {
        #[derive(serde::Deserialize)]
        struct Stored {
            userinfo: Vec<String>,
            id_token: Vec<String>,
        }
        let stored: Stored =
            serde_json::from_str(text).map_err(|_| DomainError("not a stored claims request"))?;
        Ok(ClaimsRequest {
            userinfo: stored.userinfo,
            id_token: stored.id_token,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.userinfo.is_empty() && self.id_token.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(raw: &str) -> ScopeSet {
        ScopeSet::parse(raw).unwrap()
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

    #[test]
    fn allowed_by_and_beyond() {
        let req = ClaimsRequest::parse(
            r#"{"userinfo":{"email":null,"phone_number":null,"acr":null,"email_verified":null},
                "id_token":{"email":null,"given_name":null}}"#,
        )
        .unwrap();
        // §5.4: phone is not registered, acr is carried by no scope.
        let kept = req.allowed_by(&scopes("openid email profile"));
        assert_eq!(kept.userinfo, ["email", "email_verified"]);
        assert_eq!(kept.id_token, ["email", "given_name"]);
        // What consent must cover beyond the requested scopes.
        let extra: Vec<String> = kept.beyond(&scopes("openid profile")).into_iter().collect();
        assert_eq!(extra, ["email", "email_verified"]);
        assert!(kept.beyond(&scopes("openid profile email")).is_empty());
        assert_eq!(scope_of("phone_number_verified"), Some("phone"));
        assert_eq!(scope_of("sub"), None);
    }

    #[test]
    fn stored_form_round_trips_and_anything_else_is_refused() {
        let req = ClaimsRequest::parse(r#"{"userinfo":{"email":null},"id_token":{"name":null}}"#)
            .unwrap();
        assert_eq!(ClaimsRequest::from_json(&req.to_json()).unwrap(), req);
        for bad in [
            "",
            "null",
            "{}",
            r#"{"userinfo":["email"]}"#,
            r#"{"userinfo":3,"id_token":[]}"#,
        ] {
            assert!(ClaimsRequest::from_json(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn claims_requests_are_bounded() {
        let long = format!(
            r#"{{"userinfo":{{"email":null}},"x":"{}"}}"#,
            "a".repeat(5000)
        );
        assert!(ClaimsRequest::parse(&long).is_err());
        let names: Vec<String> = (0..33).map(|i| format!("\"c{i}\":null")).collect();
        let many = format!(r#"{{"userinfo":{{{}}}}}"#, names.join(","));
        assert!(many.len() < MAX_CLAIMS_LEN);
        assert!(ClaimsRequest::parse(&many).is_err());
        let names: Vec<String> = (0..32).map(|i| format!("\"c{i}\":null")).collect();
        let enough = format!(r#"{{"userinfo":{{{}}}}}"#, names.join(","));
        assert!(ClaimsRequest::parse(&enough).is_ok());
    }
}
