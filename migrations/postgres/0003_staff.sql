-- Staff: accounts, server-side sessions, sign-in throttling, pull-API tokens, audit log.
CREATE TABLE staff_users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('clerk', 'admin', 'operator')),
    -- NULL only for the federal operator role.
    state         TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    CHECK ((role = 'operator') = (state IS NULL))
);

-- `id` is the SHA-256 of the cookie token; the token itself is never stored.
CREATE TABLE staff_sessions (
    id           TEXT    PRIMARY KEY,
    user_id      BIGINT  NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX staff_sessions_by_expiry ON staff_sessions (expires_at);

-- Failed sign-ins per key (SHA-256 of "user:<name>" or "ip:<address>"), shared by all instances.
CREATE TABLE sign_in_failures (
    key          TEXT    PRIMARY KEY,
    failures     BIGINT  NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ
);

-- Pull-API tokens; only their SHA-256 is stored.
CREATE TABLE api_tokens (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash TEXT    NOT NULL UNIQUE,
    state      TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);

-- Append-only, HMAC-chained: mac = HMAC(key, prev_mac || canonical entry bytes).
CREATE TABLE audit_log (
    -- Sequence number given under the append lock: 1, 2, 3, ... without gaps.
    id       BIGINT  PRIMARY KEY,
    -- Text on both engines: the exact bytes the MAC covers.
    at       TEXT    NOT NULL,
    actor    TEXT    NOT NULL,
    action   TEXT    NOT NULL,
    state    TEXT,
    object   TEXT,
    prev_mac TEXT    NOT NULL,
    mac      TEXT    NOT NULL
);
