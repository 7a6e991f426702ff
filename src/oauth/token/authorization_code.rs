//! grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6, OIDC Core §3.1.3).

use super::{id_token_for, offers_refresh, still_authorized, IdTokenInput, Refusal, TokenResponse};
use crate::domain::{random_id, ClientId, GrantType, SecretToken, TokenHash};
use crate::oauth::error::InternalError;
use crate::oauth::issue::{self, AccessToken, AccessTokenClaims};
use crate::oauth::{Error, OAuthError, Provider};
use crate::store::audit::{self, Event, EventKind};
use crate::store::clients::Client;
use crate::store::codes::{self, CodeGrant};
use crate::store::grants::{self, Grant};
use crate::store::refresh_tokens::{self, RefreshToken};
use crate::store::users::{Profile, User};
use crate::store::{consents, tokens, users, write_transaction, DbConn, StoreError};

fn invalid() -> OAuthError {
    OAuthError::invalid_grant("the authorization code is invalid, expired or already used")
}

pub fn exchange(
    provider: &Provider<'_>,
    conn: &mut DbConn,
    client: &Client,
    code: &str,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
    now: i64,
) -> Result<TokenResponse, Error> {
    if !client.allows_grant(GrantType::AuthorizationCode) {
        return Err(OAuthError::unauthorized_client(
            "this client may not use the authorization_code grant",
        )
        .into());
    }
    let hash = SecretToken::from_presented(code)
        .ok_or_else(invalid)?
        .hash();
    let Some(code) = codes::find_live_code(conn, &hash, now)? else {
        // A second use means the code leaked: revoke what the first use issued (RFC 6749
        // §4.1.2: "SHOULD revoke (when possible) all tokens previously issued based on that
        // authorization code").
        if let Some(redeemed) = codes::find_redeemed_code_for_replay(conn, &hash)? {
            revoke_replayed(conn, redeemed.grant_id.as_deref(), &redeemed.client_id, now)?;
        }
        return Err(invalid().into());
    };
    // Every failed attempt burns the code: no guessing the verifier, no second try with
    // another client's credentials.
    let checked = check_binding(&code, client, redirect_uri, code_verifier)
        .map_err(Error::from)
        .and_then(|()| authorized_user(conn, client, &code));
    let (user, profile) = match checked {
        Ok(Some(found)) => found,
        Ok(None) => return Err(invalid().into()),
        Err(Error::OAuth(refused)) => {
            codes::burn_code(conn, &hash, now)?;
            return Err(refused.into());
        }
        Err(internal) => return Err(internal),
    };
    let issued = issue_tokens(provider, client, &user, &code, now)?;
    if !store_redemption(conn, client, &hash, &issued, now)? {
        // Redeemed by a concurrent request: a replay. Gone or expired meanwhile (consent
        // withdrawn, user disabled): simply invalid.
        if let Some(winner) = codes::find_redeemed_code_for_replay(conn, &hash)? {
            revoke_replayed(conn, winner.grant_id.as_deref(), &client.client_id, now)?;
        }
        return Err(invalid().into());
    }
    Ok(respond(
        provider,
        client,
        (&user, &profile),
        &code,
        issued,
        now,
    )?)
}

/// The token response (RFC 6749 §5.1), with an ID token when the code has `openid`.
fn respond(
    provider: &Provider<'_>,
    client: &Client,
    (user, profile): (&User, &Profile),
    code: &CodeGrant,
    issued: Issued,
    now: i64,
) -> Result<TokenResponse, InternalError> {
    let id_token = id_token_for(
        provider,
        IdTokenInput {
            client,
            user,
            profile,
            scope: &code.scope,
            claims: &code.claims,
            auth_time: code.auth_time,
            nonce: code.nonce.as_deref(),
            access_token: &issued.access.jwt,
        },
        now,
    )?;
    Ok(TokenResponse {
        expires_in: issued.access.expires_at - now,
        access_token: issued.access.jwt,
        token_type: "Bearer",
        id_token,
        refresh_token: issued.refresh.map(|(token, _)| token.as_str().to_string()),
        scope: code.scope.to_string(),
    })
}

