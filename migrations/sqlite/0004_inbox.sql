-- The police inbox (`internetwache inbox`, its own database) and the status events the
-- intake receives back from it. Both sides run every migration, so each database simply
-- leaves the other side's tables empty.

-- One row per case number: the envelope exactly as received, plus a small triage index
-- that is filled only when the envelope could be opened at receive time.
CREATE TABLE inbox_reports (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    case_number       TEXT    NOT NULL UNIQUE,
    state             TEXT    NOT NULL,
    key_id            TEXT    NOT NULL,
    envelope          TEXT    NOT NULL,
    envelope_sha256   TEXT    NOT NULL,
    -- 'push' or 'pull'.
    received_via      TEXT    NOT NULL CHECK (received_via IN ('push', 'pull')),
    received_at       TEXT    NOT NULL,
    -- NULL when readable; otherwise why the envelope could not be opened ("nicht lesbar").
    unreadable_reason TEXT,
    form_id           TEXT,
    form_version      INTEGER,
    category          TEXT,
    office_id         TEXT,
    scene_postal_code TEXT,
    scene_place       TEXT,
    -- As entered: `YYYY-MM-DD[ HH:MM]`, or a span `... – ...`.
    offence_time      TEXT,
    damage_eur_cents  INTEGER,
    status            TEXT    NOT NULL DEFAULT 'eingegangen',
    -- The office a report was handed to (status `abgegeben`) or re-routed to.
    status_office_id  TEXT,
    assigned_to       TEXT,
    exported_at       TEXT
);
CREATE INDEX inbox_reports_by_received ON inbox_reports (received_at);

-- Clerks' internal notes; never sent anywhere.
CREATE TABLE inbox_notes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id  INTEGER NOT NULL REFERENCES inbox_reports (id),
    author     TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);

-- Intake side: coarse, content-free status events sent by the inbox (or a pull-only
-- police system). `event_id` makes a repeated post harmless.
CREATE TABLE report_status_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     TEXT    NOT NULL UNIQUE,
    case_number  TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('in_bearbeitung', 'abgegeben', 'abgeschlossen')),
    office_id    TEXT,
    at           TEXT    NOT NULL,
    received_at  TEXT    NOT NULL
);
CREATE INDEX report_status_events_by_case ON report_status_events (case_number, at);

-- Inbox side: status changes for the intake, sent by the inbox and retried with backoff
-- until the intake acknowledges them (never dropped). Same lease idea as `jobs`, whose
-- rows must reference an intake `reports` row.
CREATE TABLE inbox_status_outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     TEXT    NOT NULL UNIQUE,
    case_number  TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    office_id    TEXT,
    at           TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    run_at       TEXT NOT NULL,
    locked_until TEXT,
    sent_at      TEXT,
    last_error   TEXT
);
CREATE INDEX inbox_status_outbox_due ON inbox_status_outbox (sent_at, run_at);
