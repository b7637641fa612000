-- The walking skeleton: organisation tree, accounts, posts, rounds, risk sheets, sessions.
-- Times are Unix milliseconds (UTC). Enumerations are stored as stable codes and checked here,
-- so a hand-edited row cannot smuggle in a value the code does not know.

CREATE TABLE org_units (
    id        INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES org_units (id),
    kind      TEXT    NOT NULL CHECK (kind IN ('district', 'unit', 'section', 'sub_district', 'village', 'community')),
    name      TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    UNIQUE (parent_id, name)
);
-- UNIQUE treats NULL parents as distinct: roots need their own index.
CREATE UNIQUE INDEX org_units_root_name ON org_units (name) WHERE parent_id IS NULL;

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    unit_id       INTEGER NOT NULL REFERENCES org_units (id),
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at    INTEGER NOT NULL
);

CREATE TABLE role_assignments (
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role          TEXT    NOT NULL CHECK (role IN ('post_holder', 'section_head', 'leader_in_charge', 'unit_liaison', 'commission_reviewer', 'admin')),
    scope_unit_id INTEGER NOT NULL REFERENCES org_units (id),
    PRIMARY KEY (user_id, role, scope_unit_id)
);

CREATE TABLE posts (
    id       INTEGER PRIMARY KEY,
    unit_id  INTEGER NOT NULL REFERENCES org_units (id),
    title    TEXT    NOT NULL,
    level    TEXT    NOT NULL CHECK (level IN ('leadership', 'middle', 'general')),
    key_post INTEGER NOT NULL DEFAULT 0 CHECK (key_post IN (0, 1)),
    UNIQUE (unit_id, title)
);

CREATE TABLE post_holders (
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, user_id)
);
CREATE INDEX post_holders_user ON post_holders (user_id);

CREATE TABLE duties (
    id       INTEGER PRIMARY KEY,
    post_id  INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    text     TEXT    NOT NULL,
    UNIQUE (post_id, text)
);

CREATE TABLE rounds (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    year        INTEGER NOT NULL,
    deadline    TEXT    NOT NULL,
    pilot       INTEGER NOT NULL DEFAULT 0 CHECK (pilot IN (0, 1)),
    matrix_json TEXT    NOT NULL
);

CREATE TABLE round_scope (
    round_id INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    unit_id  INTEGER NOT NULL REFERENCES org_units (id),
    PRIMARY KEY (round_id, unit_id)
);

CREATE TABLE risk_sheets (
    id          INTEGER PRIMARY KEY,
    round_id    INTEGER NOT NULL REFERENCES rounds (id),
    post_id     INTEGER NOT NULL REFERENCES posts (id),
    stage       TEXT    NOT NULL DEFAULT 'self_check',
    -- The matrix this sheet was rated with; a later change of the round's matrix never rewrites it.
    matrix_json TEXT    NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    updated_at  INTEGER NOT NULL,
    UNIQUE (round_id, post_id)
);
CREATE INDEX risk_sheets_post ON risk_sheets (post_id);

CREATE TABLE risk_points (
    id            TEXT    PRIMARY KEY NOT NULL,
    sheet_id      INTEGER NOT NULL REFERENCES risk_sheets (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    duty          TEXT,
    description   TEXT    NOT NULL,
    manifestation TEXT,
    category      TEXT    NOT NULL CHECK (category IN ('ethics', 'duty', 'process', 'institutional', 'external')),
    power_type    TEXT    NOT NULL,
    likelihood    INTEGER NOT NULL CHECK (likelihood BETWEEN 1 AND 5),
    impact        INTEGER NOT NULL CHECK (impact BETWEEN 1 AND 5),
    frequency     INTEGER NOT NULL CHECK (frequency BETWEEN 1 AND 5),
    level         TEXT    NOT NULL CHECK (level IN ('high', 'medium', 'low')),
    version       INTEGER NOT NULL DEFAULT 1,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX risk_points_sheet ON risk_points (sheet_id, position);

CREATE TABLE measures (
    risk_point_id TEXT    NOT NULL REFERENCES risk_points (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('institutional', 'supervision', 'education')),
    text          TEXT    NOT NULL,
    owner         TEXT,
    due           TEXT,
    status        TEXT    NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'in_progress', 'done')),
    PRIMARY KEY (risk_point_id, position)
);

-- Only the SHA-256 of a session token is stored: a copy of the database does not log anyone in.
CREATE TABLE sessions (
    token_hash   TEXT    PRIMARY KEY NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Failed logins, for rate limiting per account and per address. Kept in the database so the limit
-- survives a restart.
CREATE TABLE login_failures (
    id       INTEGER PRIMARY KEY,
    username TEXT    NOT NULL,
    address  TEXT    NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX login_failures_username ON login_failures (username, at);
CREATE INDEX login_failures_address ON login_failures (address, at);
