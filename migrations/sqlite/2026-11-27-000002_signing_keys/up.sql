-- Signing keys. kid is the RFC 7638 JWK thumbprint. private_key is the PKCS#8 key sealed with
-- AES-256-GCM under the master key (base64), with the kid as associated data.
-- Lifecycle: next (published, signs nothing) -> active (signs) -> retired (published until
-- every token it signed has expired) -> row deleted.
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY NOT NULL,
    alg TEXT NOT NULL CHECK (alg IN ('RS256', 'ES256')),
    public_jwk TEXT NOT NULL,
    private_key TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('next', 'active', 'retired')),
    created_at BIGINT NOT NULL,
    -- a next key may become active from this time on
    activate_after BIGINT NOT NULL,
    activated_at BIGINT,
    retired_at BIGINT,
    -- a retired key leaves the JWKS after this time
    drop_after BIGINT
);
-- The database itself refuses a second active (or next) key of one algorithm, whatever
-- replicas race.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (alg) WHERE state = 'active';
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (alg) WHERE state = 'next';

-- One row. Every change to signing_keys bumps version in the same transaction; replicas poll
-- it cheaply and reload the key set when it moves. Maintenance starts by writing
-- maintained_at, which takes the row (or database) write lock and so serializes replicas.
CREATE TABLE key_set_state (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    version BIGINT NOT NULL,
    maintained_at BIGINT NOT NULL
);
INSERT INTO key_set_state (id, version, maintained_at) VALUES (1, 0, 0);
