-- Refresh tokens (RFC 6749 §6), stored by SHA-256 only. Each belongs to a grant (its
-- family): every refresh marks the presented token used and issues a new one in the same
-- grant; presenting a used token again revokes the grant, killing the whole family
-- (RFC 9700 §4.14.2).
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    grant_id TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX refresh_tokens_grant_id ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);
