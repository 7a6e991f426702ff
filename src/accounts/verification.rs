//! Proving an address: the link mailed at registration (it activates the account and logs
//! the user in) and the one mailed to the new address of an email change (the address
//! changes when it is opened). Both are served by /verify-email; the link's purpose says
//! which. Links are valid `accounts.verification_token_lifetime` (24 hours) and work once.
use super::login::{start_session, NewSession};
use super::mailing::{issue_link, queue};
use super::{AccountError, Accounts, Flows};
use crate::domain::{random_id, Email, SecretToken};
use crate::mail::Mail;
use crate::store::audit::{self, Event, EventKind};
use crate::store::one_time_tokens::{self, OneTimeToken, Purpose};
use crate::store::users::{self, User};
use crate::store::{savepoint, write_transaction, DbConn, StoreError};

/// The links /verify-email takes.
const ADDRESS: [Purpose; 2] = [Purpose::EmailVerification, Purpose::EmailChange];

/// Mails `user` a verification link that, once opened, continues at `return_to` (a local
/// path, such as a pending authorization request), in the caller's transaction.
pub(super) fn send_verification(
    conn: &mut DbConn,
    flows: &Flows<'_>,
    user: &User,
    return_to: Option<&str>,
    ip: Option<&str>,
    now: i64,
) -> Result<(), AccountError> {
    let token = issue_link(
        conn,
        flows,
        Purpose::EmailVerification,
        &user.id,
        return_to,
        now,
    )?;
    verification_mail(conn, flows, user, &token, ip, now)
}

/// The message carrying a stored verification link, and its audit event.
pub(super) fn verification_mail(
    conn: &mut DbConn,
    flows: &Flows<'_>,
    user: &User,
    token: &SecretToken,
    ip: Option<&str>,
    now: i64,
) -> Result<(), AccountError> {
    let link = flows.links().verify_email(token.as_str());
    queue(
        conn,
        flows,
        Mail::VerifyEmail { link: &link },
        &user.email,
        now,
    )?;
    let event = Event::new(EventKind::EmailVerificationSent)
        .user(&user.id)
        .ip(ip);
    Ok(audit::record(conn, &event, now)?)
}

/// POST /verify-email/resend: a new link when `email` belongs to an active account still
/// waiting for verification; the same answer, and the same statements (a discarded decoy),
/// otherwise, as for a forgotten password.
pub fn resend_verification(
    conn: &mut DbConn,
    flows: &Flows<'_>,
    email: &str,
    return_to: Option<&str>,
    ip: Option<&str>,
    now: i64,
) -> Result<(), AccountError> {
    let email = Email::parse(email)?;
    let waiting = users::find_by_email(conn, &email)?.filter(|u| !u.disabled && !u.email_verified);
    let target = match &waiting {
        Some(user) => user.clone(),
        None => decoy_user(email),
    };
    write_transaction(conn, |conn| {
        savepoint(conn, waiting.is_some(), |conn| {
            send_verification(conn, flows, &target, return_to, ip, now)
        })
    })
}

/// A user who does not exist, for the decoy writes of an unknown address.
fn decoy_user(email: Email) -> User {
    User {
        id: random_id(),
        email,
        email_verified: false,
        name: String::new(),
        role: crate::domain::Role::User,
        disabled: false,
        created_at: 0,
        updated_at: 0,
    }
}

/// What a live /verify-email link confirms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddressLink {
    /// The address of a new account.
    Registration,
    /// A new address for the account.
    EmailChange { new_email: String },
}

