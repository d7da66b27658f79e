-- Times in this migration are milliseconds since the Unix epoch.

-- A refresh-token family: every token rotated from one login.
CREATE TABLE refresh_families (
    id         TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    -- the absolute lifetime: no token of the family is valid after it
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX refresh_families_by_user ON refresh_families (user_id);

-- Refresh tokens, stored only as SHA-256 hashes.
CREATE TABLE refresh_tokens (
    token_hash     BLOB PRIMARY KEY NOT NULL,
    family_id      TEXT NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
    -- the idle lifetime
    expires_at     INTEGER NOT NULL,
    spent_at       INTEGER,
    -- with the presented token, derives the successor again in the grace window
    successor_salt BLOB
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);

-- Failed logins per account and per client address, in fixed windows.
CREATE TABLE login_throttle (
    key            TEXT PRIMARY KEY NOT NULL,
    failures       INTEGER NOT NULL,
    window_ends_at INTEGER NOT NULL
);
