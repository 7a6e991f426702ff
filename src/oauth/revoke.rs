//! Token revocation (RFC 7009). Revoking a refresh token revokes its grant: the whole family
//! of refresh and access tokens descended from that login (§2.1 "SHOULD also invalidate").
//! Revoking an access token puts its jti on the revocation list until it expires. An
//! unknown, invalid or foreign token is answered 200 all the same (§2.2): the caller learns
//! nothing, and another client's token is left alone.
//!
//! `find` reads what the key set and the store know of the token; `decide` says what to
//! revoke; `apply` writes it.
use serde_json::{Map, Value};

use super::{client_auth, issue, Error, OAuthError, Provider};
use crate::domain::{ClientId, SecretToken};
use crate::store::audit::{self, Event, EventKind};
use crate::store::refresh_tokens::{self, RefreshFamily};
use crate::store::{grants, tokens, DbConn, StoreError};

#[derive(Clone, Debug, Default, serde::Deserialize)]
/// The parameters RFC 7009 §2.1 and RFC 7662 §2.1 share.
pub struct TokenParams {
    pub token: Option<String>,
    pub token_type_hint: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// What is known of the presented token.
#[derive(Clone, Debug)]
pub enum Found {
    /// Nothing of ours: malformed, forged, expired (nothing left to revoke) or unknown.
    Nothing,
    /// An access token whose signature, issuer, audience, type and expiry verified.
    Access(Map<String, Value>),
    /// A refresh token in any state (live or already rotated), by its family.
    Refresh(RefreshFamily),
}

/// What a revocation request does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RevokeAction {
    /// Nothing; still answered 200 (§2.2).
    Nothing,
    /// Revoke the grant: every refresh and access token of the family (§2.1).
    Family { grant_id: String, user_id: String },
    /// Put the access token's jti on the revocation list until it expires.
    AccessToken { jti: String, expires_at: i64 },
}

/// POST /revoke.
pub fn handle(
    provider: &Provider<'_>,
    conn: &mut DbConn,
    authorization: Option<&str>,
    form: &TokenParams,
    now: i64,
) -> Result<(), Error> {
    let client = client_auth::authenticate_request(
        conn,
        authorization,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )?;
    let Some(token) = form.token.as_deref().filter(|t| !t.is_empty()) else {
        return Err(OAuthError::invalid_request("token is required").into());
    };
    let found = find(provider, conn, token, now)?;
    apply(
        conn,
        &client.client_id,
        decide(&client.client_id, found),
        now,
    )?;
    Ok(())
}

/// What the key set and the store know of `token`: a JWT is an access token, anything else
/// may be a refresh token (the hint only orders the search, §2.1).
fn find(
    provider: &Provider<'_>,
    conn: &mut DbConn,
    token: &str,
    now: i64,
) -> Result<Found, StoreError> {
    if token.contains('.') {
        let validation = issue::access_token_validation(provider);
        return Ok(match provider.keys.verify(token, &validation, now) {
            Ok(claims) => Found::Access(claims),
            Err(_) => Found::Nothing,
        });
    }
    let Some(secret) = SecretToken::from_presented(token) else {
        return Ok(Found::Nothing);
    };
    Ok(refresh_tokens::find_refresh_family(conn, &secret.hash())?
        .map_or(Found::Nothing, Found::Refresh))
}

/// The revocation decision: what a request by `client_id` revokes. Only the client a token
/// was issued to may revoke it (§2.1); for anyone else it is as if unknown (§2.2).
pub fn decide(client_id: &ClientId, found: Found) -> RevokeAction {
    match found {
        Found::Nothing => RevokeAction::Nothing,
        Found::Refresh(family) if family.client_id == *client_id => RevokeAction::Family {
            grant_id: family.grant_id,
            user_id: family.user_id,
        },
        Found::Refresh(_) => RevokeAction::Nothing,
        Found::Access(claims) => {
            if claims.get("client_id").and_then(Value::as_str) != Some(client_id.as_str()) {
                return RevokeAction::Nothing;
            }
            match (
                claims.get("jti").and_then(Value::as_str),
                claims.get("exp").and_then(Value::as_i64),
            ) {
                (Some(jti), Some(expires_at)) => RevokeAction::AccessToken {
                    jti: jti.to_string(),
                    expires_at,
                },
                _ => RevokeAction::Nothing,
            }
        }
    }
}

fn apply(
    conn: &mut DbConn,
    client_id: &ClientId,
    action: RevokeAction,
    now: i64,
) -> Result<(), StoreError> {
    match action {
        RevokeAction::Nothing => Ok(()),
        RevokeAction::AccessToken { jti, expires_at } => {
            tokens::revoke_access_token(conn, &jti, client_id, expires_at, now)
        }
        RevokeAction::Family { grant_id, user_id } => {
            if !grants::revoke_grant(conn, &grant_id, now)? {
                return Ok(());
            }
            let detail = format!("client {client_id}: refresh token revoked; token family revoked");
            let event = Event::new(EventKind::TokenRevoked)
                .user(&user_id)
                .detail(&detail);
            audit::record(conn, &event, now)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn id(raw: &str) -> ClientId {
        ClientId::parse(raw).unwrap()
    }

    fn family(client: &str) -> Found {
        Found::Refresh(RefreshFamily {
            grant_id: "g".into(),
            client_id: id(client),
            user_id: "u".into(),
        })
    }

    fn access(claims: Value) -> Found {
        Found::Access(claims.as_object().unwrap().clone())
    }

    #[test]
    fn the_revocation_decision() {
        const EXP: i64 = 1_800_000_300;
        let revoke_family = RevokeAction::Family {
            grant_id: "g".into(),
            user_id: "u".into(),
        };
        let revoke_jti = RevokeAction::AccessToken {
            jti: "j".into(),
            expires_at: EXP,
        };
        #[rustfmt::skip]
        let cases: Vec<(&str, Found, RevokeAction)> = vec![
            ("RFC 7009 §2.1 its refresh token (live or rotated): the family", family("rp"), revoke_family),
            ("§2.1 another client's refresh token is left alone (§2.2: 200)", family("other"), RevokeAction::Nothing),
            ("§2.2 unknown, malformed or expired: nothing, 200", Found::Nothing, RevokeAction::Nothing),
            ("§2.1 its access token: its jti until it expires", access(json!({"client_id": "rp", "jti": "j", "exp": EXP})), revoke_jti),
            ("§2.1 another client's access token is left alone", access(json!({"client_id": "other", "jti": "j", "exp": EXP})), RevokeAction::Nothing),
            ("RFC 9068 §2.2 an access token without jti names nothing to revoke", access(json!({"client_id": "rp", "exp": EXP})), RevokeAction::Nothing),
            ("RFC 9068 §2.2 an access token without exp is none of ours", access(json!({"client_id": "rp", "jti": "j"})), RevokeAction::Nothing),
        ];
        for (case, found, expected) in cases {
            assert_eq!(decide(&id("rp"), found), expected, "{case}");
        }
    }
}
