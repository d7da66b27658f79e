-- Times in this migration are milliseconds since the Unix epoch.

-- A disabled user gets no token by any grant; NULL: enabled.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
ALTER TABLE users ADD COLUMN last_login_at BIGINT;

-- Service clients (RFC 6749 4.4). The secret is 256 random bits, so its
-- SHA-256 is enough to store; it is shown once, at registration.
CREATE TABLE clients (
    client_id   TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    secret_hash BYTEA NOT NULL,
    scopes      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- What happened, written in the transaction of the change it records.
-- No foreign keys: an event outlives the user or client it names.
CREATE TABLE audit_events (
    id             BIGSERIAL PRIMARY KEY,
    at             BIGINT NOT NULL,
    event          TEXT NOT NULL,
    user_id        TEXT,
    actor_id       TEXT,
    client_id      TEXT,
    client_address TEXT,
    -- JSON, never a password, token or secret
    detail         TEXT
);
CREATE INDEX audit_events_by_user ON audit_events (user_id, id);
CREATE INDEX audit_events_by_event ON audit_events (event, id);
CREATE INDEX audit_events_by_time ON audit_events (at);

-- The admin list pages users in byte order, as SQLite does, whatever the
-- database's collation: a name prefix is then a range this index seeks.
CREATE INDEX users_by_key_bytes ON users (username_key COLLATE "C");
