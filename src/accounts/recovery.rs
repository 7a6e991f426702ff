//! A forgotten password. /forgot-password mails a single-use link, valid
//! `accounts.reset_token_lifetime` (30 minutes), and answers the same whether or not the
//! address has an account; /reset-password sets a new password under the policy with it,
//! ends every login of the account and tells the address. `ferrid user reset-link` makes
//! the same kind of link for an administrator to hand over.
use super::credentials::end_logins;
use super::mailing::{issue_link, queue, store_link};
use super::{AccountError, Accounts, Flows};
use crate::domain::{random_id, Email, Password, PasswordContext, SecretToken};
use crate::mail::Mail;
use crate::store::audit::{self, Event, EventKind};
use crate::store::one_time_tokens::{self, Purpose};
use crate::store::users::{self, User};
use crate::store::{savepoint, write_transaction, DbConn, Pool, StoreError};

/// The links /reset-password takes: a reset, or an administrator's "choose your password".
const RESET: [Purpose; 2] = [Purpose::PasswordReset, Purpose::SetPassword];

/// The reset form as typed.
#[derive(Clone, Copy, Debug)]
pub struct NewPassword<'a> {
    pub password: &'a str,
    pub confirmation: &'a str,
}

/// POST /forgot-password. Nothing in the outcome says whether `email` has an account, and
/// both cases run the same statements: one lookup, then one transaction that writes the
/// link and the message inside a savepoint and records the request. For an address without
/// an active account the savepoint holds a decoy (a link for a made-up user, a message to
/// the typed address) and is rolled back, so no mail goes to it. Equal work, rather than a
/// fixed minimum response time, which would have to be tuned to each machine and load.
pub fn request_password_reset(
    conn: &mut DbConn,
    flows: &Flows<'_>,
    email: &str,
    ip: Option<&str>,
    now: i64,
) -> Result<(), AccountError> {
    // What was typed is checked alike for every address.
    let email = Email::parse(email)?;
    let user = users::find_by_email(conn, &email)?.filter(|u| !u.disabled);
    let (user_id, to) = match &user {
        Some(user) => (user.id.clone(), &user.email),
        None => (random_id(), &email),
    };
    write_transaction(conn, |conn| {
        savepoint(conn, user.is_some(), |conn| {
            let token = issue_link(conn, flows, Purpose::PasswordReset, &user_id, None, now)?;
            let link = flows.links().reset_password(token.as_str());
            queue(conn, flows, Mail::PasswordReset { link: &link }, to, now)
        })?;
        // Kept either way: requests for unknown addresses are what probing looks like.
        let event = Event::new(EventKind::PasswordResetRequested).ip(ip);
        let event = match &user {
            Some(user) => event.user(&user.id),
            None => event.detail("no active account has this address; nothing sent"),
        };
        Ok(audit::record(conn, &event, now)?)
    })
}

/// GET /reset-password: can this link still set a password?
pub fn reset_link_is_live(
    conn: &mut DbConn,
    token: &SecretToken,
    now: i64,
) -> Result<bool, AccountError> {
    Ok(live_link_user(conn, token, now)?.is_some())
}

/// The active user a live reset link belongs to.
fn live_link_user(
    conn: &mut DbConn,
    token: &SecretToken,
    now: i64,
) -> Result<Option<User>, AccountError> {
    let Some(link) = one_time_tokens::find_live(conn, &token.hash(), &RESET, now)? else {
        return Ok(None);
    };
    Ok(users::find_by_id(conn, &link.user_id)?.filter(|u| !u.disabled))
}

/// POST /reset-password: the new password must meet the policy (a refusal leaves the link
/// usable); then, in one transaction, the link is spent (one conditional update: a second
/// submission finds it gone), the password set, every other reset link of the account
/// spent, every session, grant (refresh and access tokens) and unredeemed code of the user
/// ended, and a notice queued. The link reached the account's address, so the address
/// counts as verified from now on. The user is not logged in: they log in with the new
/// password, which proves they know it (and lets a password manager save it), through the
/// one login path with its limits.
pub fn reset_password(
    pool: &Pool,
    accounts: &Accounts<'_>,
    token: &SecretToken,
    new: &NewPassword<'_>,
    ip: Option<&str>,
    now: i64,
) -> Result<(), AccountError> {
    let user = {
        let mut conn = pool.get().map_err(StoreError::from)?;
        live_link_user(&mut conn, token, now)?.ok_or(AccountError::LinkInvalid)?
    };
    if new.password != new.confirmation {
        return Err(AccountError::PasswordsDiffer);
    }
    let context = PasswordContext::new(&user.email, &user.name);
    let password = Password::new(new.password, &accounts.password_policy, &context)?;
    let hash = accounts.hasher.hash(&password);
    let flows = &accounts.flows;
    let mut conn = pool.get().map_err(StoreError::from)?;
    write_transaction(&mut conn, |conn| {
        let redeemed = one_time_tokens::redeem(conn, &token.hash(), &RESET, now)?;
        if redeemed.is_none_or(|link| link.user_id != user.id) {
            return Err(AccountError::LinkInvalid);
        }
        users::set_password_hash(conn, &user.id, &hash, now)?;
        one_time_tokens::spend_all_of(conn, &user.id, &RESET, now)?;
        users::mark_email_verified(conn, &user.id, now)?;
        let ended = end_logins(conn, &user.id, None, now)?;
        let reset_link = flows.links().forgot_password();
        let mail = Mail::PasswordChanged {
            reset_link: &reset_link,
        };
        queue(conn, flows, mail, &user.email, now)?;
        let detail = format!(
            "{} session(s) ended, {} grant(s) revoked",
            ended.sessions, ended.grants
        );
        let event = Event::new(EventKind::PasswordResetCompleted)
            .user(&user.id)
            .ip(ip)
            .detail(&detail);
        Ok(audit::record(conn, &event, now)?)
    })
}

/// `ferrid user reset-link --email E`: a reset link for the account, for an administrator
/// to hand over (nothing is mailed); `NoSuchUser` when no account has the address.
pub fn reset_link(
    conn: &mut DbConn,
    flows: &Flows<'_>,
    email: &Email,
    now: i64,
) -> Result<String, AccountError> {
    let user = users::find_by_email(conn, email)?.ok_or(AccountError::NoSuchUser)?;
    let token = SecretToken::generate();
    write_transaction(conn, |conn| {
        store_link(
            conn,
            flows,
            &token,
            Purpose::PasswordReset,
            &user.id,
            None,
            now,
        )?;
        let event = Event::new(EventKind::PasswordResetRequested)
            .user(&user.id)
            .detail("cli: a link printed for an administrator to hand over");
        Ok::<_, AccountError>(audit::record(conn, &event, now)?)
    })?;
    Ok(flows.links().reset_password(token.as_str()))
}
