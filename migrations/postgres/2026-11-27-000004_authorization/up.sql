-- Profile claims (OpenID Connect Core §5.1).
ALTER TABLE users ADD COLUMN given_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN family_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN phone_number TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN phone_number_verified BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN street_address TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN locality TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN region TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN postal_code TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN country TEXT NOT NULL DEFAULT '';

-- What each user allowed each client: asked again when a request wants more.
CREATE TABLE consents (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

-- An authorization request waiting for the user to log in or consent. Its id travels in
-- the browser (hashed here); the request itself never does again, so it cannot be edited.
CREATE TABLE authorization_requests (
    id_hash TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    request TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX authorization_requests_expires_at ON authorization_requests (expires_at);

-- One authorization: what a code redemption (and, later, its refresh tokens) carries.
-- Revoking it revokes every token descended from it.
CREATE TABLE grants (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    claims TEXT,
    auth_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX grants_user_client ON grants (user_id, client_id);
CREATE INDEX grants_expires_at ON grants (expires_at);

-- Codes are stored by SHA-256 only; used_at makes redemption one conditional update.
CREATE TABLE authorization_codes (
    code_hash TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    redirect_uri_given BOOLEAN NOT NULL,
    scope TEXT NOT NULL,
    nonce TEXT,
    code_challenge TEXT,
    claims TEXT,
    auth_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    -- the grant the redemption created: revoked if the code is replayed
    grant_id TEXT
);
CREATE INDEX authorization_codes_expires_at ON authorization_codes (expires_at);

-- Access tokens issued to users, by jti: links each JWT to its grant so that revoking the
-- grant (a replayed code, a reused refresh token) stops it at /userinfo and /introspect.
CREATE TABLE access_tokens (
    jti TEXT PRIMARY KEY NOT NULL,
    grant_id TEXT REFERENCES grants (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX access_tokens_grant_id ON access_tokens (grant_id);
CREATE INDEX access_tokens_expires_at ON access_tokens (expires_at);
