-- Times in this migration are milliseconds since the Unix epoch.

-- A user's TOTP authenticator (RFC 6238). The secret is sealed with the key
-- held apart from the database (AUTH__MFA__KEY_FILE): a dump alone does not
-- reveal it. Not asked for until confirmed with a code; last_step is the
-- last 30-second step whose code was accepted, so no code works twice.
CREATE TABLE mfa_totp (
    user_id       TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sealed_secret BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    confirmed_at  INTEGER,
    last_step     INTEGER
);

-- Recovery codes, kept as HMACs under the same key; each works once.
CREATE TABLE recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash BLOB NOT NULL,
    used_at   INTEGER,
    PRIMARY KEY (user_id, code_hash)
);

-- How a sign-in was made (RFC 8176 amr values, space-separated), carried
-- from the browser session to its codes and from a login to its refreshes.
ALTER TABLE browser_sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
ALTER TABLE authorization_codes ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
ALTER TABLE refresh_families ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
-- When the user signed in (OpenID Connect auth_time); NULL: created_at.
ALTER TABLE refresh_families ADD COLUMN auth_time INTEGER;

-- The sign-in page's second step: a password accepted, a code awaited.
-- The form carries the id, the table its SHA-256; single use, short-lived.
CREATE TABLE sign_in_challenges (
    id_hash    BLOB PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sign_in_challenges_by_expiry ON sign_in_challenges (expires_at);
