//! Throttling of the forms that cost work whether or not they succeed: registration (a
//! password hash, a mail) and password-reset requests (a mail). Each submission that would
//! do that work (one whose fields pass their checks) counts against the client IP and
//! against the address typed (its confusable skeleton, so look-alike spellings share one
//! count), before any of the work; beyond the limits the answer is 429 with the wait. A form
//! refused for its fields costs nothing and is not counted, so a person finding a password
//! the rules accept is not slowed. The answer never depends on whether the address has an
//! account, so the limit reveals nothing. Call it first, in its own blocking call, before
//! taking a turn at the password hasher (`throttle_registration` for /register):
//!
//! ```text
//! web::block(move || accounts::throttle_form(&state.pool, &state.accounts(),
//!     FormLimit::ForgotPassword, ip.as_deref(), &email, now)).await??;
//! ```
use super::registration::Registration;
use super::{AccountError, Accounts};
use crate::domain::Email;
use crate::domain::Role;
use crate::security::rate_limit::{Kind, Reservation};
use crate::store::audit::{self, Event, EventKind};
use crate::store::{Pool, StoreError};

/// Which form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormLimit {
    Register,
    ForgotPassword,
}

impl FormLimit {
    fn kinds(self) -> (Kind, Kind, EventKind) {
        match self {
            FormLimit::Register => (
                Kind::RegisterIp,
                Kind::RegisterEmail,
                EventKind::RegisterThrottled,
            ),
            FormLimit::ForgotPassword => (
                Kind::ForgotPasswordIp,
                Kind::ForgotPasswordEmail,
                EventKind::ForgotPasswordThrottled,
            ),
        }
    }
}

/// Counts one submission of `form` from `ip` for `email` (as typed), or refuses it; an
/// address that is no address is not counted (the form is refused for it, with no work).
/// The submission that reaches a limit is audited (once per delay, not per refusal, so a
/// flood does not become a flood of writes).
pub fn throttle_form(
    pool: &Pool,
    accounts: &Accounts<'_>,
    form: FormLimit,
    ip: Option<&str>,
    email: &str,
    now: i64,
) -> Result<(), AccountError> {
    let Ok(email) = Email::parse(email) else {
        return Ok(());
    };
    let (per_ip, per_email, event_kind) = form.kinds();
    let skeleton = email.skeleton();
    let buckets = [(per_ip, ip.unwrap_or("-")), (per_email, skeleton.as_str())];
    let reservations = accounts
        .limiter
        .reserve_all(&buckets, now)
        .map_err(AccountError::RateLimited)?;
    let reached: Vec<&Reservation> = reservations.iter().filter(|r| r.next_wait > 0).collect();
    if !reached.is_empty() {
        let mut conn = pool.get().map_err(StoreError::from)?;
        for r in reached {
            let detail = format!("{}; next attempt in {} s", r.kind.as_str(), r.next_wait);
            let event = Event::new(event_kind).ip(ip).detail(&detail);
            audit::record(&mut conn, &event, now)?;
        }
    }
    Ok(())
}

/// [`throttle_form`] for a registration whose fields pass their checks (the email, the
/// name, the password rules); one that does not is left to `register` to refuse, uncounted.
pub fn throttle_registration(
    pool: &Pool,
    accounts: &Accounts<'_>,
    form: &Registration<'_>,
    ip: Option<&str>,
    now: i64,
) -> Result<(), AccountError> {
    let checked = form.account(Role::User).check(&accounts.password_policy);
    if checked.is_err() {
        return Ok(());
    }
    throttle_form(pool, accounts, FormLimit::Register, ip, form.email, now)
}
