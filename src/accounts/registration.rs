//! Registration. With `accounts.require_verified_email` (the default) it reveals nothing:
//! every valid form gets "check your inbox". A new address gets an unverified account and a
//! verification link; an address that has an account, or looks like one that has (the same
//! UTS #39 skeleton), gets a message to the existing account's address saying so, with links
//! to log in or reset. Without verification the account logs in at once, and a taken
//! address is said to be taken (so enumeration protection is off).
use super::login::{start_session, NewSession};
use super::mailing::{queue, store_link};
use super::users::{insert_user, Channel, NewAccount, PreparedAccount};
use super::verification::{send_verification, verification_mail};
use super::{AccountError, Accounts, Flows};
use crate::domain::{Role, SecretToken};
use crate::mail::Mail;
use crate::store::audit::{self, Event, EventKind};
use crate::store::one_time_tokens::Purpose;
use crate::store::users::{self, User};
use crate::store::{savepoint, write_transaction, DbConn, Pool, StoreError};

/// The registration form as typed.
#[derive(Clone, Copy, Debug)]
pub struct Registration<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub name: &'a str,
}

impl<'a> Registration<'a> {
    pub(super) fn account(&self, role: Role) -> NewAccount<'a> {
        NewAccount {
            email: self.email,
            name: self.name,
            password: self.password,
            role,
        }
    }
}

/// How a registration ended.
pub enum Registered {
    /// Verification is not required: the new account is logged in.
    LoggedIn(NewSession),
    /// The one answer whatever the address: a message is on its way to it.
    CheckInbox,
}

/// Registers from the form; `return_to` (a local path, say a pending authorization request)
/// is where the verification link continues. The form is checked (alike for every address)
/// and the password hashed (argon2, whether or not the address is taken) before a
/// connection is taken from the pool.
pub fn register(
    pool: &Pool,
    accounts: &Accounts<'_>,
    form: &Registration<'_>,
    return_to: Option<&str>,
    ip: Option<&str>,
    now: i64,
) -> Result<Registered, AccountError> {
    // Before the hash: a closed registration costs nothing.
    if !accounts.flows.registration_open {
        return Err(AccountError::RegistrationClosed);
    }
    let account = form
        .account(Role::User)
        .check(&accounts.password_policy)?
        .hash(accounts.hasher);
    let mut conn = pool.get().map_err(StoreError::from)?;
    register_prepared(&mut conn, accounts, &account, return_to, ip, now)
}

/// [`register`] once the form is checked and the password hashed.
pub fn register_prepared(
    conn: &mut DbConn,
    accounts: &Accounts<'_>,
    account: &PreparedAccount,
    return_to: Option<&str>,
    ip: Option<&str>,
    now: i64,
) -> Result<Registered, AccountError> {
    let flows = &accounts.flows;
    if !flows.registration_open {
        return Err(AccountError::RegistrationClosed);
    }
    if !flows.require_verified_email {
        let user = write_transaction(conn, |conn| {
            let user = insert_user(conn, account, Channel::Registration { ip }, now)?;
            // Unverified still, so `email_verified` can become true when the link is opened.
            send_verification(conn, flows, &user, return_to, ip, now)?;
            Ok::<_, AccountError>(user)
        })?;
        let session = start_session(conn, accounts.session_lifetime, user, now)?;
        return Ok(Registered::LoggedIn(session));
    }
    match register_unverified(conn, flows, account, return_to, ip, now) {
        // Registered by someone else between the lookup and the insert: now it has an
        // account, and the second pass takes that path.
        Err(AccountError::EmailTaken) => {
            register_unverified(conn, flows, account, return_to, ip, now)?
        }
        other => other?,
    }
    Ok(Registered::CheckInbox)
}

/// One pass of a registration that reveals nothing. Both outcomes run the same statements:
/// a lookup, then a transaction with a savepoint that inserts an account (and its audit
/// event) and a verification link, then one message and one audit event. For a taken
/// address the savepoint inserts a decoy account and is rolled back, and the message goes
/// to the existing account instead.
fn register_unverified(
    conn: &mut DbConn,
    flows: &Flows<'_>,
    account: &PreparedAccount,
    return_to: Option<&str>,
    ip: Option<&str>,
    now: i64,
) -> Result<(), AccountError> {
    let holder = users::find_holder(conn, account.email())?;
    let decoy;
    let inserted = match holder {
        None => account,
        Some(_) => {
            decoy = account.decoy();
            &decoy
        }
    };
    let token = SecretToken::generate();
    write_transaction(conn, |conn| {
        let mut created = None;
        savepoint(conn, holder.is_none(), |conn| {
            let user = insert_user(conn, inserted, Channel::Registration { ip }, now)?;
            let purpose = Purpose::EmailVerification;
            store_link(conn, flows, &token, purpose, &user.id, return_to, now)?;
            created = Some(user);
            Ok::<_, AccountError>(())
        })?;
        match (&holder, created) {
            (Some(holder), _) => tell_the_holder(conn, flows, holder, ip, now),
            (None, Some(user)) => verification_mail(conn, flows, &user, &token, ip, now),
            // A kept savepoint ran to its end, so it created the account.
            (None, None) => Ok(()),
        }
    })
}

/// A registration with the address (or a look-alike) of `holder`'s account: its owner is
/// told, at their own address, how to get in.
fn tell_the_holder(
    conn: &mut DbConn,
    flows: &Flows<'_>,
    holder: &User,
    ip: Option<&str>,
    now: i64,
) -> Result<(), AccountError> {
    let links = flows.links();
    let (login_link, reset_link) = (links.login(), links.forgot_password());
    let mail = Mail::AlreadyRegistered {
        login_link: &login_link,
        reset_link: &reset_link,
    };
    queue(conn, flows, mail, &holder.email, now)?;
    let event = Event::new(EventKind::DuplicateRegistration)
        .user(&holder.id)
        .ip(ip);
    Ok(audit::record(conn, &event, now)?)
}
