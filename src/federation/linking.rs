//! What a verified upstream identity does here. An identity is found by (provider, issuer,
//! subject), never by email. An unknown one whose verified address is an account's is
//! linked only after the person proves that account (its password, or a link mailed to it
//! that is bound to this identity and this browser), or directly when the provider is
//! trusted for addresses (`trust_email`) and both the upstream and the account have the
//! address verified. An unverified upstream address is never used to link, to mail a proof
//! or to mark an address verified (the nOAuth class of takeovers).
use std::fmt;

use super::{FederationError, UpstreamIdentity};
use crate::accounts::{Flows, NewSession};
use crate::domain::{random_id, SecretToken, TokenHash};
use crate::mail::Mail;
use crate::store::audit::{self, Event, EventKind};
use crate::store::federation::{self as store, Identity, IdentityKey, PendingLink};
use crate::store::users::{self, User};
use crate::store::{mail_queue, sessions, write_transaction, DbConn, StoreError};

/// A mailed proof and a pending link live 15 minutes.
pub const PROOF_LIFETIME: i64 = 900;
/// Mailed proofs one pending link may have live at once: enough for a lost message, too
/// few to flood the account's mailbox.
pub const MAX_LIVE_PROOFS: i64 = 3;

/// An account as the decision sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Account<'a> {
    pub id: &'a str,
    pub disabled: bool,
    pub email_verified: bool,
}

/// Everything the decision looks at.
#[derive(Clone, Copy, Debug)]
pub struct Situation<'a> {
    /// The account the identity is linked to, if any.
    pub linked_to: Option<Account<'a>>,
    /// A logged-in user linking another provider from /account.
    pub linking_user: Option<&'a str>,
    /// The account whose address is the upstream's address (same normalised form).
    pub holder: Option<Account<'a>>,
    /// Some account has an address that looks like the upstream's (UTS #39 skeleton).
    pub lookalike_taken: bool,
    pub has_email: bool,
    pub email_verified: bool,
    pub trust_email: bool,
    pub allow_signup: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    LogIn {
        user_id: String,
    },
    /// Link to the account with the address and log in (`trust_email`).
    LinkAndLogIn {
        user_id: String,
    },
    /// Ask the person to prove the account with the address; `by_mail` when a mailed link
    /// may be offered (the account's address is verified).
    AskProof {
        user_id: String,
        by_mail: bool,
    },
    /// Link to the logged-in user who asked for it.
    LinkToCurrent {
        user_id: String,
    },
    /// The logged-in user linked this identity already.
    AlreadyLinked,
    /// Create an account; its address is verified only if the upstream said so.
    SignUp {
        email_verified: bool,
    },
    Refuse(Refusal),
}

/// Why an identity may not log in; each has a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Disabled,
    /// Linked to another account than the logged-in one that asked to link it.
    LinkedToAnother,
    SignupClosed,
    /// No address to make an account with.
    NoEmail,
    /// An account has this (unverified upstream) address, or one like it.
    AddressTaken,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refusal::Disabled => "account disabled",
            Refusal::LinkedToAnother => "identity linked to another account",
            Refusal::SignupClosed => "signup not allowed",
            Refusal::NoEmail => "no email address",
            Refusal::AddressTaken => "address taken by an account",
        })
    }
}

