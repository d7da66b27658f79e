-- Times in this migration are milliseconds since the Unix epoch.

-- A refresh-token family: every token rotated from one login.
CREATE TABLE refresh_families (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- the absolute lifetime: no token of the family is valid after it
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX refresh_families_by_user ON refresh_families (user_id);

-- Refresh tokens, stored only as SHA-256 hashes.
CREATE TABLE refresh_tokens (
    token_hash     BYTEA PRIMARY KEY,
    family_id      TEXT NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
    -- the idle lifetime
    expires_at     BIGINT NOT NULL,
    spent_at       BIGINT,
    -- with the presented token, derives the successor again in the grace window
    successor_salt BYTEA
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);

-- Failed logins per account and per client address, in fixed windows.
CREATE TABLE login_throttle (
    key            TEXT PRIMARY KEY,
    failures       BIGINT NOT NULL,
    window_ends_at BIGINT NOT NULL
);