/// GET /verify-email: what the link confirms, or `None` when it can no longer (forged,
/// spent, expired, its account gone or disabled). Reads only: mail scanners that open links
/// must not spend them, so the page asks for a click that posts.
pub fn address_link(
    conn: &mut DbConn,
    token: &SecretToken,
    now: i64,
) -> Result<Option<AddressLink>, AccountError> {
    let Some(link) = one_time_tokens::find_live(conn, &token.hash(), &ADDRESS, now)? else {
        return Ok(None);
    };
    if users::find_by_id(conn, &link.user_id)?.is_none_or(|u| u.disabled) {
        return Ok(None);
    }
    Ok(Some(match link.purpose {
        Purpose::EmailChange => AddressLink::EmailChange {
            new_email: link.data.unwrap_or_default(),
        },
        _ => AddressLink::Registration,
    }))
}

/// What confirming an address did.
pub enum Confirmed {
    /// A new account's address is verified and its user logged in (a new session); they
    /// continue at `return_to`, if the registration carried one.
    Verified {
        session: NewSession,
        return_to: Option<String>,
    },
    /// The account has its new address.
    EmailChanged { email: Email },
}

/// POST /verify-email: spends the link (one conditional update) and does what it is for,
/// in one transaction. A new address is checked again for being taken (in any letter case,
/// or as a look-alike): the unique indexes refuse it (`EmailTaken`), and the link stays
/// unspent.
pub fn confirm_address(
    conn: &mut DbConn,
    accounts: &Accounts<'_>,
    token: &SecretToken,
    ip: Option<&str>,
    now: i64,
) -> Result<Confirmed, AccountError> {
    let (user, link) = write_transaction(conn, |conn| {
        let link = one_time_tokens::redeem(conn, &token.hash(), &ADDRESS, now)?
            .ok_or(AccountError::LinkInvalid)?;
        let user = users::find_by_id(conn, &link.user_id)?
            .filter(|u| !u.disabled)
            .ok_or(AccountError::LinkInvalid)?;
        match link.purpose {
            Purpose::EmailChange => change_address(conn, &user, &link, ip, now)?,
            _ => verify(conn, &user, ip, now)?,
        }
        Ok::<_, AccountError>((user, link))
    })?;
    if link.purpose == Purpose::EmailChange {
        let email = address_of(&link)?;
        return Ok(Confirmed::EmailChanged { email });
    }
    let session = start_session(conn, accounts.session_lifetime, user, now)?;
    Ok(Confirmed::Verified {
        session,
        return_to: link.data,
    })
}

/// A registration's address is the user's; its other verification links are spent.
fn verify(conn: &mut DbConn, user: &User, ip: Option<&str>, now: i64) -> Result<(), AccountError> {
    users::mark_email_verified(conn, &user.id, now)?;
    one_time_tokens::spend_all_of(conn, &user.id, &[Purpose::EmailVerification], now)?;
    let event = Event::new(EventKind::EmailVerified).user(&user.id).ip(ip);
    Ok(audit::record(conn, &event, now)?)
}

/// The new address of an email change, as stored with its link.
fn address_of(link: &OneTimeToken) -> Result<Email, StoreError> {
    let raw = link.data.as_deref().unwrap_or_default();
    Email::parse(raw).map_err(StoreError::corrupt("one_time_tokens", "data"))
}

/// The account takes its new, now verified, address. Every link that went to the old
/// address (verification, reset, other changes) dies with it.
fn change_address(
    conn: &mut DbConn,
    user: &User,
    link: &OneTimeToken,
    ip: Option<&str>,
    now: i64,
) -> Result<(), AccountError> {
    let email = address_of(link)?;
    match users::change_email(conn, &user.id, &email, now) {
        Err(StoreError::Duplicate) => return Err(AccountError::EmailTaken),
        other => other?,
    }
    let old_links = [
        Purpose::EmailVerification,
        Purpose::EmailChange,
        Purpose::PasswordReset,
        Purpose::SetPassword,
    ];
    one_time_tokens::spend_all_of(conn, &user.id, &old_links, now)?;
    let detail = format!("from {} to {}", user.email.as_str(), email.as_str());
    let event = Event::new(EventKind::EmailChanged)
        .user(&user.id)
        .ip(ip)
        .detail(&detail);
    Ok(audit::record(conn, &event, now)?)
}