/// The decision, as a pure function of the situation.
pub fn decide(s: &Situation<'_>) -> Decision {
    if let Some(linked) = s.linked_to {
        return match s.linking_user {
            Some(current) if current == linked.id => Decision::AlreadyLinked,
            Some(_) => Decision::Refuse(Refusal::LinkedToAnother),
            None if linked.disabled => Decision::Refuse(Refusal::Disabled),
            None => Decision::LogIn {
                user_id: linked.id.to_string(),
            },
        };
    }
    if let Some(current) = s.linking_user {
        return Decision::LinkToCurrent {
            user_id: current.to_string(),
        };
    }
    match s.holder {
        Some(holder) if s.email_verified => {
            if holder.disabled {
                Decision::Refuse(Refusal::Disabled)
            } else if s.trust_email && holder.email_verified {
                Decision::LinkAndLogIn {
                    user_id: holder.id.to_string(),
                }
            } else {
                // An unverified account's address may be a squatter's: its password is the
                // only proof (a mailed link would prove the address, not the account).
                Decision::AskProof {
                    user_id: holder.id.to_string(),
                    by_mail: holder.email_verified,
                }
            }
        }
        Some(_) => Decision::Refuse(Refusal::AddressTaken),
        None if s.lookalike_taken => Decision::Refuse(Refusal::AddressTaken),
        None if !s.allow_signup => Decision::Refuse(Refusal::SignupClosed),
        None if !s.has_email => Decision::Refuse(Refusal::NoEmail),
        None => Decision::SignUp {
            email_verified: s.email_verified,
        },
    }
}

/// The provider's rules the decision needs.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    pub trust_email: bool,
    pub allow_signup: bool,
    pub session_lifetime: i64,
}

/// Where a completed callback goes.
pub enum Outcome {
    /// Logged in: the new session, and where the login continues.
    LoggedIn {
        session: NewSession,
        return_to: String,
    },
    /// The logged-in user linked the identity (or had already).
    Linked,
    /// The person must prove the account first (its pending link is stored).
    NeedsProof,
}

/// What the callback knows besides the identity.
pub struct Callback<'a> {
    pub flow: &'a store::Flow,
    /// The logged-in user of this browser, if any.
    pub current_user: Option<&'a str>,
    pub browser: &'a TokenHash,
    pub ip: Option<&'a str>,
}

/// Applies the decision for `identity`: one transaction.
pub fn complete(
    conn: &mut DbConn,
    policy: Policy,
    identity: &UpstreamIdentity,
    callback: &Callback<'_>,
    now: i64,
) -> Result<Outcome, FederationError> {
    let flow = callback.flow;
    // A link started from /account continues only as the user who started it.
    if let Some(linking) = &flow.link_user_id {
        if callback.current_user != Some(linking.as_str()) {
            return Err(FederationError::State);
        }
    }
    write_transaction(conn, |conn| {
        let linked = store::find_identity(conn, &identity.key)?;
        let linked_user = match &linked {
            Some(l) => users::find_by_id(conn, &l.user_id)?,
            None => None,
        };
        let holder = match &identity.email {
            Some(email) => users::find_by_email(conn, email)?,
            None => None,
        };
        let lookalike_taken = match (&identity.email, &holder) {
            (Some(email), None) => users::find_holder(conn, email)?.is_some(),
            _ => false,
        };
        let situation = Situation {
            linked_to: linked_user.as_ref().map(account),
            linking_user: flow.link_user_id.as_deref(),
            holder: holder.as_ref().map(account),
            lookalike_taken,
            has_email: identity.email.is_some(),
            email_verified: identity.email_verified,
            trust_email: policy.trust_email,
            allow_signup: policy.allow_signup,
        };
        let email = identity.email.as_ref().map(|e| e.as_str());
        let key = &identity.key;
        match decide(&situation) {
            Decision::LogIn { user_id } => {
                store::touch(conn, key, email, now)?;
                log_in(conn, policy, &user_id, key, callback.ip, now)
                    .map(|session| logged_in(session, flow))
            }
            Decision::LinkAndLogIn { user_id } => {
                link(
                    conn,
                    key,
                    &user_id,
                    email,
                    "upstream verified email",
                    callback.ip,
                    now,
                )?;
                log_in(conn, policy, &user_id, key, callback.ip, now)
                    .map(|session| logged_in(session, flow))
            }
            Decision::LinkToCurrent { user_id } => {
                link(
                    conn,
                    key,
                    &user_id,
                    email,
                    "from the account page",
                    callback.ip,
                    now,
                )?;
                Ok(Outcome::Linked)
            }
            Decision::AlreadyLinked => Ok(Outcome::Linked),
            Decision::AskProof { user_id, .. } => {
                let Some(email) = email else {
                    return Err(FederationError::Refused(Refusal::NoEmail));
                };
                let pending = PendingLink {
                    id: random_id(),
                    browser_hash: callback.browser.as_str().to_string(),
                    user_id,
                    provider: key.provider.clone(),
                    issuer: key.issuer.clone(),
                    subject: key.subject.clone(),
                    email: email.to_string(),
                    return_to: flow.return_to.clone(),
                    expires_at: now + PROOF_LIFETIME,
                };
                store::insert_pending(conn, &pending, now)?;
                Ok(Outcome::NeedsProof)
            }
            Decision::SignUp { email_verified } => {
                let Some(address) = &identity.email else {
                    return Err(FederationError::Refused(Refusal::NoEmail));
                };
                let name: String = identity.name.chars().take(200).collect();
                let user =
                    match users::insert_without_password(conn, address, &name, email_verified, now)
                    {
                        Err(StoreError::Duplicate) => {
                            return Err(FederationError::Refused(Refusal::AddressTaken))
                        }
                        other => other?,
                    };
                let detail = format!("via {}", key.provider);
                let event = Event::new(EventKind::UserRegistered)
                    .user(&user.id)
                    .ip(callback.ip)
                    .detail(&detail);
                audit::record(conn, &event, now)?;
                link(conn, key, &user.id, email, "new account", callback.ip, now)?;
                log_in(conn, policy, &user.id, key, callback.ip, now)
                    .map(|session| logged_in(session, flow))
            }
            Decision::Refuse(refusal) => Err(FederationError::Refused(refusal)),
        }
    })
}

