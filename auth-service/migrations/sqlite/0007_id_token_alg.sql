-- How a client's ID tokens are signed (OpenID Connect Dynamic Client
-- Registration's id_token_signed_response_alg): ES256 or RS256.
ALTER TABLE clients ADD COLUMN id_token_signed_response_alg TEXT NOT NULL DEFAULT 'ES256';
