ALTER TABLE clients DROP COLUMN require_pkce;
DROP INDEX authorization_requests_client_ip;
ALTER TABLE authorization_requests DROP COLUMN client_ip;
ALTER TABLE authorization_requests DROP COLUMN browser_hash;
ALTER TABLE consents DROP COLUMN claims;
