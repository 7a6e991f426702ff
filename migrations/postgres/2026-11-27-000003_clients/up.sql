-- OAuth clients (relying parties). Times are unix seconds. The list columns hold JSON arrays
-- of strings. secret_hash is base64url(SHA-256(secret)); the secret itself is never stored.
-- The CHECK ties the client type to its credentials (RFC 6749 §2.1): a public client has no
-- secret and authenticates with 'none'; a confidential client has a secret and uses it.
CREATE TABLE clients (
    client_id TEXT PRIMARY KEY NOT NULL,
    secret_hash TEXT,
    name TEXT NOT NULL,
    redirect_uris TEXT NOT NULL DEFAULT '[]',
    post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]',
    grant_types TEXT NOT NULL,
    scopes TEXT NOT NULL,
    public BOOLEAN NOT NULL DEFAULT FALSE,
    token_endpoint_auth_method TEXT NOT NULL
        CHECK (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'none')),
    id_token_signed_response_alg TEXT NOT NULL DEFAULT 'RS256'
        CHECK (id_token_signed_response_alg IN ('RS256', 'ES256')),
    skip_consent BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (
        (public AND secret_hash IS NULL AND token_endpoint_auth_method = 'none')
        OR (NOT public AND secret_hash IS NOT NULL AND token_endpoint_auth_method <> 'none')
    )
);