fn account(user: &User) -> Account<'_> {
    Account {
        id: &user.id,
        disabled: user.disabled,
        email_verified: user.email_verified,
    }
}

fn logged_in(session: NewSession, flow: &store::Flow) -> Outcome {
    Outcome::LoggedIn {
        session,
        return_to: flow.return_to.clone(),
    }
}

fn describe(key: &IdentityKey) -> String {
    format!("{} ({} {})", key.provider, key.issuer, key.subject)
}

fn link(
    conn: &mut DbConn,
    key: &IdentityKey,
    user_id: &str,
    email: Option<&str>,
    how: &str,
    ip: Option<&str>,
    now: i64,
) -> Result<(), FederationError> {
    match store::link(conn, key, user_id, email, now) {
        Err(StoreError::Duplicate) => {
            return Err(FederationError::Refused(Refusal::LinkedToAnother))
        }
        other => other?,
    }
    let detail = format!("{}; {how}", describe(key));
    let event = Event::new(EventKind::AccountLinked)
        .user(user_id)
        .ip(ip)
        .detail(&detail);
    audit::record(conn, &event, now)?;
    Ok(())
}

/// A new session for `user_id` (a new random id: no session fixation), audited.
fn log_in(
    conn: &mut DbConn,
    policy: Policy,
    user_id: &str,
    key: &IdentityKey,
    ip: Option<&str>,
    now: i64,
) -> Result<NewSession, FederationError> {
    let user = users::find_by_id(conn, user_id)?
        .filter(|u| !u.disabled)
        .ok_or(FederationError::Refused(Refusal::Disabled))?;
    let secret = SecretToken::generate();
    sessions::create(conn, &secret.hash(), &user.id, now, policy.session_lifetime)?;
    let detail = describe(key);
    let event = Event::new(EventKind::FederatedLogin)
        .user(&user.id)
        .ip(ip)
        .detail(&detail);
    audit::record(conn, &event, now)?;
    Ok(NewSession {
        user,
        secret,
        device_cookie: None,
    })
}

/// The live pending link of this browser, if any.
pub fn pending(
    conn: &mut DbConn,
    browser: Option<&TokenHash>,
    now: i64,
) -> Result<Option<PendingLink>, FederationError> {
    match browser {
        Some(browser) => Ok(store::find_pending(conn, browser, now)?),
        None => Ok(None),
    }
}

