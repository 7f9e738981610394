-- The police inbox's retention and category titles (issue 13).
--
-- Category titles as the citizen's form showed them (the sealed document's `form.titles`),
-- indexed at receive time so the Posteingang shows titles without opening anything; NULL
-- for documents sealed before titles were carried (the list falls back to the id).
ALTER TABLE inbox_reports ADD COLUMN category_title_de TEXT;
ALTER TABLE inbox_reports ADD COLUMN category_title_en TEXT;
-- Set when retention deleted the sealed envelope (its text becomes empty); the triage index
-- stays as a tombstone until the row itself is deleted.
ALTER TABLE inbox_reports ADD COLUMN envelope_deleted_at TEXT;
CREATE INDEX inbox_reports_by_state_received ON inbox_reports (state, received_at);

-- Status changes for the intake go through the job queue (kind `inbox_status`) in the
-- inbox's own database, instead of a queue of their own. The job names its event here
-- (content-free: case number, coarse status, office, time); `jobs.report_id` then names a
-- row of this table, so the foreign key to the intake's `reports` goes (SQLite: the table
-- is rebuilt, with `job_attempts` pointing at the same ids throughout).
CREATE TABLE inbox_status_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT    NOT NULL UNIQUE,
    case_number TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    office_id   TEXT,
    at          TEXT    NOT NULL
);
CREATE INDEX inbox_status_events_by_case ON inbox_status_events (case_number);

PRAGMA defer_foreign_keys = ON;
CREATE TABLE jobs_rebuilt (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL,
    -- `reports.id`, or for `inbox_status` jobs `inbox_status_events.id`.
    report_id    INTEGER NOT NULL,
    state        TEXT    NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'running', 'waiting', 'done', 'dead')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at       TEXT    NOT NULL,
    locked_by    TEXT,
    locked_until TEXT,
    last_error   TEXT,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    finished_at  TEXT,
    UNIQUE (report_id, kind)
);
INSERT INTO jobs_rebuilt (id, kind, report_id, state, status, attempts, max_attempts, run_at,
    locked_by, locked_until, last_error, created_at, updated_at, finished_at)
SELECT id, kind, report_id, state, status, attempts, max_attempts, run_at,
    locked_by, locked_until, last_error, created_at, updated_at, finished_at FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_rebuilt RENAME TO jobs;
CREATE INDEX jobs_ready ON jobs (status, run_at);
CREATE INDEX jobs_leases ON jobs (status, locked_until);

-- Events still queued in the old outbox move over, sent or not.
INSERT INTO inbox_status_events (event_id, case_number, state, status, office_id, at)
SELECT event_id, case_number, state, status, office_id, at FROM inbox_status_outbox ORDER BY id;
INSERT INTO jobs (kind, report_id, state, status, attempts, max_attempts, run_at, last_error,
    created_at, updated_at, finished_at)
SELECT 'inbox_status', e.id, e.state,
    CASE WHEN o.sent_at IS NULL THEN 'pending' ELSE 'done' END,
    o.attempts, 1000000, o.run_at, o.last_error, o.at, COALESCE(o.sent_at, o.at), o.sent_at
FROM inbox_status_events e JOIN inbox_status_outbox o ON o.event_id = e.event_id;
DROP TABLE inbox_status_outbox;
