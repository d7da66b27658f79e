-- Times in this migration are milliseconds since the Unix epoch.

-- Clients that sign users in (OAuth 2.1 code flow). Lists are
-- space-separated: no grant type, scope or valid URI holds a space.
-- A public client (is_public = 1) has no secret (an empty hash, which
-- nothing matches).
ALTER TABLE clients ADD COLUMN grant_types TEXT NOT NULL DEFAULT 'client_credentials';
ALTER TABLE clients ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN is_public INTEGER NOT NULL DEFAULT 0;

-- The client a refresh family was issued to; NULL: a password login
-- without client authentication (the seed's flow). The browser session
-- it came from (the code flow): signing that browser out ends it.
ALTER TABLE refresh_families ADD COLUMN client_id TEXT;
ALTER TABLE refresh_families ADD COLUMN browser_session_hash BLOB;

CREATE INDEX refresh_families_by_browser_session ON refresh_families (browser_session_hash);

-- A signed-in browser: the cookie holds the id, the table its SHA-256.
CREATE TABLE browser_sessions (
    id_hash    BLOB PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- when the user last typed the password (OpenID Connect auth_time)
    auth_time  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ended_at   INTEGER
);
CREATE INDEX browser_sessions_by_user ON browser_sessions (user_id);
CREATE INDEX browser_sessions_by_expiry ON browser_sessions (expires_at);

-- Authorization codes, stored only as SHA-256 hashes; single use. The
-- family the first exchange started is kept, so that a replay ends it.
CREATE TABLE authorization_codes (
    code_hash      BLOB PRIMARY KEY NOT NULL,
    client_id      TEXT NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri   TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    scope          TEXT NOT NULL,
    nonce          TEXT,
    auth_time      INTEGER NOT NULL,
    session_hash   BLOB,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER,
    family_id      TEXT
);
CREATE INDEX authorization_codes_by_expiry ON authorization_codes (expires_at);
