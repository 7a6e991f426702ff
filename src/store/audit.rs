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
    /// The console or the CLI registered, changed or deleted an application, or replaced
    /// its secret (the detail names what changed, never the secret).
    ClientCreated,
    ClientUpdated,
    ClientSecretRotated,
    ClientDeleted,
    /// An administrator started a key rotation (the console's "rotate now", `ferrid keys
    /// rotate`); each new key is also `KeyCreated`.
    KeyRotated,
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
    /// Every kind, in the order the console's filter lists them.
    pub const ALL: &'static [EventKind] = &[
        EventKind::UserRegistered,
        EventKind::LoginSucceeded,
        EventKind::LoginFailed,
        EventKind::Logout,
        EventKind::LoginThrottled,
        EventKind::LoginDeviceRecognised,
        EventKind::RegisterThrottled,
        EventKind::ForgotPasswordThrottled,
        EventKind::ClientAuthThrottled,
        EventKind::RoleChanged,
        EventKind::FirstAdminCreated,
        EventKind::CodeReplayed,
        EventKind::RefreshTokenReused,
        EventKind::RefreshTokenRetried,
        EventKind::RefreshTokenSuperseded,
        EventKind::TokenRefreshed,
        EventKind::TokenRevoked,
        EventKind::ConsentWithdrawn,
        EventKind::ConsentGranted,
        EventKind::AuthorizeForeignBrowser,
        EventKind::KeyCreated,
        EventKind::KeyActivated,
        EventKind::KeyRetired,
        EventKind::KeyDropped,
        EventKind::PasswordResetRequested,
        EventKind::PasswordResetCompleted,
        EventKind::PasswordChanged,
        EventKind::EmailVerificationSent,
        EventKind::EmailVerified,
        EventKind::EmailChangeRequested,
        EventKind::EmailChanged,
        EventKind::DuplicateRegistration,
        EventKind::ClientCreated,
        EventKind::ClientUpdated,
        EventKind::ClientSecretRotated,
        EventKind::ClientDeleted,
        EventKind::KeyRotated,
        EventKind::UserCreated,
        EventKind::UserDisabled,
        EventKind::UserEnabled,
        EventKind::UserDeleted,
        EventKind::SessionRevoked,
        EventKind::PermissionDenied,
        EventKind::SudoReauthenticated,
        EventKind::ProvisionApplied,
        EventKind::FederatedLogin,
        EventKind::FederatedLoginFailed,
        EventKind::AccountLinked,
        EventKind::AccountUnlinked,
        EventKind::LinkProofSent,
    ];

    /// The stored name: snake_case, as the console, the CSV export and the CLI show it
    /// (migration 2026-12-02-000041 renamed the dotted names older versions wrote).
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::UserRegistered => "user_registered",
            EventKind::LoginSucceeded => "login_succeeded",
            EventKind::LoginFailed => "login_failed",
            EventKind::Logout => "logout",
            EventKind::LoginThrottled => "login_throttled",
            EventKind::LoginDeviceRecognised => "login_device_recognised",
            EventKind::RegisterThrottled => "register_throttled",
            EventKind::ForgotPasswordThrottled => "forgot_password_throttled",
            EventKind::ClientAuthThrottled => "client_auth_throttled",
            EventKind::RoleChanged => "role_changed",
            EventKind::FirstAdminCreated => "first_admin_created",
            EventKind::CodeReplayed => "code_replayed",
            EventKind::RefreshTokenReused => "refresh_token_reused",
            EventKind::RefreshTokenRetried => "refresh_token_retried",
            EventKind::RefreshTokenSuperseded => "refresh_token_superseded",
            EventKind::TokenRefreshed => "token_refreshed",
            EventKind::TokenRevoked => "token_revoked",
            EventKind::ConsentWithdrawn => "consent_withdrawn",
            EventKind::ConsentGranted => "consent_granted",
            EventKind::AuthorizeForeignBrowser => "authorize_foreign_browser",
            EventKind::KeyCreated => "key_created",
            EventKind::KeyActivated => "key_activated",
            EventKind::KeyRetired => "key_retired",
            EventKind::KeyDropped => "key_dropped",
            EventKind::PasswordResetRequested => "password_reset_requested",
            EventKind::PasswordResetCompleted => "password_reset_completed",
            EventKind::PasswordChanged => "password_changed",
            EventKind::EmailVerificationSent => "email_verification_sent",
            EventKind::EmailVerified => "email_verified",
            EventKind::EmailChangeRequested => "email_change_requested",
            EventKind::EmailChanged => "email_changed",
            EventKind::DuplicateRegistration => "duplicate_registration",
            EventKind::ClientCreated => "client_created",
            EventKind::ClientUpdated => "client_updated",
            EventKind::ClientSecretRotated => "client_secret_rotated",
            EventKind::ClientDeleted => "client_deleted",
            EventKind::KeyRotated => "key_rotated",
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

    /// The kind a stored or typed name stands for.
    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL.iter().copied().find(|k| k.as_str() == name)
    }
}

/// One event to record. `user_id` is the subject (whose account it is about); `actor_id`
/// the administrator who acted on it, when it was not the subject.
#[derive(Clone, Copy, Debug)]
pub struct Event<'a> {
    pub kind: EventKind,
    pub user_id: Option<&'a str>,
    pub actor_id: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub detail: &'a str,
}

