-- Delivery: the receipt that proves a report arrived, and an audit of every claim.
ALTER TABLE reports ADD COLUMN receipt TEXT;

-- One row per claim of a job by a worker; shows who worked on what and when.
CREATE TABLE job_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id      INTEGER NOT NULL REFERENCES jobs (id),
    attempt     INTEGER NOT NULL,
    worker      TEXT    NOT NULL,
    claimed_at  TEXT    NOT NULL,
    finished_at TEXT,
    outcome     TEXT
);
CREATE INDEX job_attempts_by_job ON job_attempts (job_id, attempt);
CREATE INDEX jobs_leases ON jobs (status, locked_until);
