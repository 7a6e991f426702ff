//! The console's lists and counts. Lists page by keyset, never by OFFSET: the next page
//! starts after the last row shown (`WHERE key > last ORDER BY key LIMIT n`), which an index
//! answers directly, so page 2,000 of 100,000 users costs what page 1 does. Indexes that
//! serve them: users by email, `users_email_normalized` (unique); users by sign-up,
//! `users_created_at_id`; sessions, `sessions_created_at_id`; a user's events,
//! `audit_events_user_id`; counts of recent events, `audit_events_kind_at`.
use diesel::prelude::*;

use super::audit::StoredEvent;
use super::schema::{audit_events, clients, sessions, users};
use super::users::{User, UserRow};
use super::{DbConn, StoreError};

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// How the users list is sorted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserOrder {
    /// By address (normalised), A to Z.
    Email,
    /// Newest sign-up first.
    Newest,
}

/// Where a page of users starts: after this row of the previous page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserCursor {
    Email(String),
    Newest { created_at: i64, id: String },
}

/// One page, and where the next one starts (`None`: this is the last).
pub struct Page<T, C> {
    pub rows: Vec<T>,
    pub next: Option<C>,
}

/// `LIKE` pattern for "contains `term`", with the wildcards in `term` taken literally.
fn contains(term: &str) -> String {
    let escaped = term
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Users whose address or name contains `search` (any letter case; all users when empty),
/// `limit` at a time.
pub fn list_users(
    conn: &mut DbConn,
    search: &str,
    order: UserOrder,
    after: Option<&UserCursor>,
    limit: i64,
) -> Result<Page<User, UserCursor>, StoreError> {
    let mut query = users::table.select(UserRow::as_select()).into_boxed();
    if !search.is_empty() {
        let pattern = contains(search);
        query = query.filter(
            users::email_normalized
                .like(pattern.clone())
                .escape('\\')
                .or(lower(users::name).like(pattern).escape('\\')),
        );
    }
    query = match (order, after) {
        (UserOrder::Email, Some(UserCursor::Email(last))) => {
            query.filter(users::email_normalized.gt(last.clone()))
        }
        (UserOrder::Newest, Some(UserCursor::Newest { created_at, id })) => query.filter(
            users::created_at.lt(*created_at).or(users::created_at
                .eq(*created_at)
                .and(users::id.lt(id.clone()))),
        ),
        _ => query,
    };
    query = match order {
        UserOrder::Email => query.order(users::email_normalized.asc()),
        UserOrder::Newest => query.order((users::created_at.desc(), users::id.desc())),
    };
    let rows: Vec<UserRow> = query.limit(limit + 1).load(conn)?;
    let more = rows.len() as i64 > limit;
    let mut users = rows
        .into_iter()
        .take(limit as usize)
        .map(|row| Ok(row.into_user()?.0))
        .collect::<Result<Vec<User>, StoreError>>()?;
    let next = match (more, users.last_mut()) {
        (true, Some(last)) => Some(match order {
            UserOrder::Email => UserCursor::Email(last.email.normalized().to_string()),
            UserOrder::Newest => UserCursor::Newest {
                created_at: last.created_at,
                id: last.id.clone(),
            },
        }),
        _ => None,
    };
    Ok(Page { rows: users, next })
}

/// A live login session as the console lists it.
#[derive(Clone, Debug)]
pub struct SessionInfo {
    /// The stored id (the SHA-256 of the cookie): what a revocation names. It cannot be
    /// turned back into a cookie.
    pub id_hash: String,
    pub user_id: String,
    pub email: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub auth_time: i64,
    pub last_seen_at: Option<i64>,
    pub expires_at: i64,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = sessions)]
struct SessionRow {
    id_hash: String,
    user_id: String,
    ip: Option<String>,
    user_agent: Option<String>,
    created_at: i64,
    auth_time: i64,
    last_seen_at: Option<i64>,
    expires_at: i64,
}

/// Where a page of sessions starts: after this one (newest first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionCursor {
    pub created_at: i64,
    pub id_hash: String,
}

