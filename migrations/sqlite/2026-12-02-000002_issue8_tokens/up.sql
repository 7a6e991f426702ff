-- Refresh retries within tokens.refresh_reuse_grace (issue 8): a rotated token points at the
-- successor it was exchanged for, so a retry of it can kill that successor and hand out a
-- new one (one live token per family). A successor killed that way is marked superseded:
-- presenting it again is refused, but is no sign of theft, so the family stays.
ALTER TABLE refresh_tokens ADD COLUMN successor_hash TEXT;
ALTER TABLE refresh_tokens ADD COLUMN superseded_at BIGINT;

-- Withdrawing consent and disabling a user delete the user's unredeemed codes.
CREATE INDEX authorization_codes_user_client ON authorization_codes (user_id, client_id);
