-- Issue 16: evidence files of a draft in progress, one row each, out of the draft payload
-- (which now names them by id), so a step save no longer rewrites them. Sealed under the
-- draft's own key like the payload (AAD binds draft id and file id); the server opens none.
-- Deleted with their draft (expiry, retention) and in the filing transaction.
CREATE TABLE draft_files (
    draft_id TEXT    NOT NULL REFERENCES drafts (id) ON DELETE CASCADE,
    id       TEXT    NOT NULL,
    size     INTEGER NOT NULL,
    sealed   BLOB    NOT NULL,
    PRIMARY KEY (draft_id, id)
);
