-- Drafts are now sealed under a key derived from the citizen's cookie secret. Drafts sealed
-- with the old server key would stay readable by the server: they go.
DELETE FROM drafts;

-- Retention: the envelope of a delivered report is deleted after its time; the index row
-- stays (with the envelope's hash) until its own time.
ALTER TABLE reports ADD COLUMN envelope_deleted_at TEXT;
CREATE INDEX reports_by_delivery ON reports (status, delivered_at);

-- Staff leave: a disabled account cannot sign in and has no sessions.
ALTER TABLE staff_users ADD COLUMN disabled_at TEXT;
