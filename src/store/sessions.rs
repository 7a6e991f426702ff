//! Server-side login sessions. The cookie carries a random secret; only its SHA-256 is
//! stored, so a database leak does not hand out live sessions.
use diesel::prelude::*;

use super::schema::{sessions, users};
use super::users::User;
use super::{DbConn, StoreError};
use crate::domain::TokenHash;

#[derive(Clone, Debug)]
pub struct Session {
    pub user: User,
    /// When the user last proved who they are (OpenID Connect Core §2 `auth_time`).
    pub auth_time: i64,
    pub expires_at: i64,
    /// When and from where the session was last used (see [`seen`]).
    pub last_seen_at: Option<i64>,
    pub ip: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = sessions)]
struct SessionRow {
    user_id: String,
    auth_time: i64,
    expires_at: i64,
    last_seen_at: Option<i64>,
    ip: Option<String>,
}

pub fn create(
    conn: &mut DbConn,
    id_hash: &TokenHash,
    user_id: &str,
    now: i64,
    lifetime: i64,
) -> Result<(), StoreError> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::id_hash.eq(id_hash.as_str()),
            sessions::user_id.eq(user_id),
            sessions::auth_time.eq(now),
            sessions::created_at.eq(now),
            sessions::expires_at.eq(now + lifetime),
        ))
        .execute(conn)?;
    Ok(())
}

/// The live session with that id: not expired, and its user not disabled. The query drops
/// dead sessions itself so no caller can forget to.
pub fn find_live(
    conn: &mut DbConn,
    id_hash: &TokenHash,
    now: i64,
) -> Result<Option<Session>, StoreError> {
    let row: Option<SessionRow> = sessions::table
        .inner_join(users::table)
        .filter(sessions::id_hash.eq(id_hash.as_str()))
        .filter(sessions::expires_at.gt(now))
        .filter(users::disabled.eq(false))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(
        super::users::find_by_id(conn, &row.user_id)?.map(|user| Session {
            user,
            auth_time: row.auth_time,
            expires_at: row.expires_at,
            last_seen_at: row.last_seen_at,
            ip: row.ip,
        }),
    )
}

pub fn delete(conn: &mut DbConn, id_hash: &TokenHash) -> Result<(), StoreError> {
    diesel::delete(sessions::table.filter(sessions::id_hash.eq(id_hash.as_str()))).execute(conn)?;
    Ok(())
}

/// Ends the user's sessions, all of them or all but `keep` (the one changing the password).
/// Returns how many ended.
pub fn delete_all_of(
    conn: &mut DbConn,
    user_id: &str,
    keep: Option<&TokenHash>,
) -> Result<usize, StoreError> {
    let of_user = sessions::table.filter(sessions::user_id.eq(user_id));
    let n = match keep {
        Some(keep) => {
            diesel::delete(of_user.filter(sessions::id_hash.ne(keep.as_str()))).execute(conn)?
        }
        None => diesel::delete(of_user).execute(conn)?,
    };
    Ok(n)
}

/// The user proved who they are again in this session (the console's sudo mode): its
/// `auth_time` moves to `now`, as a login would set it.
pub fn reauthenticated(conn: &mut DbConn, id_hash: &TokenHash, now: i64) -> Result<(), StoreError> {
    diesel::update(sessions::table.filter(sessions::id_hash.eq(id_hash.as_str())))
        .set(sessions::auth_time.eq(now))
        .execute(conn)?;
    Ok(())
}

/// Records that the session was used now, from `ip` with `user_agent` (the console's
/// sessions list shows them).
pub fn seen(
    conn: &mut DbConn,
    id_hash: &TokenHash,
    ip: Option<&str>,
    user_agent: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    diesel::update(sessions::table.filter(sessions::id_hash.eq(id_hash.as_str())))
        .set((
            sessions::last_seen_at.eq(Some(now)),
            sessions::ip.eq(ip),
            sessions::user_agent.eq(user_agent),
        ))
        .execute(conn)?;
    Ok(())
}
