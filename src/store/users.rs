use diesel::prelude::*;

use super::schema::users;
use super::{DbConn, StoreError};
use crate::domain::{Email, Role};

/// A user as the rest of Ferrid sees it.
#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub email: Email,
    pub email_verified: bool,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: i64,
    /// Last change to the account (OIDC Core §5.1 `updated_at`).
    pub updated_at: i64,
}

/// What registration, setup and the CLI create.
pub struct NewUser<'a> {
    pub email: &'a Email,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    /// Whether the address is known to be the user's: false for self-registration until the
    /// verification link is opened; true for accounts an administrator makes.
    pub email_verified: bool,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
pub(super) struct UserRow {
    id: String,
    email: String,
    email_verified: bool,
    name: String,
    password_hash: Option<String>,
    role: String,
    disabled: bool,
    created_at: i64,
    updated_at: i64,
}

impl UserRow {
    /// A role that does not parse is an error: read as `user` it would quietly demote an
    /// account, read as anything else it could promote one.
    pub(super) fn into_user(self) -> Result<(User, Option<String>), StoreError> {
        let user = User {
            role: Role::parse(&self.role).map_err(StoreError::corrupt("users", "role"))?,
            id: self.id,
            // Stored addresses were checked when written; rows from before today's
            // normalisation must still match, so they are not parsed again.
            email: Email::from_trusted(self.email),
            email_verified: self.email_verified,
            name: self.name,
            disabled: self.disabled,
            created_at: self.created_at,
            updated_at: self.updated_at,
        };
        Ok((user, self.password_hash))
    }
}

