//! Requests waiting for the user (login, consent), kept server-side: only a random id travels
//! through the login and consent pages, so the request cannot be edited on the way.
//!
//! Each is bound to the browser that started it: the web layer gives that browser a cookie
//! holding a random secret, and the row stores the secret's SHA-256. Continuing from any
//! other browser (an attacker handing a victim the continue link, a session cookie that a
//! cross-site POST left behind) does not proceed: the request must start over there.
use super::request::AuthorizationRequest;
use crate::domain::{SecretToken, TokenHash};
use crate::oauth::error::InternalError;
use crate::store::clients::{self, Client};
use crate::store::pending::{self, Inserted, NewPending};
use crate::store::{DbConn, StoreError};

/// How long a user has to log in and consent.
pub const PENDING_LIFETIME: i64 = 1800;

/// Where a request comes from.
#[derive(Clone, Debug)]
pub struct Origin {
    /// SHA-256 of the secret in the browser's binding cookie (a new one when it had none).
    pub binding: TokenHash,
    pub ip: Option<String>,
}

/// The browser continuing a request.
#[derive(Clone, Debug, Default)]
pub struct Browser {
    /// SHA-256 of the secret in its binding cookie, if it presented one.
    pub binding: Option<TokenHash>,
    pub ip: Option<String>,
}

/// A pending request found for its browser.
pub struct Found {
    pub client: Client,
    pub request: AuthorizationRequest,
    pub id_hash: TokenHash,
}

/// A pending request looked up by its id.
pub enum Opened {
    Found(Box<Found>),
    /// Expired, used, or never existed.
    Gone,
    /// Started by another browser (or one whose binding cookie is gone).
    ForeignBrowser,
}

/// Stores the request for its browser; `None` when its client IP already keeps
/// `max_pending` requests waiting (`authorize.max_pending_per_ip`).
pub fn create(
    conn: &mut DbConn,
    request: &AuthorizationRequest,
    origin: &Origin,
    max_pending: i64,
    now: i64,
) -> Result<Option<String>, InternalError> {
    let id = SecretToken::generate();
    let json = serde_json::to_string(request).map_err(InternalError::Encode)?;
    let new = NewPending {
        client_id: &request.client_id,
        request: &json,
        browser_hash: &origin.binding,
        client_ip: origin.ip.as_deref().unwrap_or(""),
    };
    match pending::insert_capped(conn, &id.hash(), &new, now, PENDING_LIFETIME, max_pending)? {
        Inserted::Yes => Ok(Some(id.as_str().to_string())),
        Inserted::OverCap => Ok(None),
    }
}

/// Finds the request `request_id` for the browser presenting `binding`.
pub fn open(
    conn: &mut DbConn,
    request_id: &str,
    binding: Option<&TokenHash>,
    now: i64,
) -> Result<Opened, StoreError> {
    let Some(id) = SecretToken::from_presented(request_id) else {
        return Ok(Opened::Gone);
    };
    let id_hash = id.hash();
    let Some(row) = pending::find(conn, &id_hash, now)? else {
        return Ok(Opened::Gone);
    };
    // Constant time: the stored hash must not be learnable by timing.
    if !binding.is_some_and(|b| b.matches(&row.browser_hash)) {
        return Ok(Opened::ForeignBrowser);
    }
    let request = match serde_json::from_str::<AuthorizationRequest>(&row.request) {
        Ok(request) => request,
        // Stored by a version whose request had another shape: the user starts over, as
        // after an expiry; the log says why.
        Err(e) => {
            log::warn!("a pending authorization request does not parse ({e}); treated as gone");
            return Ok(Opened::Gone);
        }
    };
    Ok(match clients::find(conn, &row.client_id)? {
        Some(client) => Opened::Found(Box::new(Found {
            client,
            request,
            id_hash,
        })),
        None => Opened::Gone,
    })
}

/// Can the browser presenting `binding` continue the request `request_id`? (After a
/// verification link, which may be opened in another browser than the one that registered.)
pub fn is_waiting_for(
    conn: &mut DbConn,
    request_id: &str,
    binding: Option<&TokenHash>,
    now: i64,
) -> Result<bool, StoreError> {
    Ok(matches!(
        open(conn, request_id, binding, now)?,
        Opened::Found(_)
    ))
}

/// Single use: true for the one caller that removed it.
pub fn take(conn: &mut DbConn, id_hash: &TokenHash) -> Result<bool, StoreError> {
    pending::delete(conn, id_hash)
}
