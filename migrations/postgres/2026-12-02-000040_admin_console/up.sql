-- The console's sessions list: where and in what each session was last seen.
ALTER TABLE sessions ADD COLUMN ip TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT;
UPDATE sessions SET last_seen_at = created_at;
-- Keyset pagination: sessions newest first, users by sign-up time (by email, the unique
-- index on email_normalized serves).
CREATE INDEX sessions_created_at_id ON sessions (created_at, id_hash);
CREATE INDEX users_created_at_id ON users (created_at, id);
-- The dashboard's counts of recent events of a kind.
CREATE INDEX audit_events_kind_at ON audit_events (kind, at);
CREATE INDEX audit_events_user_id ON audit_events (user_id, id);
