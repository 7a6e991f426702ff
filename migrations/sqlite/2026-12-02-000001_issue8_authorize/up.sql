-- Issue 8: what the user consented to, pending requests bound to their browser, PKCE by
-- client registration.

-- Claims asked for by name through the `claims` parameter (OIDC Core §5.5) that the user
-- allowed beyond those of the consented scopes: a JSON array of claim names.
ALTER TABLE consents ADD COLUMN claims TEXT NOT NULL DEFAULT '[]';

-- The SHA-256 of the secret in the cookie of the browser that started the request: only
-- that browser may continue it. Rows from before this column cannot be continued.
ALTER TABLE authorization_requests ADD COLUMN browser_hash TEXT NOT NULL DEFAULT '';
-- Where the request came from, so one address cannot keep unbounded requests pending.
ALTER TABLE authorization_requests ADD COLUMN client_ip TEXT NOT NULL DEFAULT '';
CREATE INDEX authorization_requests_client_ip ON authorization_requests (client_ip, expires_at);

-- A confidential client may be registered to require PKCE too (public clients always do).
ALTER TABLE clients ADD COLUMN require_pkce BOOLEAN NOT NULL DEFAULT FALSE;
