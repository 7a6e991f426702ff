//! The `claims` request parameter (OpenID Connect Core §5.5): parsed, bounded, and narrowed
//! to what the client may have.
use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::{scope_of, Target};
use crate::domain::ScopeSet;
use crate::oauth::OAuthError;

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
    pub fn parse(raw: &str) -> Result<Self, OAuthError> {
        if raw.len() > MAX_CLAIMS_LEN {
            return Err(OAuthError::invalid_request(format!(
                "the claims parameter is too long (at most {MAX_CLAIMS_LEN} bytes)"
            )));
        }
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
        let request = ClaimsRequest {
            userinfo: member("userinfo")?,
            id_token: member("id_token")?,
        };
        if request.userinfo.len() + request.id_token.len() > MAX_CLAIM_NAMES {
            return Err(OAuthError::invalid_request(format!(
                "the claims parameter names too many claims (at most {MAX_CLAIM_NAMES})"
            )));
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

    pub fn is_empty(&self) -> bool {
        self.userinfo.is_empty() && self.id_token.is_empty()
    }

    pub(super) fn names(&self, target: Target) -> &[String] {
        match target {
            Target::IdToken => &self.id_token,
            Target::UserInfo => &self.userinfo,
        }
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
