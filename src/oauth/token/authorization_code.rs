//! grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6, OIDC Core §3.1.3).

use super::{id_token_for, offers_refresh, IdTokenInput, TokenResponse};
use crate::domain::{random_id, CodeChallenge, GrantType, ScopeSet, SecretToken};
use crate::oauth::issue::{self, AccessTokenClaims};
use crate::oauth::OAuthError;
use crate::state::AppState;
use crate::store::audit::{self, Event, EventKind};
use crate::store::clients::Client;
use crate::store::grants::{self, Grant};
use crate::store::tokens::{self, RefreshToken};
use crate::store::{users, write_transaction, DbConn, StoreError};

pub fn exchange(
    state: &AppState,
    conn: &mut DbConn,
    client: &Client,
    code: &str,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
    now: i64,
) -> Result<TokenResponse, OAuthError> {
    if !client.allows_grant(GrantType::AuthorizationCode) {
        return Err(OAuthError::unauthorized_client(
            "this client may not use the authorization_code grant",
        ));
    }
    let invalid =
        || OAuthError::invalid_grant("the authorization code is invalid, expired or already used");
    let code = SecretToken::from_presented(code).ok_or_else(invalid)?;
    let hash = code.hash();
    let stored = grants::find_code(conn, &hash)?.ok_or_else(invalid)?;

    // A second use means the code leaked: revoke what the first use issued (RFC 6749
    // §4.1.2: "SHOULD revoke (when possible) all tokens previously issued based on that
    // authorization code").
    if stored.used_at.is_some() {
        revoke_replayed(
            conn,
            stored.grant_id.as_deref(),
            &stored.grant.client_id,
            now,
        )?;
        return Err(invalid());
    }
    let code_grant = stored.grant;
    // Every failed attempt burns the code: no guessing the verifier, no second try
    // with another client's credentials.
    let refuse = |conn: &mut DbConn, error: OAuthError| -> Result<TokenResponse, OAuthError> {
        grants::burn_code(conn, &hash, now)?;
        Err(error)
    };
    if code_grant.client_id != client.client_id.as_str() {
        return refuse(conn, invalid());
    }
    if code_grant.expires_at <= now {
        return Err(invalid());
    }
    // RFC 6749 §4.1.3: redirect_uri is required, and must be identical, when the
    // authorization request included it.
    let redirect_ok = match redirect_uri {
        Some(given) => given == code_grant.redirect_uri,
        None => !code_grant.redirect_uri_given,
    };
    if !redirect_ok {
        return refuse(
            conn,
            OAuthError::invalid_grant("redirect_uri does not match the authorization request"),
        );
    }
    // RFC 7636 §4.6; and a verifier without a challenge is refused too, against PKCE
    // downgrade (RFC 9700 §2.1.1).
    match (code_grant.code_challenge.as_deref(), code_verifier) {
        (Some(challenge), Some(verifier)) => {
            let ok =
                CodeChallenge::parse(challenge, Some("S256")).is_ok_and(|c| c.verify(verifier));
            if !ok {
                return refuse(
                    conn,
                    OAuthError::invalid_grant("code_verifier does not match the code_challenge"),
                );
            }
        }
        (Some(_), None) => {
            return refuse(conn, OAuthError::invalid_grant("code_verifier is required"))
        }
        (None, Some(_)) => {
            return refuse(
                conn,
                OAuthError::invalid_grant(
                    "code_verifier sent, but the authorization request had no code_challenge",
                ),
            )
        }
        (None, None) if client.client_type.is_public() => {
            return refuse(conn, OAuthError::invalid_grant("PKCE is required"))
        }
        (None, None) => {}
    }

    let Some((user, profile)) = users::find_with_profile(conn, &code_grant.user_id)? else {
        return Err(invalid());
    };
    if user.disabled {
        return refuse(conn, invalid());
    }
    let scope = ScopeSet::parse(&code_grant.scope).map_err(|_| invalid())?;
    // The consent the code was issued under must still stand: withdrawing it deletes the
    // user's unredeemed codes, and this catches a code minted while that ran.
    if !client.skip_consent {
        let consented = grants::consented_scope(conn, &user.id, &client.client_id)?;
        if !consented.is_some_and(|c| scope.is_subset(&c)) {
            return refuse(
                conn,
                OAuthError::invalid_grant("the user withdrew consent for this client"),
            );
        }
    }
    let grant_id = random_id();
    let refresh = offers_refresh(client, &scope).then(|| {
        let row = RefreshToken::issue(
            &grant_id,
            &code_grant.client_id,
            &user.id,
            &code_grant.scope,
            now,
            state.settings.tokens.refresh_token_lifetime,
        );
        (SecretToken::generate(), row)
    });
    let tokens_expire = refresh
        .as_ref()
        .map_or(0, |(_, row)| row.expires_at)
        .max(now + state.settings.tokens.access_token_lifetime);
    let grant = Grant {
        id: grant_id,
        client_id: code_grant.client_id.clone(),
        user_id: user.id.clone(),
        scope: code_grant.scope.clone(),
        claims: code_grant.claims.clone(),
        auth_time: code_grant.auth_time,
        expires_at: tokens_expire,
        revoked_at: None,
    };
    let access = issue::access_token(
        state,
        &AccessTokenClaims {
            subject: &user.id,
            client_id: client.client_id.as_str(),
            scope: &code_grant.scope,
            auth_time: Some(code_grant.auth_time),
        },
        now,
    )?;

    // Redeem (one conditional update: of two concurrent redemptions one wins), record the
    // grant and the token, all or nothing.
    let redeemed = write_transaction::<_, StoreError>(conn, |conn| {
        if !grants::redeem_code(conn, &hash, &grant.id, now)? {
            return Ok(false);
        }
        grants::insert_grant(conn, &grant, now)?;
        tokens::record_access_token(
            conn,
            &access.jti,
            Some(&grant.id),
            client.client_id.as_str(),
            access.expires_at,
        )?;
        if let Some((token, row)) = &refresh {
            tokens::insert_refresh_token(conn, &token.hash(), row)?;
        }
        Ok(true)
    })?;
    if !redeemed {
        // Redeemed by a concurrent request: a replay. Gone or expired meanwhile (consent
        // withdrawn, user disabled): simply invalid.
        if let Some(winner) = grants::find_code(conn, &hash)?.filter(|c| c.used_at.is_some()) {
            revoke_replayed(
                conn,
                winner.grant_id.as_deref(),
                client.client_id.as_str(),
                now,
            )?;
        }
        return Err(invalid());
    }

    let id_token = id_token_for(
        state,
        IdTokenInput {
            client,
            user: &user,
            profile: &profile,
            scope: &scope,
            claims: code_grant.claims.as_deref(),
            auth_time: code_grant.auth_time,
            nonce: code_grant.nonce.as_deref(),
            access_token: &access.jwt,
        },
        now,
    )?;
    Ok(TokenResponse {
        access_token: access.jwt,
        token_type: "Bearer",
        expires_in: access.expires_at - now,
        id_token,
        refresh_token: refresh.map(|(token, _)| token.as_str().to_string()),
        scope: code_grant.scope,
    })
}

fn revoke_replayed(
    conn: &mut DbConn,
    grant_id: Option<&str>,
    client_id: &str,
    now: i64,
) -> Result<(), OAuthError> {
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