/// Inserts a user. An email already taken in any letter case, or one that looks like a
/// taken one (the same UTS #39 skeleton), is `StoreError::Duplicate`.
pub fn insert(conn: &mut DbConn, new: &NewUser<'_>, now: i64) -> Result<User, StoreError> {
    let id = crate::domain::random_id();
    diesel::insert_into(users::table)
        .values((
            users::id.eq(&id),
            users::email.eq(new.email.as_str()),
            users::email_normalized.eq(new.email.normalized()),
            users::email_skeleton.eq(Some(new.email.skeleton())),
            users::email_verified.eq(new.email_verified),
            users::name.eq(new.name),
            users::password_hash.eq(Some(new.password_hash)),
            users::role.eq(new.role.as_str()),
            users::disabled.eq(false),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map_err(StoreError::from_insert)?;
    Ok(User {
        id,
        email: new.email.clone(),
        email_verified: new.email_verified,
        name: new.name.to_string(),
        role: new.role,
        disabled: false,
        created_at: now,
        updated_at: now,
    })
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
struct UnbackfilledRow {
    id: String,
    email: String,
}

/// Fills the email skeleton of rows that have none (rows older than the column), oldest
/// first, and returns how many it filled. Runs at start, right after the migrations: SQL
/// cannot compute a skeleton. When an older row already holds a row's skeleton (two existing
/// accounts that look alike) the newer row keeps NULL, and a warning names both, so an
/// administrator can look; the start does not fail, and the next start tries again.
pub fn backfill_email_skeletons(conn: &mut DbConn) -> Result<usize, StoreError> {
    let pending: Vec<UnbackfilledRow> = users::table
        .filter(users::email_skeleton.is_null())
        .order((users::created_at.asc(), users::id.asc()))
        .select(UnbackfilledRow::as_select())
        .load(conn)?;
    let mut filled = 0;
    for UnbackfilledRow { id, email } in pending {
        // Rows from before normalisation (NFKC, IDNA domains) get today's normalised form
        // too, so their owners still log in by the address they type.
        let parsed = Email::parse(&email).unwrap_or_else(|_| Email::from_trusted(email));
        let skeleton = parsed.skeleton();
        let holder: Option<String> = users::table
            .filter(users::email_skeleton.eq(&skeleton))
            .select(users::id)
            .first(conn)
            .optional()?;
        let written = match holder {
            Some(_) => Err(StoreError::Duplicate),
            None => diesel::update(
                users::table
                    .find(&id)
                    .filter(users::email_skeleton.is_null()),
            )
            .set((
                users::email_skeleton.eq(Some(&skeleton)),
                users::email_normalized.eq(parsed.normalized()),
            ))
            .execute(conn)
            .map_err(StoreError::from_insert),
        };
        match written {
            Ok(n) => filled += n,
            // Also what a concurrent insert or another replica's backfill looks like.
            Err(StoreError::Duplicate) => log::warn!(
                "user {id}: email looks like the email of user {} (same confusable skeleton); left without a skeleton, so look-alikes of it are not refused",
                holder.as_deref().unwrap_or("registered meanwhile")
            ),
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The user and their password hash (for login), by email in any letter case.
pub fn find_for_login(
    conn: &mut DbConn,
    email: &Email,
) -> Result<Option<(User, Option<String>)>, StoreError> {
    users::table
        .filter(users::email_normalized.eq(email.normalized()))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(UserRow::into_user)
        .transpose()
}

pub fn find_by_email(conn: &mut DbConn, email: &Email) -> Result<Option<User>, StoreError> {
    Ok(find_for_login(conn, email)?.map(|(u, _)| u))
}

/// The account that holds this address or one that looks like it (the same UTS #39
/// skeleton): the one a registration with `email` would collide with.
pub fn find_holder(conn: &mut DbConn, email: &Email) -> Result<Option<User>, StoreError> {
    users::table
        .filter(
            users::email_normalized
                .eq(email.normalized())
                .or(users::email_skeleton.eq(email.skeleton())),
        )
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(|r| Ok(r.into_user()?.0))
        .transpose()
}

/// The user and their password hash, by id (a logged-in user confirming their password).
pub fn find_with_hash(
    conn: &mut DbConn,
    id: &str,
) -> Result<Option<(User, Option<String>)>, StoreError> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(UserRow::into_user)
        .transpose()
}

/// Sets a new password hash (a reset, whose link decided). Returns false for no such user.
pub fn set_password_hash(
    conn: &mut DbConn,
    id: &str,
    hash: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let n = diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(Some(hash)),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Replaces the password hash only if it is still `old`, so a change made meanwhile (a reset
/// in another tab) is never overwritten; `updated_at` moves only when given (a re-hash of the
/// same password changes nothing a relying party sees). Returns whether it replaced it.
pub fn replace_password_hash(
    conn: &mut DbConn,
    id: &str,
    old: &str,
    new: &str,
    updated_at: Option<i64>,
) -> Result<bool, StoreError> {
    let target = users::table
        .find(id)
        .filter(users::password_hash.eq(Some(old)));
    let n = match updated_at {
        Some(now) => diesel::update(target)
            .set((
                users::password_hash.eq(Some(new)),
                users::updated_at.eq(now),
            ))
            .execute(conn)?,
        None => diesel::update(target)
            .set(users::password_hash.eq(Some(new)))
            .execute(conn)?,
    };
    Ok(n == 1)
}

/// The user proved the address is theirs (OIDC Core §5.1 `email_verified`).
pub fn mark_email_verified(conn: &mut DbConn, id: &str, now: i64) -> Result<(), StoreError> {
    diesel::update(
        users::table
            .find(id)
            .filter(users::email_verified.eq(false)),
    )
    .set((users::email_verified.eq(true), users::updated_at.eq(now)))
    .execute(conn)?;
    Ok(())
}

/// Gives the user a new, confirmed address. One taken meanwhile, in any letter case or as a
/// look-alike, is `StoreError::Duplicate` (the unique indexes decide, so no race gets by).
pub fn change_email(
    conn: &mut DbConn,
    id: &str,
    email: &Email,
    now: i64,
) -> Result<(), StoreError> {
    diesel::update(users::table.find(id))
        .set((
            users::email.eq(email.as_str()),
            users::email_normalized.eq(email.normalized()),
            users::email_skeleton.eq(Some(email.skeleton())),
            users::email_verified.eq(true),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map_err(StoreError::from_insert)?;
    Ok(())
}

pub fn find_by_id(conn: &mut DbConn, id: &str) -> Result<Option<User>, StoreError> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(|r| Ok(r.into_user()?.0))
        .transpose()
}

/// Returns false when no user has that email.
pub fn set_role(
    conn: &mut DbConn,
    email: &Email,
    role: Role,
    now: i64,
) -> Result<bool, StoreError> {
    let n = diesel::update(users::table.filter(users::email_normalized.eq(email.normalized())))
        .set((users::role.eq(role.as_str()), users::updated_at.eq(now)))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn admin_exists(conn: &mut DbConn) -> Result<bool, StoreError> {
    let n: i64 = users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The claims-bearing profile (OpenID Connect Core §5.1): what /account edits and what
/// ID tokens and /userinfo release, by scope.
#[derive(Clone, Debug, Default, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct Profile {
    pub name: String,
    pub given_name: String,
    pub family_name: String,
    pub phone_number: String,
    pub phone_number_verified: bool,
    pub street_address: String,
    pub locality: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
}

/// The user (for email claims and status) and their profile.
pub fn find_with_profile(
    conn: &mut DbConn,
    id: &str,
) -> Result<Option<(User, Profile)>, StoreError> {
    let row: Option<(UserRow, Profile)> = users::table
        .find(id)
        .select((UserRow::as_select(), Profile::as_select()))
        .first(conn)
        .optional()?;
    row.map(|(u, p)| Ok((u.into_user()?.0, p))).transpose()
}

/// Saves the profile in one statement, so no other write falls between the check of the old
/// number and the new values (two statements let a concurrent save see a half-written row).
pub fn update_profile(
    conn: &mut DbConn,
    id: &str,
    profile: &Profile,
    now: i64,
) -> Result<(), StoreError> {
    diesel::update(users::table.find(id))
        .set(
            (
                // A changed number is no longer the one that was verified. (SET expressions
                // read the row as it was before the update, on both databases.)
                users::phone_number_verified
                    .eq(users::phone_number_verified
                        .and(users::phone_number.eq(&profile.phone_number))),
                users::name.eq(&profile.name),
                users::given_name.eq(&profile.given_name),
                users::family_name.eq(&profile.family_name),
                users::phone_number.eq(&profile.phone_number),
                users::street_address.eq(&profile.street_address),
                users::locality.eq(&profile.locality),
                users::region.eq(&profile.region),
                users::postal_code.eq(&profile.postal_code),
                users::country.eq(&profile.country),
                users::updated_at.eq(now),
            ),
        )
        .execute(conn)?;
    Ok(())
}

/// Disables or re-enables a user (the console and the CLI call this). Disabling also deletes
/// the user's unredeemed authorization codes, in the same transaction, so no code issued
/// before can be exchanged. Returns false when there is no such user.
pub fn set_disabled(
    conn: &mut DbConn,
    id: &str,
    disabled: bool,
    now: i64,
) -> Result<bool, StoreError> {
    super::write_transaction::<_, StoreError>(conn, |conn| {
        let n = diesel::update(users::table.find(id))
            .set((users::disabled.eq(disabled), users::updated_at.eq(now)))
            .execute(conn)?;
        if disabled && n == 1 {
            super::codes::delete_unredeemed_codes(conn, id, None)?;
        }
        Ok(n == 1)
    })
}

/// Leaves the account without a password until its owner chooses one through a mailed link
/// (an account an administrator made): no password then matches, and a login spends the
/// same time as for an unknown address.
pub fn forget_password(conn: &mut DbConn, id: &str) -> Result<(), StoreError> {
    diesel::update(users::table.find(id))
        .set(users::password_hash.eq(None::<String>))
        .execute(conn)?;
    Ok(())
}
