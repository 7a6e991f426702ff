DROP INDEX audit_events_user_id;
DROP INDEX audit_events_kind_at;
DROP INDEX users_created_at_id;
DROP INDEX sessions_created_at_id;
ALTER TABLE sessions DROP COLUMN last_seen_at;
ALTER TABLE sessions DROP COLUMN user_agent;
ALTER TABLE sessions DROP COLUMN ip;
