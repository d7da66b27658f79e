-- Times in this migration are milliseconds since the Unix epoch.

-- A user's email address, as given; email_key, its lower-cased form, is
-- what password-reset requests look up (not unique: a registration must
-- not tell whether an address is in use). Unverified until its link is
-- followed: only a verified address gets a reset link.
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN email_key TEXT;
ALTER TABLE users ADD COLUMN email_verified_at BIGINT;
CREATE INDEX users_by_email ON users (email_key);

-- The links mailed to users (verify an address, reset a password). The
-- link carries the token, the table its SHA-256; each is bound to its
-- purpose, its user and the address it was sent to, works once, and is
-- deleted when used, when it expires, or when the password changes.
CREATE TABLE link_tokens (
    id_hash    BYTEA PRIMARY KEY NOT NULL,
    purpose    TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email_key  TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX link_tokens_by_expiry ON link_tokens (expires_at);
CREATE INDEX link_tokens_by_user ON link_tokens (user_id);
