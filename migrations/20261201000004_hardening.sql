-- Hardening: failure limits an outsider cannot turn against an account, sessions that end when
-- idle, and deleted risk points whose ids stay taken.

-- Addresses an account has signed in from. The account-wide failure limit spares them, so that
-- failures from elsewhere cannot lock the owner out of their own office or phone.
CREATE TABLE login_addresses (
    username     TEXT    NOT NULL,
    address      TEXT    NOT NULL,
    last_success INTEGER NOT NULL,
    PRIMARY KEY (username, address)
) WITHOUT ROWID;

CREATE INDEX login_failures_pair ON login_failures (username, address, at);

-- When the session was last used; NULL until its first use after this migration. A session
-- unused for the idle timeout has ended.
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER;

-- A deleted risk point's id stays taken: a client that re-creates it, or edits it from a version
-- before the delete, is told the point is gone instead of bringing it back.
CREATE TABLE risk_point_tombstones (
    id         TEXT    PRIMARY KEY NOT NULL,
    post_id    INTEGER NOT NULL,
    deleted_at INTEGER NOT NULL
) WITHOUT ROWID;
