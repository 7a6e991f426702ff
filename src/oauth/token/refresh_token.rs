//! grant_type=refresh_token (RFC 6749 §6): the reads and writes around the refresh rule
//! (`refresh_rule::decide`). A first look without locks refuses dead tokens early; then one
//! write transaction locks the presented token's row, reads it again, decides and applies
//! the decision, so requests presenting one token run one after another on both databases:
//! a concurrent duplicate is a retry, never a second live successor nor a false reuse.

use super::refresh_rule::{decide, narrowed, Decision, Presented};
use super::{id_token_for, still_authorized, IdTokenInput, Refusal, TokenResponse};
use crate::domain::{GrantType, ScopeSet, SecretToken, TokenHash};
use crate::oauth::error::InternalError;
use crate::oauth::issue::{self, AccessToken, AccessTokenClaims};
use crate::oauth::{Error, OAuthError, Provider};
use crate::store::audit::{self, Event, EventKind};
use crate::store::clients::Client;
use crate::store::grants::{self, Grant};
use crate::store::refresh_tokens::{self, PresentedRefreshToken, RefreshToken};
use crate::store::users::{self, Profile, User};
use crate::store::{consents, tokens, write_transaction, DbConn, StoreError};

fn invalid() -> OAuthError {
    OAuthError::invalid_grant("the refresh token is invalid, expired or revoked")
}

pub fn refresh(
    provider: &Provider<'_>,
    conn: &mut DbConn,
    client: &Client,
    presented: &str,
    scope: Option<&str>,
    now: i64,
) -> Result<TokenResponse, Error> {
    if !client.allows_grant(GrantType::RefreshToken) {
        return Err(OAuthError::unauthorized_client(
            "this client may not use the refresh_token grant",
        )
        .into());
    }
    let hash = SecretToken::from_presented(presented)
        .ok_or_else(invalid)?
        .hash();
    let grace = provider.tokens.refresh_reuse_grace;
    // A token only ever gets deader: a refusal seen without the lock stands.
    let Some((stored, grant, view)) = look(conn, &hash, client, now)? else {
        return Err(invalid().into());
    };
    if decide(&view, grace, now) == Decision::Refuse {
        if view.superseded && !view.grant_revoked {
            trace_superseded(conn, client, &stored.token, now)?;
        }
        return Err(invalid().into());
    }
    // Everything slow (reads, signing) before the write transaction. Its refusals (a
    // disabled user, withdrawn consent, a wider scope) count only if the token is to be
    // exchanged: a reuse revokes the family regardless.
    let prepared = match grant {
        Some(grant) => prepare(provider, conn, client, &stored.token, grant, scope, now),
        None => Err(invalid().into()),
    };
    let outcome = write_transaction::<_, StoreError>(conn, |conn| {
        apply(grace, conn, client, &hash, prepared.as_ref().ok(), now)
    })?;
    match outcome {
        Outcome::Issued => {}
        Outcome::Refused => return Err(invalid().into()),
        Outcome::Unprepared => return Err(prepared.err().unwrap_or_else(|| invalid().into())),
    }
    Ok(respond(provider, client, prepared?, now)?)
}

/// The token response (RFC 6749 §5.1) for a stored exchange.
fn respond(
    provider: &Provider<'_>,
    client: &Client,
    p: Prepared,
    now: i64,
) -> Result<TokenResponse, InternalError> {
    let id_token = id_token_for(
        provider,
        IdTokenInput {
            client,
            user: &p.user,
            profile: &p.profile,
            scope: &p.scope,
            claims: &p.grant.claims,
            auth_time: p.grant.auth_time,
            // OIDC Core §12.2: no nonce in a refreshed ID token.
            nonce: None,
            access_token: &p.access.jwt,
        },
        now,
    )?;
    Ok(TokenResponse {
        expires_in: p.access.expires_at - now,
        access_token: p.access.jwt,
        token_type: "Bearer",
        id_token,
        refresh_token: Some(p.next.as_str().to_string()),
        scope: p.scope_text,
    })
}

/// A token superseded by a retry: its answer was meant to be lost. Someone had it after
/// all, which is worth a trace.
fn trace_superseded(
    conn: &mut DbConn,
    client: &Client,
    token: &RefreshToken,
    now: i64,
) -> Result<(), StoreError> {
    let detail = format!(
        "client {}: refresh token superseded by a retry presented; refused",
        client.client_id
    );
    let event = Event::new(EventKind::RefreshTokenSuperseded)
        .user(&token.user_id)
        .detail(&detail);
    audit::record(conn, &event, now)
}

/// The presented token (in any state: a rotated one coming back is what the rule must
/// see), its grant if it still stands, and what the rule needs to know of them.
fn look(
    conn: &mut DbConn,
    hash: &TokenHash,
    client: &Client,
    now: i64,
) -> Result<Option<(PresentedRefreshToken, Option<Grant>, Presented)>, StoreError> {
    let Some(stored) = refresh_tokens::find_refresh_token_for_reuse_check(conn, hash)? else {
        return Ok(None);
    };
    let grant = grants::find_live_grant(conn, &stored.token.grant_id, now)?;
    let view = Presented {
        same_client: stored.token.client_id == client.client_id,
        expires_at: stored.token.expires_at,
        used_at: stored.used_at,
        superseded: stored.superseded,
        successor_alive: stored.used_at.is_some() && stored.successor_unused,
        grant_revoked: grant.is_none(),
    };
    Ok(Some((stored, grant, view)))
}

/// What an exchange hands out, made ready outside the write transaction.
struct Prepared {
    user: User,
    profile: Profile,
    grant: Grant,
    scope: ScopeSet,
    scope_text: String,
    access: AccessToken,
    next: SecretToken,
    next_row: RefreshToken,
}

