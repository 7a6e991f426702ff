//! The upstream flow's server-side state (RFC 6749 §10.12 `state`, RFC 7636 PKCE S256,
//! OpenID Connect Core §3.1.2.1 `nonce`). The state travels through the upstream and comes
//! back; only its SHA-256 is stored, with the browser's federation cookie hash, so a state
//! presented by another browser (login CSRF, a stolen callback URL) finds nothing.
use super::FederationError;
use crate::domain::{SecretToken, TokenHash};
use crate::store::federation::{self as store, Flow, NewFlow};
use crate::store::DbConn;

/// How long a person may take at the upstream.
pub const FLOW_LIFETIME: i64 = 600;

/// What a started flow sends upstream.
pub struct Started {
    pub state: SecretToken,
    pub nonce: String,
    /// The PKCE verifier; the upstream sees only its S256 challenge.
    pub pkce_verifier: String,
}

/// Stores a new flow for `provider`, started by the browser whose federation cookie hashes
/// to `browser`, continuing at `return_to` (a local path, checked by the caller); with
/// `link_user_id` when a logged-in user links another provider.
pub fn start(
    conn: &mut DbConn,
    provider: &str,
    browser: &TokenHash,
    return_to: &str,
    link_user_id: Option<&str>,
    now: i64,
) -> Result<Started, FederationError> {
    let started = Started {
        state: SecretToken::generate(),
        nonce: SecretToken::generate().as_str().to_string(),
        // 43 characters of base64url: the RFC 7636 §4.1 minimum length, 256 bits.
        pkce_verifier: SecretToken::generate().as_str().to_string(),
    };
    let flow = Flow {
        provider: provider.to_string(),
        browser_hash: browser.as_str().to_string(),
        pkce_verifier: started.pkce_verifier.clone(),
        nonce: started.nonce.clone(),
        return_to: return_to.to_string(),
        link_user_id: link_user_id.map(str::to_string),
    };
    let new = NewFlow {
        state_hash: &started.state.hash(),
        flow: &flow,
        lifetime: FLOW_LIFETIME,
    };
    store::insert_flow(conn, &new, now)?;
    Ok(started)
}

/// Redeems the flow of `state` for `provider` in this browser, once.
pub fn finish(
    conn: &mut DbConn,
    provider: &str,
    state: &str,
    browser: Option<&TokenHash>,
    now: i64,
) -> Result<Flow, FederationError> {
    let (Some(state), Some(browser)) = (SecretToken::from_presented(state), browser) else {
        return Err(FederationError::State);
    };
    store::redeem_flow(conn, &state.hash(), provider, browser, now)?.ok_or(FederationError::State)
}