/// Whether a mailed proof may be offered for `pending`: its account's address is verified.
pub fn mail_proof_allowed(
    conn: &mut DbConn,
    pending: &PendingLink,
) -> Result<bool, FederationError> {
    Ok(users::find_by_id(conn, &pending.user_id)?.is_some_and(|u| u.email_verified && !u.disabled))
}

/// After the person proved the pending link's account by its password (a login of that
/// account in this browser): links the identity. `proven_user` is who logged in.
pub fn link_after_password(
    conn: &mut DbConn,
    browser: &TokenHash,
    proven_user: &str,
    ip: Option<&str>,
    now: i64,
) -> Result<Option<String>, FederationError> {
    write_transaction(conn, |conn| {
        let Some(pending) = store::find_pending(conn, browser, now)? else {
            return Ok(None);
        };
        if pending.user_id != proven_user || !store::spend_pending(conn, &pending.id, now)? {
            return Ok(None);
        }
        let key = pending.key();
        link(
            conn,
            &key,
            proven_user,
            Some(&pending.email),
            "password proof",
            ip,
            now,
        )?;
        Ok(Some(pending.return_to))
    })
}

/// What became of a request for a mailed proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofRequest {
    Sent,
    /// No live pending link in this browser, or its account may not get one.
    NoPendingLink,
    /// [`MAX_LIVE_PROOFS`] are live already.
    TooMany,
}

/// Mails a proof for the browser's pending link to its account's (verified) address.
pub fn send_proof(
    conn: &mut DbConn,
    flows: &Flows<'_>,
    browser: &TokenHash,
    provider_display: &str,
    ip: Option<&str>,
    now: i64,
) -> Result<ProofRequest, FederationError> {
    write_transaction(conn, |conn| {
        let Some(pending) = store::find_pending(conn, browser, now)? else {
            return Ok(ProofRequest::NoPendingLink);
        };
        let Some(user) =
            users::find_by_id(conn, &pending.user_id)?.filter(|u| u.email_verified && !u.disabled)
        else {
            return Ok(ProofRequest::NoPendingLink);
        };
        if store::live_proofs_of(conn, &pending.id, now)? >= MAX_LIVE_PROOFS {
            return Ok(ProofRequest::TooMany);
        }
        let token = SecretToken::generate();
        store::insert_proof(conn, &token.hash(), &pending, PROOF_LIFETIME, now)?;
        let link = format!(
            "{}/login/{}/link/confirm?token={}",
            flows.issuer.trim_end_matches('/'),
            pending.provider,
            token.as_str()
        );
        let mail = Mail::LinkProof {
            link: &link,
            provider: provider_display,
        };
        let message = mail
            .render(&user.email, flows.ui)
            .map_err(crate::accounts::AccountError::from)?;
        mail_queue::enqueue(conn, &message, now)?;
        let detail = describe(&pending.key());
        let event = Event::new(EventKind::LinkProofSent)
            .user(&user.id)
            .ip(ip)
            .detail(&detail);
        audit::record(conn, &event, now)?;
        Ok(ProofRequest::Sent)
    })
}

/// Whether the mailed proof `token` can still link in this browser (reads only).
pub fn proof_is_live(
    conn: &mut DbConn,
    token: &str,
    browser: Option<&TokenHash>,
    now: i64,
) -> Result<bool, FederationError> {
    let (Some(token), Some(browser)) = (SecretToken::from_presented(token), browser) else {
        return Ok(false);
    };
    let Some(proof) = store::find_live_proof(conn, &token.hash(), now)? else {
        return Ok(false);
    };
    let pending = store::find_pending(conn, browser, now)?;
    Ok(pending.is_some_and(|p| proof_matches(&proof, &p)))
}

