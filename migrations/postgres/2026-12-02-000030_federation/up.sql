-- Upstream logins (issue 12). An identity is found by (provider, issuer, subject), never
-- by email: an upstream's `email` claim can change and need not be verified (nOAuth).
CREATE TABLE federated_identities (
    provider TEXT NOT NULL,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The address the upstream showed at the last login, for the account page only.
    email TEXT,
    created_at BIGINT NOT NULL,
    last_login_at BIGINT NOT NULL,
    PRIMARY KEY (provider, issuer, subject)
);
CREATE INDEX federated_identities_user ON federated_identities (user_id);

-- A login started at an upstream: found by the SHA-256 of its `state`, bound to the browser
-- that started it (the SHA-256 of its federation cookie) and to the pending /authorize
-- request it continues (return_to). Redeemed once, by a conditional update.
CREATE TABLE federation_flows (
    state_hash TEXT PRIMARY KEY NOT NULL,
    provider TEXT NOT NULL,
    browser_hash TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    nonce TEXT NOT NULL,
    return_to TEXT NOT NULL,
    -- A logged-in user linking another provider from /account.
    link_user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX federation_flows_expires_at ON federation_flows (expires_at);

-- An upstream identity waiting to be linked to the account that has its (verified) address,
-- until the person proves that account: its password, or a mailed link. Bound to the
-- browser, the account, and the upstream identity.
CREATE TABLE federation_pending_links (
    id TEXT PRIMARY KEY NOT NULL,
    browser_hash TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    email TEXT NOT NULL,
    return_to TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX federation_pending_links_browser ON federation_pending_links (browser_hash);
CREATE INDEX federation_pending_links_expires_at ON federation_pending_links (expires_at);

-- Mailed link proofs: the SHA-256 of the link's secret, bound to the pending link, the
-- account and the upstream identity; single use, short-lived, spent when the user unlinks.
CREATE TABLE federation_link_proofs (
    token_hash TEXT PRIMARY KEY NOT NULL,
    pending_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX federation_link_proofs_user ON federation_link_proofs (user_id);
CREATE INDEX federation_link_proofs_expires_at ON federation_link_proofs (expires_at);
