-- Inbox roles (issue 13): the role `lead` and an optional office scope per account.
-- SQLite cannot change a CHECK constraint, so the table is rebuilt. Dropping the old
-- table removes its sessions (ON DELETE CASCADE): everyone signs in once more.
CREATE TABLE staff_users_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('clerk', 'lead', 'admin', 'operator')),
    -- NULL only for the federal operator role.
    state         TEXT,
    -- The one office whose reports this account sees; NULL: every office of its state.
    office        TEXT,
    created_at    TEXT    NOT NULL,
    disabled_at   TEXT,
    CHECK ((role = 'operator') = (state IS NULL)),
    CHECK (office IS NULL OR state IS NOT NULL)
);
INSERT INTO staff_users_new (id, username, password_hash, role, state, office, created_at,
                             disabled_at)
    SELECT id, username, password_hash, role, state, NULL, created_at, disabled_at
    FROM staff_users;
DROP TABLE staff_users;
ALTER TABLE staff_users_new RENAME TO staff_users;