fn prepare(
    provider: &Provider<'_>,
    conn: &mut DbConn,
    client: &Client,
    stored: &RefreshToken,
    grant: Grant,
    scope: Option<&str>,
    now: i64,
) -> Result<Prepared, Error> {
    let Some((user, profile)) = users::find_with_profile(conn, &stored.user_id)? else {
        return Err(invalid().into());
    };
    let consented = match client.skip_consent {
        true => None,
        false => consents::consented_scope(conn, &user.id, &client.client_id)?,
    };
    // Withdrawn consent ends offline access too.
    let held = stored.scope.clone();
    match still_authorized(&user, consented.as_ref(), client, &held) {
        Ok(()) => {}
        Err(Refusal::Disabled) => {
            return Err(OAuthError::invalid_grant("the user is disabled").into())
        }
        Err(Refusal::ConsentWithdrawn) => {
            return Err(OAuthError::invalid_grant("the user withdrew consent").into())
        }
    }
    let scope = narrowed(held, scope)?;
    let scope_text = scope.to_string();
    let access = issue::access_token(
        provider,
        &AccessTokenClaims {
            subject: &user.id,
            client_id: client.client_id.as_str(),
            scope: &scope_text,
            auth_time: Some(grant.auth_time),
        },
        now,
    )?;
    let next_row = RefreshToken::issue(
        &grant.id,
        &stored.client_id,
        &user.id,
        &scope,
        now,
        provider.tokens.refresh_token_lifetime,
    );
    Ok(Prepared {
        user,
        profile,
        grant,
        scope,
        scope_text,
        access,
        next: SecretToken::generate(),
        next_row,
    })
}

enum Outcome {
    /// The prepared tokens were stored: hand them out.
    Issued,
    /// Refused, or a reuse that revoked the family.
    Refused,
    /// To be exchanged, but the preparation refused it (its error is the answer).
    Unprepared,
}

/// Inside the write transaction: lock, look again, decide, apply.
fn apply(
    grace: i64,
    conn: &mut DbConn,
    client: &Client,
    hash: &TokenHash,
    prepared: Option<&Prepared>,
    now: i64,
) -> Result<Outcome, StoreError> {
    if !refresh_tokens::lock_refresh_token(conn, hash)? {
        return Ok(Outcome::Refused);
    }
    let Some((stored, _, view)) = look(conn, hash, client, now)? else {
        return Ok(Outcome::Refused);
    };
    let decision = decide(&view, grace, now);
    let p = match (decision, prepared) {
        (Decision::Refuse, _) => return Ok(Outcome::Refused),
        (Decision::Reuse, _) => {
            revoke_family(conn, &stored.token, client, now)?;
            return Ok(Outcome::Refused);
        }
        (Decision::Rotate | Decision::Retry, None) => return Ok(Outcome::Unprepared),
        (Decision::Rotate | Decision::Retry, Some(p)) => p,
    };
    if store_exchange(conn, client, hash, &stored, decision, p, now)? {
        Ok(Outcome::Issued)
    } else {
        Ok(Outcome::Refused)
    }
}

/// Writes a rotation or a retry. Returns false if it turned out not to be one.
fn store_exchange(
    conn: &mut DbConn,
    client: &Client,
    hash: &TokenHash,
    stored: &PresentedRefreshToken,
    decision: Decision,
    p: &Prepared,
    now: i64,
) -> Result<bool, StoreError> {
    let next = p.next.hash();
    let (kind, detail) = if decision == Decision::Rotate {
        if !refresh_tokens::rotate_refresh_token(conn, hash, &next, now)? {
            return Ok(false);
        }
        (EventKind::TokenRefreshed, client.client_id.to_string())
    } else {
        // The lock serializes requests presenting this token, not a use of its successor:
        // if that came first, the client had moved on and this retry is a real reuse.
        let Some(previous) = stored.successor.as_ref() else {
            return Ok(false);
        };
        if !refresh_tokens::supersede_refresh_token(conn, previous, now)? {
            revoke_family(conn, &stored.token, client, now)?;
            return Ok(false);
        }
        refresh_tokens::replace_successor(conn, hash, previous, &next)?;
        let detail = format!(
            "client {}: rotated refresh token retried within the grace; its earlier successor revoked",
            client.client_id
        );
        (EventKind::RefreshTokenRetried, detail)
    };
    refresh_tokens::insert_refresh_token(conn, &next, &p.next_row)?;
    tokens::record_access_token(
        conn,
        &p.access.jti,
        Some(&p.grant.id),
        &client.client_id,
        p.access.expires_at,
    )?;
    // The grant outlives every token issued from it.
    let expires_at = p.next_row.expires_at.max(p.access.expires_at);
    grants::extend_grant(conn, &p.grant.id, expires_at)?;
    audit::record(
        conn,
        &Event::new(kind).user(&p.user.id).detail(&detail),
        now,
    )?;
    Ok(true)
}

/// A rotated token came back: one of its holders is an attacker. Revoke the family,
/// refresh and access tokens alike (RFC 9700 §4.14.2).
fn revoke_family(
    conn: &mut DbConn,
    stored: &RefreshToken,
    client: &Client,
    now: i64,
) -> Result<(), StoreError> {
    if grants::revoke_grant(conn, &stored.grant_id, now)? {
        let detail = format!(
            "client {}: rotated refresh token reused; token family revoked",
            client.client_id
        );
        audit::record(
            conn,
            &Event::new(EventKind::RefreshTokenReused)
                .user(&stored.user_id)
                .detail(&detail),
            now,
        )?;
    }
    Ok(())
}
