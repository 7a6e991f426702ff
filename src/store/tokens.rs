//! Issued access tokens (by jti) and their revocation.
use diesel::prelude::*;

use super::schema::{access_tokens, grants};
use super::{DbConn, StoreError};

/// Records a user access token under its grant, so revoking the grant stops it.
pub fn record_access_token(
    conn: &mut DbConn,
    jti: &str,
    grant_id: Option<&str>,
    client_id: &str,
    expires_at: i64,
) -> Result<(), StoreError> {
    diesel::insert_into(access_tokens::table)
        .values((
            access_tokens::jti.eq(jti),
            access_tokens::grant_id.eq(grant_id),
            access_tokens::client_id.eq(client_id),
            access_tokens::expires_at.eq(expires_at),
            access_tokens::revoked_at.eq(None::<i64>),
        ))
        .execute(conn)?;
    Ok(())
}

/// What the database knows of an access token that verified cryptographically.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccessTokenStatus {
    /// Recorded and neither it nor its grant is revoked; carries its grant id.
    Active { grant_id: Option<String> },
    /// Revoked itself, or its grant was.
    Revoked,
    /// Never recorded: not a token of ours.
    Unknown,
}

pub fn access_token_status(conn: &mut DbConn, jti: &str) -> Result<AccessTokenStatus, StoreError> {
    let row: Option<(Option<i64>, Option<String>, Option<i64>)> = access_tokens::table
        .left_join(grants::table)
        .filter(access_tokens::jti.eq(jti))
        .select((
            access_tokens::revoked_at,
            access_tokens::grant_id,
            grants::revoked_at.nullable(),
        ))
        .first(conn)
        .optional()?;
    Ok(match row {
        None => AccessTokenStatus::Unknown,
        Some((Some(_), _, _)) | Some((_, _, Some(_))) => AccessTokenStatus::Revoked,
        Some((None, grant_id, _)) => AccessTokenStatus::Active { grant_id },
    })
}
