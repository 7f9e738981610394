-- Issue 14, Nachreichen: what a citizen adds later from the status page. Each follow-up is
-- sealed to the state's police key as its own document (`internetwache.followup.v1`); the
-- intake keeps only the envelope and the delivery fields, never the text or the files.
-- The `deliver_followup` job names a row of this table in `jobs.report_id`.
CREATE TABLE followups (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id           INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    -- 1, 2, ... per report; bound into the envelope's associated data.
    seq                 INTEGER NOT NULL,
    state               TEXT    NOT NULL,
    key_id              TEXT    NOT NULL,
    envelope            TEXT    NOT NULL,
    envelope_sha256     TEXT    NOT NULL,
    created_at          TEXT    NOT NULL,
    receipt             TEXT,
    delivered_at        TEXT,
    -- Set when retention deleted the envelope (it becomes empty).
    envelope_deleted_at TEXT,
    UNIQUE (report_id, seq)
);
CREATE INDEX followups_by_state_delivered ON followups (state, delivered_at);

-- The police inbox's copy: stored once per (case number, seq), linked to its report by the
-- case number, so a follow-up that arrives before its report waits for it.
CREATE TABLE inbox_followups (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    case_number         TEXT    NOT NULL,
    state               TEXT    NOT NULL,
    seq                 INTEGER NOT NULL,
    key_id              TEXT    NOT NULL,
    envelope            TEXT    NOT NULL,
    envelope_sha256     TEXT    NOT NULL,
    received_via        TEXT    NOT NULL,
    received_at         TEXT    NOT NULL,
    unreadable_reason   TEXT,
    envelope_deleted_at TEXT,
    UNIQUE (case_number, seq)
);
CREATE INDEX inbox_followups_by_state_received ON inbox_followups (state, received_at);
