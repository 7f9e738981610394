-- Issue 15: "save and come back later". The resume e-mail's address and the draft secret
-- the link carries, sealed with the server's address key (AAD binds the row id) until the
-- mail worker has sent it; then the row is deleted. Nothing here opens a draft once sent.
CREATE TABLE resume_mails (
    id           TEXT    PRIMARY KEY,
    state        TEXT    NOT NULL,
    language     TEXT    NOT NULL,
    sealed       BLOB    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    run_at       TEXT    NOT NULL,
    locked_until TEXT,
    last_error   TEXT,
    expires_at   TEXT    NOT NULL,
    created_at   TEXT    NOT NULL
);
CREATE INDEX resume_mails_due ON resume_mails (run_at);
