//! The audit log: one row per security event. Details never hold a password, secret,
//! token or code.
use diesel::prelude::*;

use super::schema::audit_events;
use super::{DbConn, StoreError};

/// Security events, named as they appear in the `kind` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    UserRegistered,
    LoginSucceeded,
    LoginFailed,
    Logout,
    /// A failed login reached a throttling limit: the next attempt in its bucket waits (the
    /// detail names the bucket and the wait).
    LoginThrottled,
    /// A browser with the account's device cookie logged in (or tried) while the buckets it
    /// would otherwise use were throttled.
    LoginDeviceRecognised,
    /// Registrations or reset requests reached a limit, per client IP or per address.
    RegisterThrottled,
    ForgotPasswordThrottled,
    /// Failed client authentications for a client_id reached the limit.
    ClientAuthThrottled,
    RoleChanged,
    FirstAdminCreated,
    CodeReplayed,
    RefreshTokenReused,
    /// A just-rotated refresh token retried within `tokens.refresh_reuse_grace`.
    RefreshTokenRetried,
    /// A refresh token killed by such a retry was presented: refused, the family kept.
    RefreshTokenSuperseded,
    TokenRefreshed,
    TokenRevoked,
    ConsentWithdrawn,
    ConsentGranted,
    AuthorizeForeignBrowser,
    KeyCreated,
    KeyActivated,
    KeyRetired,
    KeyDropped,
    /// A reset link was asked for (with no user when no account has the address).
    PasswordResetRequested,
    PasswordResetCompleted,
    /// Changed by the user on /account (a reset is `PasswordResetCompleted`).
    PasswordChanged,
    EmailVerificationSent,
    EmailVerified,
    EmailChangeRequested,
    EmailChanged,
    /// Someone registered with an address that has an account (or looks like one that has):
    /// the owner was mailed, the registrant got the usual answer.
    DuplicateRegistration,
    /// Configuration as code changed something (the detail summarises what).
    ProvisionApplied,
    /// A login through an upstream identity provider (issue 12); the detail names it.
    FederatedLogin,
    /// A login through an upstream failed; the detail says why (never a token or code).
    FederatedLoginFailed,
    /// An upstream identity was linked to an account, or unlinked from it.
    AccountLinked,
    AccountUnlinked,
    /// A mailed proof of the account an upstream identity would be linked to.
    LinkProofSent,
    /// The console or the CLI made an account (the detail says who and how).
    UserCreated,
    UserDisabled,
    UserEnabled,
    UserDeleted,
    /// An administrator ended a login session of a user.
    SessionRevoked,
    /// A logged-in user who is not an administrator asked for a console page.
    PermissionDenied,
    /// An administrator typed the password again to make a console change (sudo mode).
    SudoReauthenticated,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::UserRegistered => "user.registered",
            EventKind::LoginSucceeded => "login.succeeded",
            EventKind::LoginFailed => "login.failed",
            EventKind::Logout => "logout",
            EventKind::LoginThrottled => "login.throttled",
            EventKind::LoginDeviceRecognised => "login.device_recognised",
            EventKind::RegisterThrottled => "register.throttled",
            EventKind::ForgotPasswordThrottled => "forgot_password.throttled",
            EventKind::ClientAuthThrottled => "client_auth.throttled",
            EventKind::RoleChanged => "user.role_changed",
            EventKind::FirstAdminCreated => "setup.first_admin",
            EventKind::CodeReplayed => "token.code_replayed",
            EventKind::RefreshTokenReused => "token.refresh_reused",
            EventKind::RefreshTokenRetried => "token.refresh_retried",
            EventKind::RefreshTokenSuperseded => "token.refresh_superseded",
            EventKind::TokenRefreshed => "token.refreshed",
            EventKind::TokenRevoked => "token.revoked",
            EventKind::ConsentWithdrawn => "consent.withdrawn",
            EventKind::ConsentGranted => "consent.granted",
            EventKind::AuthorizeForeignBrowser => "authorize.foreign_browser",
            EventKind::KeyCreated => "key.created",
            EventKind::KeyActivated => "key.activated",
            EventKind::KeyRetired => "key.retired",
            EventKind::KeyDropped => "key.dropped",
            EventKind::PasswordResetRequested => "password.reset_requested",
            EventKind::PasswordResetCompleted => "password.reset_completed",
            EventKind::PasswordChanged => "password.changed",
            EventKind::EmailVerificationSent => "email.verification_sent",
            EventKind::EmailVerified => "email.verified",
            EventKind::EmailChangeRequested => "email.change_requested",
            EventKind::EmailChanged => "email.changed",
            EventKind::DuplicateRegistration => "user.duplicate_registration",
            EventKind::ProvisionApplied => "provision_applied",
            EventKind::FederatedLogin => "federated_login",
            EventKind::FederatedLoginFailed => "federated_login_failed",
            EventKind::AccountLinked => "account_linked",
            EventKind::AccountUnlinked => "account_unlinked",
            EventKind::LinkProofSent => "link_proof_sent",
            EventKind::UserCreated => "user_created",
            EventKind::UserDisabled => "user_disabled",
            EventKind::UserEnabled => "user_enabled",
            EventKind::UserDeleted => "user_deleted",
            EventKind::SessionRevoked => "session_revoked",
            EventKind::PermissionDenied => "permission_denied",
            EventKind::SudoReauthenticated => "sudo_reauthenticated",
        }
    }
}

pub struct Event<'a> {
    pub kind: EventKind,
    pub user_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub detail: &'a str,
}

impl<'a> Event<'a> {
    pub fn new(kind: EventKind) -> Self {
        Event {
            kind,
            user_id: None,
            ip: None,
            detail: "",
        }
    }
    pub fn user(mut self, user_id: &'a str) -> Self {
        self.user_id = Some(user_id);
        self
    }
    pub fn ip(mut self, ip: Option<&'a str>) -> Self {
        self.ip = ip;
        self
    }
    pub fn detail(mut self, detail: &'a str) -> Self {
        self.detail = detail;
        self
    }
}

/// Reuses of a rotated refresh token this process detected (`ferrid_refresh_token_reuse_total`):
/// counted where the event is recorded, the one place every detection passes.
pub static REFRESH_TOKEN_REUSES: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0);

pub fn record(conn: &mut DbConn, event: &Event<'_>, now: i64) -> Result<(), StoreError> {
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::at.eq(now),
            audit_events::kind.eq(event.kind.as_str()),
            audit_events::user_id.eq(event.user_id),
            audit_events::ip.eq(event.ip),
            audit_events::detail.eq(event.detail),
        ))
        .execute(conn)?;
    if event.kind == EventKind::RefreshTokenReused {
        REFRESH_TOKEN_REUSES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    Ok(())
}

/// A stored event, for the console and for tests.
/// (`kind` stays text: the log keeps what older versions wrote.)
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct StoredEvent {
    pub id: i64,
    pub at: i64,
    pub kind: String,
    pub user_id: Option<String>,
    pub ip: Option<String>,
    pub detail: String,
}

pub fn recent(conn: &mut DbConn, limit: i64) -> Result<Vec<StoredEvent>, StoreError> {
    Ok(audit_events::table
        .order(audit_events::id.desc())
        .limit(limit)
        .select(StoredEvent::as_select())
        .load(conn)?)
}