fn proof_matches(proof: &store::LinkProof, pending: &PendingLink) -> bool {
    proof.pending_id == pending.id
        && proof.user_id == pending.user_id
        && proof.provider == pending.provider
        && proof.issuer == pending.issuer
        && proof.subject == pending.subject
}

/// Redeems the mailed proof `token` in this browser: links the identity and logs in.
/// `None` when the proof is forged, spent, expired, for another identity or browser, or
/// the account cannot log in.
pub fn confirm_proof(
    conn: &mut DbConn,
    policy: Policy,
    token: &str,
    browser: &TokenHash,
    ip: Option<&str>,
    now: i64,
) -> Result<Option<(NewSession, String)>, FederationError> {
    let Some(token) = SecretToken::from_presented(token) else {
        return Ok(None);
    };
    write_transaction(conn, |conn| {
        let Some(proof) = store::redeem_proof(conn, &token.hash(), now)? else {
            return Ok(None);
        };
        let Some(pending) = store::find_pending(conn, browser, now)? else {
            return Ok(None);
        };
        if !proof_matches(&proof, &pending) || !store::spend_pending(conn, &pending.id, now)? {
            return Ok(None);
        }
        let key = pending.key();
        link(
            conn,
            &key,
            &pending.user_id,
            Some(&pending.email),
            "mailed proof",
            ip,
            now,
        )?;
        let session = log_in(conn, policy, &pending.user_id, &key, ip, now)?;
        Ok(Some((session, pending.return_to)))
    })
}

/// A user's linked identities, and whether they have a password.
pub fn linked_identities(
    conn: &mut DbConn,
    user_id: &str,
) -> Result<(Vec<Identity>, bool), FederationError> {
    let identities = store::identities_of(conn, user_id)?;
    let has_password =
        users::find_with_hash(conn, user_id)?.is_some_and(|(_, hash)| hash.is_some());
    Ok((identities, has_password))
}

/// Why an unlink did not happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnlinkRefusal {
    NotLinked,
    /// The last way to log in: set a password (or link another provider) first.
    LastLoginMethod,
}

/// Whether removing one of `links` leaves a way to log in.
pub fn may_unlink(links: usize, has_password: bool) -> bool {
    has_password || links > 1
}

/// Unlinks `key` from `user_id`, unless it is their last way to log in; every proof and
/// pending link of the user or of the identity dies with it.
pub fn unlink(
    conn: &mut DbConn,
    user_id: &str,
    key: &IdentityKey,
    ip: Option<&str>,
    now: i64,
) -> Result<Result<(), UnlinkRefusal>, FederationError> {
    write_transaction(conn, |conn| {
        // A write first, so the transaction holds the write lock (see write_transaction).
        store::spend_proofs(conn, user_id, key, now)?;
        let (identities, has_password) = linked_identities(conn, user_id)?;
        if !identities.iter().any(|i| &i.key() == key) {
            return Ok(Err(UnlinkRefusal::NotLinked));
        }
        if !may_unlink(identities.len(), has_password) {
            return Ok(Err(UnlinkRefusal::LastLoginMethod));
        }
        store::unlink(conn, key, user_id)?;
        let detail = describe(key);
        let event = Event::new(EventKind::AccountUnlinked)
            .user(user_id)
            .ip(ip)
            .detail(&detail);
        audit::record(conn, &event, now)?;
        Ok(Ok(()))
    })
}

