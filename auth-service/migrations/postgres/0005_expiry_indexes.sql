-- The purge deletes ended sessions and throttle windows in batches; each
-- batch seeks these rather than scanning the table under the write lock.
CREATE INDEX refresh_families_by_expiry ON refresh_families (expires_at);
CREATE INDEX login_throttle_by_window_end ON login_throttle (window_ends_at);
