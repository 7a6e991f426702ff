//! Changing what proves an account is yours, on /account: the password (the current one
//! required; every other login of the account ends) and the email address (the current
//! password required; the new address must confirm by a mailed link, and the old one is
//! told). Plus ending every login of an account, which a reset does too.
use super::mailing::{issue_link, queue};
use super::{AccountError, Accounts};
use crate::domain::{Email, Password, PasswordContext, TokenHash};
use crate::mail::Mail;
use crate::security::rate_limit::Kind;
use crate::store::audit::{self, Event, EventKind};
use crate::store::one_time_tokens::{self, Purpose};
use crate::store::users::{self, User};
use crate::store::{codes, grants, sessions, write_transaction, DbConn, Pool, StoreError};

/// The change-password form as typed.
#[derive(Clone, Copy, Debug)]
pub struct PasswordChange<'a> {
    pub current: &'a str,
    pub new: &'a str,
    pub confirmation: &'a str,
}

/// What ending an account's logins ended.
pub(super) struct Ended {
    pub sessions: usize,
    pub grants: usize,
}

/// Ends the logins of a user: their sessions (all, or all but `keep`), their grants (so
/// every refresh and access token they hold at any client dies) and their unredeemed codes
/// (which would make new grants). Run it in the transaction of the change that calls for it.
pub(super) fn end_logins(
    conn: &mut DbConn,
    user_id: &str,
    keep: Option<&TokenHash>,
    now: i64,
) -> Result<Ended, StoreError> {
    let sessions = sessions::delete_all_of(conn, user_id, keep)?;
    let grants = grants::revoke_all_grants_of(conn, user_id, now)?;
    codes::delete_unredeemed_codes(conn, user_id, None)?;
    Ok(Ended { sessions, grants })
}

/// The audit detail of a wrong current password on /account.
const CHANGE: &str = "current password, to change the password or the address";

/// The user and their stored hash, with the typed current password checked against it:
/// counted by the login limiter like a login (a stolen session must not become a way to
/// guess the password at leisure) and audited when wrong.
pub(super) fn confirm_current(
    pool: &Pool,
    accounts: &Accounts<'_>,
    user_id: &str,
    current: &str,
    purpose: &str,
    ip: Option<&str>,
    now: i64,
) -> Result<(User, Option<String>), AccountError> {
    let current = Password::attempt(current)?;
    let (user, stored) = {
        let mut conn = pool.get().map_err(StoreError::from)?;
        users::find_with_hash(&mut conn, user_id)?.ok_or(AccountError::NoSuchUser)?
    };
    // The same buckets as a password login from this address (no device exemption: the
    // session already proves the browser), reserved before the password is checked.
    let limiter = accounts.limiter;
    let (account, address) = (user.email.normalized(), ip.unwrap_or("-"));
    let account_ip = format!("{account}|{address}");
    let buckets = [
        (Kind::LoginAccountIp, account_ip.as_str()),
        (Kind::LoginIp, address),
    ];
    let reservations = limiter
        .reserve_all(&buckets, now)
        .map_err(AccountError::RateLimited)?;
    if accounts.hasher.verify(&current, stored.as_deref()) {
        for reservation in &reservations {
            match reservation.kind {
                Kind::LoginIp => limiter.release(reservation, now),
                _ => limiter.clear(reservation, now),
            }
        }
        return Ok((user, stored));
    }
    let event = Event::new(EventKind::LoginFailed)
        .user(&user.id)
        .ip(ip)
        .detail(purpose);
    let mut conn = pool.get().map_err(StoreError::from)?;
    audit::record(&mut conn, &event, now)?;
    Err(AccountError::WrongPassword)
}

/// Sets a new password for a logged-in user: the current one is checked, the new one must
/// meet the policy. Every other session of the user ends, and so do their grants (refresh
/// and access tokens at every client: the person being locked out by the change may hold
/// them); the session making the change (`session`) stays. Outstanding reset links die, and
/// the address is told.
pub fn change_password(
    pool: &Pool,
    accounts: &Accounts<'_>,
    user_id: &str,
    session: &TokenHash,
    change: &PasswordChange<'_>,
    ip: Option<&str>,
    now: i64,
) -> Result<(), AccountError> {
    if change.new != change.confirmation {
        return Err(AccountError::PasswordsDiffer);
    }
    let (user, stored) = confirm_current(pool, accounts, user_id, change.current, CHANGE, ip, now)?;
    let context = PasswordContext::new(&user.email, &user.name);
    let password = Password::new(change.new, &accounts.password_policy, &context)?;
    let hash = accounts.hasher.hash(&password);
    let flows = &accounts.flows;
    let mut conn = pool.get().map_err(StoreError::from)?;
    write_transaction(&mut conn, |conn| {
        let old = stored.as_deref().unwrap_or_default();
        // Changed meanwhile (a reset in another tab): the current password typed is stale.
        if !users::replace_password_hash(conn, &user.id, old, &hash, Some(now))? {
            return Err(AccountError::WrongPassword);
        }
        let resets = [Purpose::PasswordReset, Purpose::SetPassword];
        one_time_tokens::spend_all_of(conn, &user.id, &resets, now)?;
        let ended = end_logins(conn, &user.id, Some(session), now)?;
        let reset_link = flows.links().forgot_password();
        let mail = Mail::PasswordChanged {
            reset_link: &reset_link,
        };
        queue(conn, flows, mail, &user.email, now)?;
        let detail = format!(
            "{} other session(s) ended, {} grant(s) revoked",
            ended.sessions, ended.grants
        );
        let event = Event::new(EventKind::PasswordChanged)
            .user(&user.id)
            .ip(ip)
            .detail(&detail);
        Ok(audit::record(conn, &event, now)?)
    })
}

/// Starts a change of address: mails the new address a confirmation link (the address
/// changes only when it is opened, see `verification::confirm_address`) and the old one a
/// notice with a way to reset the password. Whether the new address has an account is not
/// checked here: that would tell a logged-in user which addresses do. It is checked when the
/// link is opened (by whoever holds that mailbox), and the unique indexes decide.
pub fn request_email_change(
    pool: &Pool,
    accounts: &Accounts<'_>,
    user_id: &str,
    new_email: &str,
    current: &str,
    ip: Option<&str>,
    now: i64,
) -> Result<Email, AccountError> {
    let new_email = Email::parse(new_email)?;
    let (user, _) = confirm_current(pool, accounts, user_id, current, CHANGE, ip, now)?;
    if new_email.normalized() == user.email.normalized() {
        return Err(AccountError::SameEmail);
    }
    let flows = &accounts.flows;
    let links = flows.links();
    let mut conn = pool.get().map_err(StoreError::from)?;
    write_transaction(&mut conn, |conn| {
        let address = Some(new_email.as_str());
        let token = issue_link(conn, flows, Purpose::EmailChange, &user.id, address, now)?;
        let link = links.verify_email(token.as_str());
        queue(
            conn,
            flows,
            Mail::EmailChangeConfirm { link: &link },
            &new_email,
            now,
        )?;
        let reset_link = links.forgot_password();
        let notice = Mail::EmailChangeNotice {
            new_email: new_email.as_str(),
            reset_link: &reset_link,
        };
        queue(conn, flows, notice, &user.email, now)?;
        let detail = format!("to {}", new_email.as_str());
        let event = Event::new(EventKind::EmailChangeRequested)
            .user(&user.id)
            .ip(ip)
            .detail(&detail);
        Ok::<_, AccountError>(audit::record(conn, &event, now)?)
    })?;
    Ok(new_email)
}
