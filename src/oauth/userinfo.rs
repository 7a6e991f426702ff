//! The UserInfo endpoint (OpenID Connect Core §5.3) as a protected resource (RFC 6750).
use serde_json::{Map, Value};

use super::claims::{self, Target};
use super::{issue, Error, OAuthError, Provider};
use crate::domain::ScopeSet;
use crate::store::tokens::{self, AccessTokenStatus};
use crate::store::{clients, grants, users, DbConn};

/// A verified, unrevoked user access token.
pub struct VerifiedAccessToken {
    pub claims: Map<String, Value>,
    pub grant: grants::Grant,
}

/// Checks an access token: signature against the key store (alg, kid, typ at+jwt, iss,
/// aud, exp), then that neither it nor its grant was revoked.
pub fn verify_access_token(
    provider: &Provider<'_>,
    conn: &mut DbConn,
    token: &str,
    now: i64,
) -> Result<VerifiedAccessToken, Error> {
    let invalid = || OAuthError::invalid_token("the access token is invalid, expired or revoked");
    let validation = issue::access_token_validation(provider);
    let claims = provider
        .keys
        .verify(token, &validation, now)
        .map_err(|_| invalid())?;
    let jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .ok_or_else(invalid)?;
    let AccessTokenStatus::Active {
        grant_id: Some(grant_id),
    } = tokens::access_token_status(conn, jti)?
    else {
        return Err(invalid().into());
    };
    let grant = grants::find_live_grant(conn, &grant_id, now)?.ok_or_else(invalid)?;
    Ok(VerifiedAccessToken { claims, grant })
}

/// The claims for the token's user: `sub` plus those of the granted scopes and the consented
/// claims request, within the client's registered scopes (§5.3.2, §5.5). The token must
/// carry the `openid` scope (else insufficient_scope).
pub fn handle(
    provider: &Provider<'_>,
    conn: &mut DbConn,
    token: &str,
    now: i64,
) -> Result<Map<String, Value>, Error> {
    let verified = verify_access_token(provider, conn, token, now)?;
    // The token's own scope: a refresh may have narrowed it below the grant's.
    let scope = verified
        .claims
        .get("scope")
        .and_then(Value::as_str)
        .and_then(|s| ScopeSet::parse(s).ok())
        .unwrap_or_else(ScopeSet::empty);
    if !scope.contains("openid") {
        return Err(
            OAuthError::insufficient_scope("the access token lacks the openid scope").into(),
        );
    }
    let Some((user, profile)) = users::find_with_profile(conn, &verified.grant.user_id)? else {
        return Err(OAuthError::invalid_token("the user no longer exists").into());
    };
    if user.disabled {
        return Err(OAuthError::invalid_token("the user is disabled").into());
    }
    let request = &verified.grant.claims;
    // Claims named in the request need the client's registration (OIDC Core §5.5); the
    // client is read only when there are some, which keeps the common path one query shorter.
    // A client deleted since allows none.
    let client_scopes = if request.is_empty() {
        ScopeSet::empty()
    } else {
        clients::find(conn, &verified.grant.client_id)?
            .map(|c| c.scopes)
            .unwrap_or_else(ScopeSet::empty)
    };
    let mut out = claims::user_claims(
        &user,
        &profile,
        &scope,
        request,
        &client_scopes,
        Target::UserInfo,
    );
    // §5.3.2: sub is always returned, and equals the ID token's.
    out.insert("sub".into(), user.id.into());
    Ok(out)
}