/// Live sessions, newest first, of one user or of everyone; `search` matches the user's
/// address.
pub fn list_sessions(
    conn: &mut DbConn,
    user_id: Option<&str>,
    search: &str,
    after: Option<&SessionCursor>,
    limit: i64,
    now: i64,
) -> Result<Page<SessionInfo, SessionCursor>, StoreError> {
    let mut query = sessions::table
        .inner_join(users::table)
        .filter(sessions::expires_at.gt(now))
        .select((SessionRow::as_select(), users::email))
        .into_boxed();
    if let Some(user_id) = user_id {
        query = query.filter(sessions::user_id.eq(user_id.to_string()));
    }
    if !search.is_empty() {
        query = query.filter(users::email_normalized.like(contains(search)).escape('\\'));
    }
    if let Some(SessionCursor {
        created_at,
        id_hash,
    }) = after
    {
        query = query.filter(
            sessions::created_at.lt(*created_at).or(sessions::created_at
                .eq(*created_at)
                .and(sessions::id_hash.lt(id_hash.clone()))),
        );
    }
    let rows: Vec<(SessionRow, String)> = query
        .order((sessions::created_at.desc(), sessions::id_hash.desc()))
        .limit(limit + 1)
        .load(conn)?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<SessionInfo> = rows
        .into_iter()
        .take(limit as usize)
        .map(|(r, email)| SessionInfo {
            id_hash: r.id_hash,
            user_id: r.user_id,
            email,
            ip: r.ip,
            user_agent: r.user_agent,
            created_at: r.created_at,
            auth_time: r.auth_time,
            last_seen_at: r.last_seen_at,
            expires_at: r.expires_at,
        })
        .collect();
    let next = match (more, rows.last()) {
        (true, Some(last)) => Some(SessionCursor {
            created_at: last.created_at,
            id_hash: last.id_hash.clone(),
        }),
        _ => None,
    };
    Ok(Page { rows, next })
}

/// The user of a live session (to audit whose session a revocation ended).
pub fn session_owner(
    conn: &mut DbConn,
    id_hash: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    Ok(sessions::table
        .filter(sessions::id_hash.eq(id_hash))
        .filter(sessions::expires_at.gt(now))
        .select(sessions::user_id)
        .first(conn)
        .optional()?)
}

/// Ends one session.
pub fn delete_session(conn: &mut DbConn, id_hash: &str) -> Result<(), StoreError> {
    diesel::delete(sessions::table.filter(sessions::id_hash.eq(id_hash))).execute(conn)?;
    Ok(())
}

/// Deletes the user; the database deletes what hangs off them (sessions, grants and their
/// tokens, codes, consents, links: `ON DELETE CASCADE`).
pub fn delete_user(conn: &mut DbConn, user_id: &str) -> Result<bool, StoreError> {
    Ok(diesel::delete(users::table.find(user_id)).execute(conn)? == 1)
}

/// Locks every administrator's row until the transaction ends (a no-op write: PostgreSQL
/// locks the rows it updates; on SQLite the statement takes the one write lock).
pub fn lock_admins(conn: &mut DbConn) -> Result<(), StoreError> {
    diesel::update(users::table.filter(users::role.eq("admin")))
        .set(users::role.eq(users::role))
        .execute(conn)?;
    Ok(())
}

/// Administrators who are not disabled.
pub fn enabled_admins(conn: &mut DbConn) -> Result<i64, StoreError> {
    Ok(users::table
        .filter(users::role.eq("admin"))
        .filter(users::disabled.eq(false))
        .count()
        .get_result(conn)?)
}

/// The latest audit events about one user, newest first.
pub fn events_of(
    conn: &mut DbConn,
    user_id: &str,
    limit: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    Ok(audit_events::table
        .filter(audit_events::user_id.eq(user_id))
        .order(audit_events::id.desc())
        .limit(limit)
        .select(StoredEvent::as_select())
        .load(conn)?)
}

/// When the user last logged in with a password (`login_kind`: the audit kind of a
/// successful login), if the log still holds it.
pub fn last_event_at(
    conn: &mut DbConn,
    user_id: &str,
    kind: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(audit_events::table
        .filter(audit_events::user_id.eq(user_id))
        .filter(audit_events::kind.eq(kind))
        .select(diesel::dsl::max(audit_events::at))
        .first(conn)?)
}

/// The dashboard's counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub users: i64,
    pub admins: i64,
    pub disabled_users: i64,
    pub clients: i64,
    pub live_sessions: i64,
}

pub fn counts(conn: &mut DbConn, now: i64) -> Result<Counts, StoreError> {
    Ok(Counts {
        users: users::table.count().get_result(conn)?,
        admins: users::table
            .filter(users::role.eq("admin"))
            .count()
            .get_result(conn)?,
        disabled_users: users::table
            .filter(users::disabled.eq(true))
            .count()
            .get_result(conn)?,
        clients: clients::table.count().get_result(conn)?,
        live_sessions: sessions::table
            .filter(sessions::expires_at.gt(now))
            .count()
            .get_result(conn)?,
    })
}

/// How many events of `kind` the log holds since `since`.
pub fn events_since(conn: &mut DbConn, kind: &str, since: i64) -> Result<i64, StoreError> {
    Ok(audit_events::table
        .filter(audit_events::kind.eq(kind))
        .filter(audit_events::at.ge(since))
        .count()
        .get_result(conn)?)
}

#[cfg(test)]
mod tests {
    use super::contains;

    #[test]
    fn search_terms_match_literally() {
        assert_eq!(contains("Ann"), "%ann%");
        assert_eq!(contains("100%_x\\"), "%100\\%\\_x\\\\%");
    }
}
