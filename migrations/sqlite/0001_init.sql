-- Form variants: files seed, the database rules. A row is immutable once written,
-- except for its retirement.
CREATE TABLE form_versions (
    state        TEXT    NOT NULL,
    form_id      TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    content_hash TEXT    NOT NULL,
    category     TEXT    NOT NULL,
    definition   TEXT    NOT NULL,
    origin       TEXT    NOT NULL CHECK (origin IN ('file', 'upload')),
    created_at   TEXT    NOT NULL,
    created_by   TEXT,
    retired_at   TEXT,
    PRIMARY KEY (state, form_id, version)
);

-- The minimal plaintext index of a report; everything personal is in the sealed envelope.
CREATE TABLE reports (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    case_number     TEXT    NOT NULL UNIQUE,
    submission_key  TEXT    NOT NULL UNIQUE,
    state           TEXT    NOT NULL,
    category        TEXT    NOT NULL,
    form_id         TEXT    NOT NULL,
    form_version    INTEGER NOT NULL,
    content_hash    TEXT    NOT NULL,
    office_id       TEXT,
    key_id          TEXT    NOT NULL,
    envelope        TEXT    NOT NULL,
    envelope_sha256 TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered')),
    submitted_at    TEXT    NOT NULL,
    delivered_at    TEXT,
    escalated_at    TEXT,
    FOREIGN KEY (state, form_id, form_version) REFERENCES form_versions (state, form_id, version)
);
CREATE INDEX reports_by_state_status ON reports (state, status, submitted_at);

-- Server-side drafts, sealed with the server's draft key. `id` is the SHA-256 of the cookie token.
CREATE TABLE drafts (
    id              TEXT    PRIMARY KEY,
    state           TEXT    NOT NULL,
    form_id         TEXT    NOT NULL,
    form_version    INTEGER NOT NULL,
    payload         BLOB    NOT NULL,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    idle_expires_at TEXT    NOT NULL,
    expires_at      TEXT    NOT NULL,
    case_number     TEXT    REFERENCES reports (case_number),
    FOREIGN KEY (state, form_id, form_version) REFERENCES form_versions (state, form_id, version)
);
CREATE INDEX drafts_by_expiry ON drafts (expires_at);

-- The work queue (lease model). Jobs carry ids only, never personal data.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL,
    report_id    INTEGER NOT NULL REFERENCES reports (id),
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
CREATE INDEX jobs_ready ON jobs (status, run_at);

-- The citizen's address for the confirmation, sealed with the server key, erased once sent.
CREATE TABLE mail_outbox (
    report_id      INTEGER PRIMARY KEY REFERENCES reports (id),
    language       TEXT    NOT NULL,
    sealed_address BLOB,
    sent_at        TEXT
);
