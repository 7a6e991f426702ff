//! Access tokens by jti, and their revocation list. (Refresh tokens: `store::refresh_tokens`.)
use diesel::prelude::*;

use super::schema::{access_tokens, grants};
use super::{DbConn, StoreError};
use crate::domain::ClientId;

/// Records a user access token under its grant, so revoking the grant stops it.
pub fn record_access_token(
    conn: &mut DbConn,
    jti: &str,
    grant_id: Option<&str>,
    client_id: &ClientId,
    expires_at: i64,
) -> Result<(), StoreError> {
    diesel::insert_into(access_tokens::table)
        .values((
            access_tokens::jti.eq(jti),
            access_tokens::grant_id.eq(grant_id),
            access_tokens::client_id.eq(client_id.as_str()),
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

#[derive(Queryable, Selectable)]
#[diesel(table_name = access_tokens)]
struct StatusRow {
    revoked_at: Option<i64>,
    grant_id: Option<String>,
    #[diesel(select_expression = grants::revoked_at.nullable())]
    grant_revoked_at: Option<i64>,
}

pub fn access_token_status(conn: &mut DbConn, jti: &str) -> Result<AccessTokenStatus, StoreError> {
    let row: Option<StatusRow> = access_tokens::table
        .left_join(grants::table)
        .filter(access_tokens::jti.eq(jti))
        .select(StatusRow::as_select())
        .first(conn)
        .optional()?;
    Ok(match row {
        None => AccessTokenStatus::Unknown,
        Some(row) if row.revoked_at.is_some() || row.grant_revoked_at.is_some() => {
            AccessTokenStatus::Revoked
        }
        Some(row) => AccessTokenStatus::Active {
            grant_id: row.grant_id,
        },
    })
}

/// Marks an access token revoked (RFC 7009), recording it if it was never recorded (a
/// client_credentials token), so /introspect and /userinfo refuse it until it expires.
///
/// One statement, an upsert: with an UPDATE-else-INSERT two concurrent revocations of one
/// unrecorded token both found nothing to update and both inserted, and the loser hit the
/// primary key (a 500 on PostgreSQL). `on_conflict` is only built for a concrete backend,
/// so the same statement is written for each variant.
pub fn revoke_access_token(
    conn: &mut DbConn,
    jti: &str,
    client_id: &ClientId,
    expires_at: i64,
    now: i64,
) -> Result<(), StoreError> {
    let client_id = client_id.as_str();
    macro_rules! upsert {
        ($conn:expr) => {
            diesel::insert_into(access_tokens::table)
                .values((
                    access_tokens::jti.eq(jti),
                    access_tokens::grant_id.eq(None::<String>),
                    access_tokens::client_id.eq(client_id),
                    access_tokens::expires_at.eq(expires_at),
                    access_tokens::revoked_at.eq(Some(now)),
                ))
                .on_conflict(access_tokens::jti)
                .do_update()
                .set(access_tokens::revoked_at.eq(Some(now)))
                .execute($conn)
        };
    }
    match conn {
        DbConn::Postgresql(c) => upsert!(c),
        DbConn::Sqlite(c) => upsert!(c),
    }?;
    Ok(())
}
