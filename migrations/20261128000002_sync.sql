-- Exactly-once sync (docs/sync-protocol.md).

-- One row per client operation ever received. The primary key is what makes an operation apply at
-- most once: a retry cannot insert its id again and gets the stored result instead.
CREATE TABLE sync_ops (
    op_id       TEXT    PRIMARY KEY NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    client_id   TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    result_json TEXT    NOT NULL
);

-- Every change to a sheet or risk point, in commit order: `seq` is the pull cursor. SQLite has
-- one writer, so a higher seq always commits after a lower one and a cursor never skips a change.
CREATE TABLE changes (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id   INTEGER NOT NULL REFERENCES posts (id),
    kind      TEXT    NOT NULL CHECK (kind IN ('risk_point', 'risk_point_deleted', 'sheet')),
    entity_id TEXT    NOT NULL,
    at        INTEGER NOT NULL,
    -- The client whose push made the change: its own pulls leave it out, as it has it already.
    client_id TEXT
);
CREATE INDEX changes_post ON changes (post_id, seq);

ALTER TABLE risk_points ADD COLUMN updated_by INTEGER REFERENCES users (id);