/// A failed upstream login, in the audit log (the reason, never a token).
pub fn record_failure(
    conn: &mut DbConn,
    provider: &str,
    reason: &str,
    ip: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    let detail: String = format!("{provider}: {reason}").chars().take(300).collect();
    let event = Event::new(EventKind::FederatedLoginFailed)
        .ip(ip)
        .detail(&detail);
    audit::record(conn, &event, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANN: Account<'static> = Account {
        id: "ann",
        disabled: false,
        email_verified: true,
    };

    fn situation() -> Situation<'static> {
        Situation {
            linked_to: None,
            linking_user: None,
            holder: None,
            lookalike_taken: false,
            has_email: true,
            email_verified: true,
            trust_email: false,
            allow_signup: true,
        }
    }

    fn user(id: &str) -> String {
        id.to_string()
    }

    #[test]
    fn the_decision_table() {
        let disabled = Account {
            disabled: true,
            ..ANN
        };
        let unverified_account = Account {
            email_verified: false,
            ..ANN
        };
        let base = situation();
        let cases: Vec<(&str, Situation<'static>, Decision)> =
            vec![
            (
                "a linked identity logs in",
                Situation { linked_to: Some(ANN), ..base },
                Decision::LogIn { user_id: user("ann") },
            ),
            (
                "a linked identity of a disabled account is refused",
                Situation { linked_to: Some(disabled), ..base },
                Decision::Refuse(Refusal::Disabled),
            ),
            (
                "a linked identity logs in even when its address is now another account's",
                Situation {
                    linked_to: Some(ANN),
                    holder: Some(Account { id: "bob", ..ANN }),
                    ..base
                },
                Decision::LogIn { user_id: user("ann") },
            ),
            (
                "linking from the account page an identity linked elsewhere is refused",
                Situation {
                    linked_to: Some(Account { id: "bob", ..ANN }),
                    linking_user: Some("ann"),
                    ..base
                },
                Decision::Refuse(Refusal::LinkedToAnother),
            ),
            (
                "linking again what is linked already is fine",
                Situation { linked_to: Some(ANN), linking_user: Some("ann"), ..base },
                Decision::AlreadyLinked,
            ),
            (
                "linking from the account page links to the logged-in user, whatever the address",
                Situation {
                    linking_user: Some("ann"),
                    holder: Some(Account { id: "bob", ..ANN }),
                    email_verified: false,
                    ..base
                },
                Decision::LinkToCurrent { user_id: user("ann") },
            ),
            (
                "a verified address of an account asks for a proof",
                Situation { holder: Some(ANN), ..base },
                Decision::AskProof { user_id: user("ann"), by_mail: true },
            ),
            (
                "trust_email links a verified address directly",
                Situation { holder: Some(ANN), trust_email: true, ..base },
                Decision::LinkAndLogIn { user_id: user("ann") },
            ),
            (
                "trust_email does not link to an account whose own address is unverified",
                Situation { holder: Some(unverified_account), trust_email: true, ..base },
                Decision::AskProof { user_id: user("ann"), by_mail: false },
            ),
            (
                "an unverified upstream address never links, trusted or not",
                Situation {
                    holder: Some(ANN),
                    email_verified: false,
                    trust_email: true,
                    ..base
                },
                Decision::Refuse(Refusal::AddressTaken),
            ),
            (
                "a disabled account's address is refused",
                Situation { holder: Some(disabled), trust_email: true, ..base },
                Decision::Refuse(Refusal::Disabled),
            ),
            (
                "a look-alike of an account's address is refused",
                Situation { lookalike_taken: true, ..base },
                Decision::Refuse(Refusal::AddressTaken),
            ),
            (
                "a new identity signs up with the upstream's verification",
                Situation { email_verified: false, ..base },
                Decision::SignUp { email_verified: false },
            ),
            (
                "a new verified identity signs up verified",
                base,
                Decision::SignUp { email_verified: true },
            ),
            (
                "without allow_signup a new identity is refused",
                Situation { allow_signup: false, ..base },
                Decision::Refuse(Refusal::SignupClosed),
            ),
            (
                "without an address there is no account to make",
                Situation { has_email: false, email_verified: false, ..base },
                Decision::Refuse(Refusal::NoEmail),
            ),
        ];
        for (name, situation, expected) in cases {
            assert_eq!(decide(&situation), expected, "{name}");
        }
    }

    #[test]
    fn the_last_way_to_log_in_stays() {
        assert!(may_unlink(1, true));
        assert!(may_unlink(2, false));
        assert!(!may_unlink(1, false));
    }
}
