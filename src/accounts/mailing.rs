//! What the account flows mail, and the single-use links in it: each is written in the
//! transaction of what caused it (the mail queue's rule), and a link's secret exists only in
//! the message; the database keeps its SHA-256.
use super::{AccountError, Flows};
use crate::domain::{Email, SecretToken};
use crate::mail::{Links, Mail};
use crate::store::one_time_tokens::{self, NewToken, Purpose};
use crate::store::{mail_queue, DbConn};

impl Flows<'_> {
    /// Links under the issuer (never the request's Host header, which an attacker chooses).
    pub(super) fn links(&self) -> Links {
        Links::new(self.issuer)
    }

    /// How long a link for `purpose` works.
    fn lifetime(&self, purpose: Purpose) -> i64 {
        match purpose {
            Purpose::PasswordReset | Purpose::SetPassword => self.reset_token_lifetime,
            Purpose::EmailVerification | Purpose::EmailChange => self.verification_token_lifetime,
        }
    }
}

/// Renders `mail` for `to` and queues it, in the caller's transaction.
pub(super) fn queue(
    conn: &mut DbConn,
    flows: &Flows<'_>,
    mail: Mail<'_>,
    to: &Email,
    now: i64,
) -> Result<(), AccountError> {
    let message = mail.render(to, flows.ui)?;
    mail_queue::enqueue(conn, &message, now)?;
    Ok(())
}

/// Stores `token` (made by the caller, who needs it for the message) as a link of `user_id`
/// for `purpose`, carrying `data`.
pub(super) fn store_link(
    conn: &mut DbConn,
    flows: &Flows<'_>,
    token: &SecretToken,
    purpose: Purpose,
    user_id: &str,
    data: Option<&str>,
    now: i64,
) -> Result<(), AccountError> {
    let new = NewToken {
        hash: &token.hash(),
        purpose,
        user_id,
        data,
        lifetime: flows.lifetime(purpose),
    };
    one_time_tokens::insert(conn, &new, now)?;
    Ok(())
}

/// A new link of `user_id` for `purpose`: the secret to put in the message.
pub(super) fn issue_link(
    conn: &mut DbConn,
    flows: &Flows<'_>,
    purpose: Purpose,
    user_id: &str,
    data: Option<&str>,
    now: i64,
) -> Result<SecretToken, AccountError> {
    let token = SecretToken::generate();
    store_link(conn, flows, &token, purpose, user_id, data, now)?;
    Ok(token)
}
