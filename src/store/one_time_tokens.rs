//! Single-use links mailed to a user: a password reset, an email verification, the
//! confirmation of a new address, the first password of an account an administrator made.
//! The 256-bit secret travels in the link; only its SHA-256 is stored (like sessions and
//! codes). A link is redeemed by one conditional update, so of two replicas (or two tabs)
//! only one redeems it; used and expired rows stay until the purge, after their expiry.
use diesel::prelude::*;

use super::schema::one_time_tokens;
use super::{DbConn, StoreError};
use crate::domain::TokenHash;

/// What a link is for; its page accepts only its own purposes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    PasswordReset,
    EmailVerification,
    /// `data` holds the new address.
    EmailChange,
    /// An account made by an administrator: its first password (served by /reset-password).
    SetPassword,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::PasswordReset => "password_reset",
            Purpose::EmailVerification => "email_verification",
            Purpose::EmailChange => "email_change",
            Purpose::SetPassword => "set_password",
        }
    }

    fn parse(raw: &str) -> Result<Self, StoreError> {
        Ok(match raw {
            "password_reset" => Purpose::PasswordReset,
            "email_verification" => Purpose::EmailVerification,
            "email_change" => Purpose::EmailChange,
            "set_password" => Purpose::SetPassword,
            other => {
                return Err(StoreError::corrupt("one_time_tokens", "purpose")(format!(
                    "unknown purpose '{other}'"
                )))
            }
        })
    }
}

/// A link's row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OneTimeToken {
    pub purpose: Purpose,
    pub user_id: String,
    pub data: Option<String>,
    pub expires_at: i64,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = one_time_tokens)]
struct Row {
    purpose: String,
    user_id: String,
    data: Option<String>,
    expires_at: i64,
}

impl Row {
    fn into_token(self) -> Result<OneTimeToken, StoreError> {
        Ok(OneTimeToken {
            purpose: Purpose::parse(&self.purpose)?,
            user_id: self.user_id,
            data: self.data,
            expires_at: self.expires_at,
        })
    }
}

/// What a new link is, and for whom.
#[derive(Clone, Copy, Debug)]
pub struct NewToken<'a> {
    pub hash: &'a TokenHash,
    pub purpose: Purpose,
    pub user_id: &'a str,
    pub data: Option<&'a str>,
    /// Seconds it stays usable.
    pub lifetime: i64,
}

pub fn insert(conn: &mut DbConn, new: &NewToken<'_>, now: i64) -> Result<(), StoreError> {
    diesel::insert_into(one_time_tokens::table)
        .values((
            one_time_tokens::token_hash.eq(new.hash.as_str()),
            one_time_tokens::purpose.eq(new.purpose.as_str()),
            one_time_tokens::user_id.eq(new.user_id),
            one_time_tokens::data.eq(new.data),
            one_time_tokens::created_at.eq(now),
            one_time_tokens::expires_at.eq(now + new.lifetime),
            one_time_tokens::used_at.eq(None::<i64>),
        ))
        .execute(conn)?;
    Ok(())
}

fn purpose_names(purposes: &[Purpose]) -> Vec<&'static str> {
    purposes.iter().map(|p| p.as_str()).collect()
}

/// The link with this hash if it can still be redeemed (unused, unexpired, for one of
/// `purposes`): what a link's page checks before showing its form. Reads only.
pub fn find_live(
    conn: &mut DbConn,
    hash: &TokenHash,
    purposes: &[Purpose],
    now: i64,
) -> Result<Option<OneTimeToken>, StoreError> {
    one_time_tokens::table
        .find(hash.as_str())
        .filter(one_time_tokens::purpose.eq_any(purpose_names(purposes)))
        .filter(one_time_tokens::used_at.is_null())
        .filter(one_time_tokens::expires_at.gt(now))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Row::into_token)
        .transpose()
}

/// Redeems the link: one conditional update marks it used if it is unused, unexpired and for
/// one of `purposes`; `None` when no row changed (forged, spent, expired, another purpose).
/// Run it inside the transaction that does what the link is for, so a failure leaves the
/// link usable.
pub fn redeem(
    conn: &mut DbConn,
    hash: &TokenHash,
    purposes: &[Purpose],
    now: i64,
) -> Result<Option<OneTimeToken>, StoreError> {
    let redeemed = diesel::update(
        one_time_tokens::table
            .find(hash.as_str())
            .filter(one_time_tokens::purpose.eq_any(purpose_names(purposes)))
            .filter(one_time_tokens::used_at.is_null())
            .filter(one_time_tokens::expires_at.gt(now)),
    )
    .set(one_time_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    if redeemed != 1 {
        return Ok(None);
    }
    one_time_tokens::table
        .find(hash.as_str())
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Row::into_token)
        .transpose()
}

/// Spends every live link of the user for these purposes: after a reset the other reset
/// links must not set the password again, after a change of address no link sent to the
/// old one may act. Returns how many it spent.
pub fn spend_all_of(
    conn: &mut DbConn,
    user_id: &str,
    purposes: &[Purpose],
    now: i64,
) -> Result<usize, StoreError> {
    Ok(diesel::update(
        one_time_tokens::table
            .filter(one_time_tokens::user_id.eq(user_id))
            .filter(one_time_tokens::purpose.eq_any(purpose_names(purposes)))
            .filter(one_time_tokens::used_at.is_null()),
    )
    .set(one_time_tokens::used_at.eq(Some(now)))
    .execute(conn)?)
}

/// Deletes links that expired before `now`, used or not (the purge job).
pub fn purge_expired(conn: &mut DbConn, now: i64) -> Result<usize, StoreError> {
    Ok(
        diesel::delete(one_time_tokens::table.filter(one_time_tokens::expires_at.le(now)))
            .execute(conn)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_round_trip_and_unknown_ones_are_corrupt() {
        for purpose in [
            Purpose::PasswordReset,
            Purpose::EmailVerification,
            Purpose::EmailChange,
            Purpose::SetPassword,
        ] {
            assert_eq!(Purpose::parse(purpose.as_str()).unwrap(), purpose);
        }
        assert!(matches!(
            Purpose::parse("login"),
            Err(StoreError::Corrupt { .. })
        ));
    }
}