impl<'a> Event<'a> {
    pub fn new(kind: EventKind) -> Self {
        Event {
            kind,
            user_id: None,
            actor_id: None,
            client_id: None,
            ip: None,
            user_agent: None,
            detail: "",
        }
    }
    pub fn user(mut self, user_id: &'a str) -> Self {
        self.user_id = Some(user_id);
        self
    }
    pub fn actor(mut self, actor_id: Option<&'a str>) -> Self {
        self.actor_id = actor_id;
        self
    }
    pub fn client(mut self, client_id: &'a str) -> Self {
        self.client_id = Some(client_id);
        self
    }
    pub fn ip(mut self, ip: Option<&'a str>) -> Self {
        self.ip = ip;
        self
    }
    pub fn user_agent(mut self, user_agent: Option<&'a str>) -> Self {
        self.user_agent = user_agent;
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

/// Who did something from the console or the CLI, and from where: carried into the events
/// the shared operations record (all `None` for the CLI).
#[derive(Clone, Copy, Debug, Default)]
pub struct Actor<'a> {
    pub actor_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

impl<'a> Actor<'a> {
    /// The CLI: an operator on the server, no account, no address.
    pub const CLI: Actor<'static> = Actor {
        actor_id: None,
        ip: None,
        user_agent: None,
    };

    /// A new event of `kind` from here.
    pub fn event(self, kind: EventKind) -> Event<'a> {
        Event::new(kind)
            .actor(self.actor_id)
            .ip(self.ip)
            .user_agent(self.user_agent)
    }
}

/// A user agent is kept to this many characters: enough to tell browsers apart, and a
/// header cannot fill the log.
const MAX_USER_AGENT: usize = 300;

/// Writes the event to the audit table and to the log (target `ferrid::audit`), in the same
/// words. Values are written with `{:?}` so nothing a client sent can forge a log line.
pub fn record(conn: &mut DbConn, event: &Event<'_>, now: i64) -> Result<(), StoreError> {
    let user_agent: Option<String> = event
        .user_agent
        .map(|ua| ua.chars().take(MAX_USER_AGENT).collect());
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::at.eq(now),
            audit_events::kind.eq(event.kind.as_str()),
            audit_events::user_id.eq(event.user_id),
            audit_events::actor_id.eq(event.actor_id),
            audit_events::client_id.eq(event.client_id),
            audit_events::ip.eq(event.ip),
            audit_events::user_agent.eq(user_agent.as_deref()),
            audit_events::detail.eq(event.detail),
        ))
        .execute(conn)?;
    if event.kind == EventKind::RefreshTokenReused {
        REFRESH_TOKEN_REUSES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    log::info!(
        target: "ferrid::audit",
        "{} user={:?} actor={:?} client={:?} ip={:?} detail={:?}",
        event.kind.as_str(),
        event.user_id.unwrap_or("-"),
        event.actor_id.unwrap_or("-"),
        event.client_id.unwrap_or("-"),
        event.ip.unwrap_or("-"),
        event.detail,
    );
    Ok(())
}

/// A stored event, for the console, the CLI and tests.
/// (`kind` stays text: the log keeps what older versions wrote.)
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct StoredEvent {
    pub id: i64,
    pub at: i64,
    pub kind: String,
    pub user_id: Option<String>,
    pub actor_id: Option<String>,
    pub client_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: String,
}

pub fn recent(conn: &mut DbConn, limit: i64) -> Result<Vec<StoredEvent>, StoreError> {
    Ok(audit_events::table
        .order(audit_events::id.desc())
        .limit(limit)
        .select(StoredEvent::as_select())
        .load(conn)?)
}

/// Which events to show; every part is optional and they all must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub kind: Option<String>,
    /// Matches the subject or the actor.
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub ip: Option<String>,
    /// `at >= since`.
    pub since: Option<i64>,
    /// `at < until`.
    pub until: Option<i64>,
}

/// Events matching `filter`, newest first, at most `limit`, from below the id `before`
/// (keyset pagination: the next page starts under the last id shown, so page 1,000 costs
/// what page 1 does, and rows written meanwhile shift nothing).
pub fn search(
    conn: &mut DbConn,
    filter: &Filter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut query = audit_events::table
        .select(StoredEvent::as_select())
        .order(audit_events::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(kind) = &filter.kind {
        query = query.filter(audit_events::kind.eq(kind.clone()));
    }
    if let Some(user) = &filter.user_id {
        query = query.filter(
            audit_events::user_id
                .eq(user.clone())
                .or(audit_events::actor_id.eq(user.clone())),
        );
    }
    if let Some(client) = &filter.client_id {
        query = query.filter(audit_events::client_id.eq(client.clone()));
    }
    if let Some(ip) = &filter.ip {
        query = query.filter(audit_events::ip.eq(ip.clone()));
    }
    if let Some(since) = filter.since {
        query = query.filter(audit_events::at.ge(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_events::at.lt(until));
    }
    if let Some(before) = before {
        query = query.filter(audit_events::id.lt(before));
    }
    Ok(query.load(conn)?)
}

/// Deletes the events older than `cutoff` (`audit.retention_days`, by the purge job).
pub fn purge_before(conn: &mut DbConn, cutoff: i64) -> Result<usize, StoreError> {
    Ok(diesel::delete(audit_events::table.filter(audit_events::at.lt(cutoff))).execute(conn)?)
}

/// The addresses of the users named by events (subjects and actors), by id; a deleted
/// user is simply missing, and the event keeps their id.
pub fn emails_of(
    conn: &mut DbConn,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, String>, StoreError> {
    use super::schema::users;
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(String, String)> = users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::email))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::EventKind;

    #[test]
    fn kinds_are_distinct_snake_case_names() {
        let mut seen = std::collections::HashSet::new();
        for kind in EventKind::ALL {
            let name = kind.as_str();
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}"
            );
            assert!(seen.insert(name), "{name} twice");
            assert_eq!(EventKind::parse(name), Some(*kind));
        }
        assert_eq!(EventKind::parse("login.succeeded"), None);
        assert_eq!(
            EventKind::parse("client_created"),
            Some(EventKind::ClientCreated)
        );
    }
}
