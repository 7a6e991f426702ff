UPDATE audit_events SET kind = CASE kind
    WHEN 'role_changed' THEN 'user.role_changed'
    WHEN 'first_admin_created' THEN 'setup.first_admin'
    WHEN 'code_replayed' THEN 'token.code_replayed'
    WHEN 'refresh_token_reused' THEN 'token.refresh_reused'
    WHEN 'refresh_token_retried' THEN 'token.refresh_retried'
    WHEN 'refresh_token_superseded' THEN 'token.refresh_superseded'
    WHEN 'duplicate_registration' THEN 'user.duplicate_registration'
    WHEN 'user_registered' THEN 'user.registered'
    WHEN 'login_succeeded' THEN 'login.succeeded'
    WHEN 'login_failed' THEN 'login.failed'
    WHEN 'login_throttled' THEN 'login.throttled'
    WHEN 'login_device_recognised' THEN 'login.device_recognised'
    WHEN 'register_throttled' THEN 'register.throttled'
    WHEN 'forgot_password_throttled' THEN 'forgot_password.throttled'
    WHEN 'client_auth_throttled' THEN 'client_auth.throttled'
    WHEN 'token_refreshed' THEN 'token.refreshed'
    WHEN 'token_revoked' THEN 'token.revoked'
    WHEN 'consent_withdrawn' THEN 'consent.withdrawn'
    WHEN 'consent_granted' THEN 'consent.granted'
    WHEN 'authorize_foreign_browser' THEN 'authorize.foreign_browser'
    WHEN 'key_created' THEN 'key.created'
    WHEN 'key_activated' THEN 'key.activated'
    WHEN 'key_retired' THEN 'key.retired'
    WHEN 'key_dropped' THEN 'key.dropped'
    WHEN 'password_reset_requested' THEN 'password.reset_requested'
    WHEN 'password_reset_completed' THEN 'password.reset_completed'
    WHEN 'password_changed' THEN 'password.changed'
    WHEN 'email_verification_sent' THEN 'email.verification_sent'
    WHEN 'email_verified' THEN 'email.verified'
    WHEN 'email_change_requested' THEN 'email.change_requested'
    WHEN 'email_changed' THEN 'email.changed'
    ELSE kind
END;
DROP INDEX audit_events_client;
DROP INDEX audit_events_user;
DROP INDEX audit_events_kind;
ALTER TABLE audit_events DROP COLUMN user_agent;
ALTER TABLE audit_events DROP COLUMN client_id;
ALTER TABLE audit_events DROP COLUMN actor_id;