/// The code-binding check, a pure decision: what the code is bound to must match the request
/// redeeming it: the client (RFC 6749 §4.1.3), the redirect_uri when the authorization
/// request named one, and the PKCE verifier (RFC 7636 §4.6).
fn check_binding(
    code: &CodeGrant,
    client: &Client,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
) -> Result<(), OAuthError> {
    if code.client_id != client.client_id {
        return Err(invalid());
    }
    // RFC 6749 §4.1.3: redirect_uri is required, and must be identical, when the
    // authorization request included it.
    let redirect_ok = match redirect_uri {
        Some(given) => code.redirect_uri.matches(given),
        None => !code.redirect_uri_given,
    };
    if !redirect_ok {
        return Err(OAuthError::invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    // A verifier without a challenge is refused too, against PKCE downgrade (RFC 9700
    // §2.1.1).
    match (&code.code_challenge, code_verifier) {
        (Some(challenge), Some(verifier)) if challenge.verify(verifier) => Ok(()),
        (Some(_), Some(_)) => Err(OAuthError::invalid_grant(
            "code_verifier does not match the code_challenge",
        )),
        (Some(_), None) => Err(OAuthError::invalid_grant("code_verifier is required")),
        (None, Some(_)) => Err(OAuthError::invalid_grant(
            "code_verifier sent, but the authorization request had no code_challenge",
        )),
        (None, None) if client.client_type.is_public() => {
            Err(OAuthError::invalid_grant("PKCE is required"))
        }
        (None, None) => Ok(()),
    }
}

/// The code's user, if they still exist (`Ok(None)`: gone), are enabled, and the consent the
/// code was issued under still stands: withdrawing it deletes the user's unredeemed codes,
/// and this catches a code minted while that ran.
fn authorized_user(
    conn: &mut DbConn,
    client: &Client,
    code: &CodeGrant,
) -> Result<Option<(User, Profile)>, Error> {
    let Some((user, profile)) = users::find_with_profile(conn, &code.user_id)? else {
        return Ok(None);
    };
    let consented = match client.skip_consent {
        true => None,
        false => consents::consented_scope(conn, &user.id, &client.client_id)?,
    };
    match still_authorized(&user, consented.as_ref(), client, &code.scope) {
        Ok(()) => Ok(Some((user, profile))),
        Err(Refusal::Disabled) => Err(invalid().into()),
        Err(Refusal::ConsentWithdrawn) => {
            Err(OAuthError::invalid_grant("the user withdrew consent for this client").into())
        }
    }
}

/// What a redemption hands out, made before the write transaction.
struct Issued {
    grant: Grant,
    access: AccessToken,
    refresh: Option<(SecretToken, RefreshToken)>,
}

fn issue_tokens(
    provider: &Provider<'_>,
    client: &Client,
    user: &User,
    code: &CodeGrant,
    now: i64,
) -> Result<Issued, InternalError> {
    let grant_id = random_id();
    let refresh = offers_refresh(client, &code.scope).then(|| {
        let lifetime = provider.tokens.refresh_token_lifetime;
        let row = RefreshToken::issue(
            &grant_id,
            &client.client_id,
            &user.id,
            &code.scope,
            now,
            lifetime,
        );
        (SecretToken::generate(), row)
    });
    let access = issue::access_token(
        provider,
        &AccessTokenClaims {
            subject: &user.id,
            client_id: client.client_id.as_str(),
            scope: &code.scope.to_string(),
            auth_time: Some(code.auth_time),
        },
        now,
    )?;
    // The grant outlives every token issued from it.
    let expires_at = refresh
        .as_ref()
        .map_or(0, |(_, row)| row.expires_at)
        .max(access.expires_at);
    let grant = Grant {
        id: grant_id,
        client_id: client.client_id.clone(),
        user_id: user.id.clone(),
        scope: code.scope.clone(),
        claims: code.claims.clone(),
        auth_time: code.auth_time,
        expires_at,
    };
    Ok(Issued {
        grant,
        access,
        refresh,
    })
}

/// Redeem (one conditional update: of two concurrent redemptions one wins), record the grant
/// and the tokens, all or nothing. False when the code was no longer redeemable.
fn store_redemption(
    conn: &mut DbConn,
    client: &Client,
    hash: &TokenHash,
    issued: &Issued,
    now: i64,
) -> Result<bool, StoreError> {
    write_transaction::<_, StoreError>(conn, |conn| {
        if !codes::redeem_code(conn, hash, &issued.grant.id, now)? {
            return Ok(false);
        }
        grants::insert_grant(conn, &issued.grant, now)?;
        tokens::record_access_token(
            conn,
            &issued.access.jti,
            Some(&issued.grant.id),
            &client.client_id,
            issued.access.expires_at,
        )?;
        if let Some((token, row)) = &issued.refresh {
            refresh_tokens::insert_refresh_token(conn, &token.hash(), row)?;
        }
        Ok(true)
    })
}

fn revoke_replayed(
    conn: &mut DbConn,
    grant_id: Option<&str>,
    client_id: &ClientId,
    now: i64,
) -> Result<(), StoreError> {
    if let Some(id) = grant_id {
        grants::revoke_grant(conn, id, now)?;
    }
    let detail =
        format!("client {client_id}: authorization code replayed; its tokens were revoked");
    audit::record(
        conn,
        &Event::new(EventKind::CodeReplayed).detail(&detail),
        now,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;
