-- The police inbox (`internetwache inbox`, its own database) and the status events the
-- intake receives back from it. Both sides run every migration, so each database simply
-- leaves the other side's tables empty.

-- One row per case number: the envelope exactly as received, plus a small triage index
-- that is filled only when the envelope could be opened at receive time.
CREATE TABLE inbox_reports (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_number       TEXT    NOT NULL UNIQUE,
    state             TEXT    NOT NULL,
    key_id            TEXT    NOT NULL,
    envelope          TEXT    NOT NULL,
    envelope_sha256   TEXT    NOT NULL,
    -- 'push' or 'pull'.
    received_via      TEXT    NOT NULL CHECK (received_via IN ('push', 'pull')),
    received_at       TIMESTAMPTZ NOT NULL,
    -- NULL when readable; otherwise why the envelope could not be opened ("nicht lesbar").
    unreadable_reason TEXT,
    form_id           TEXT,
    form_version      BIGINT,
    category          TEXT,
    office_id         TEXT,
    scene_postal_code TEXT,
    scene_place       TEXT,
    -- As entered: `YYYY-MM-DD[ HH:MM]`, or a span `... – ...`.
    offence_time      TEXT,
    damage_eur_cents  BIGINT,
    status            TEXT    NOT NULL DEFAULT 'eingegangen',
    -- The office a report was handed to (status `abgegeben`) or re-routed to.
    status_office_id  TEXT,
    assigned_to       TEXT,
    exported_at       TIMESTAMPTZ
);
CREATE INDEX inbox_reports_by_received ON inbox_reports (received_at);

-- Clerks' internal notes; never sent anywhere.
CREATE TABLE inbox_notes (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id  BIGINT  NOT NULL REFERENCES inbox_reports (id),
    author     TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- Intake side: coarse, content-free status events sent by the inbox (or a pull-only
-- police system). `event_id` makes a repeated post harmless.
CREATE TABLE report_status_events (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     TEXT    NOT NULL UNIQUE,
    case_number  TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('in_bearbeitung', 'abgegeben', 'abgeschlossen')),
    office_id    TEXT,
    at           TIMESTAMPTZ NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX report_status_events_by_case ON report_status_events (case_number, at);

-- Inbox side: status changes for the intake, sent by the inbox and retried with backoff
-- until the intake acknowledges them (never dropped). Same lease idea as `jobs`, whose
-- rows must reference an intake `reports` row.
CREATE TABLE inbox_status_outbox (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     TEXT    NOT NULL UNIQUE,
    case_number  TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    office_id    TEXT,
    at           TIMESTAMPTZ NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    run_at       TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ,
    sent_at      TIMESTAMPTZ,
    last_error   TEXT
);
CREATE INDEX inbox_status_outbox_due ON inbox_status_outbox (sent_at, run_at);
