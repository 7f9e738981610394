-- Issue 14: the citizen's status code. Only a labelled hash of it is kept (see
-- `reports::status_code`). When retention deletes a report's index, the row stays as a
-- tombstone (`gone_at`) for another index period, so the status page can say the case is
-- no longer online instead of "unknown".
CREATE TABLE report_status_codes (
    case_number TEXT    PRIMARY KEY,
    state       TEXT    NOT NULL,
    code_hash   TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    gone_at     TEXT
);
CREATE INDEX report_status_codes_gone ON report_status_codes (state, gone_at);
