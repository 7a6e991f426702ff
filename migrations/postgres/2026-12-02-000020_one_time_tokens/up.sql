-- Single-use links mailed to a user (password reset, email verification, email change,
-- first password of an account an administrator made). Only the SHA-256 of the 256-bit
-- secret is stored; a link is redeemed by one conditional update that sets used_at, so two
-- replicas cannot both redeem it. `data` carries what the link acts on: the new address of
-- an email change, where to continue after a verification.
--
-- The foreign key is checked at commit (DEFERRABLE INITIALLY DEFERRED): the account flows
-- that must not reveal whether an address has an account write a decoy token inside a
-- savepoint they roll back, so an unknown address costs the same statements as a known one,
-- and the decoy's made-up user never reaches the check.
CREATE TABLE one_time_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    purpose TEXT NOT NULL
        CHECK (purpose IN ('password_reset', 'email_verification', 'email_change', 'set_password')),
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    data TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id, purpose);
CREATE INDEX one_time_tokens_expires_at ON one_time_tokens (expires_at);
