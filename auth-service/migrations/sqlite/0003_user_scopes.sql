-- The scopes each user is granted, space-separated; NULL: the configured
-- defaults (AUTH__TOKENS__DEFAULT_SCOPES), as every user had before.
ALTER TABLE users ADD COLUMN scopes TEXT;
