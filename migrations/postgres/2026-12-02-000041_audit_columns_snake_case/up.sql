-- Issue 11: every audit row names who acted (actor_id: an admin in the console, absent for
-- the subject acting on their own account or for the CLI), the client involved and the
-- browser's user agent, beside the subject user, IP and details it had.
ALTER TABLE audit_events ADD COLUMN actor_id TEXT;
ALTER TABLE audit_events ADD COLUMN client_id TEXT;
ALTER TABLE audit_events ADD COLUMN user_agent TEXT;
-- The console filters by kind, user and client, newest first, paginated by id (keyset).
CREATE INDEX audit_events_kind ON audit_events (kind, id);
CREATE INDEX audit_events_user ON audit_events (user_id, id);
CREATE INDEX audit_events_client ON audit_events (client_id, id);

-- Kinds are snake_case names (the console, the CSV and the CLI show them as stored). Most
-- dotted kinds only change the dot; these few got shorter or clearer names.
UPDATE audit_events SET kind = CASE kind
    WHEN 'user.role_changed' THEN 'role_changed'
    WHEN 'setup.first_admin' THEN 'first_admin_created'
    WHEN 'token.code_replayed' THEN 'code_replayed'
    WHEN 'token.refresh_reused' THEN 'refresh_token_reused'
    WHEN 'token.refresh_retried' THEN 'refresh_token_retried'
    WHEN 'token.refresh_superseded' THEN 'refresh_token_superseded'
    WHEN 'user.duplicate_registration' THEN 'duplicate_registration'
    ELSE REPLACE(kind, '.', '_')
END
WHERE kind LIKE '%.%';
