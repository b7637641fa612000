-- Issue 4, second part: peer review with suggested risk points, the collective-review meeting,
-- public-notice objections and the commission's supervision grade of key posts.

-- One review per colleague and sheet; a colleague who reviews again replaces their comment.
CREATE TABLE peer_reviews (
    id       INTEGER PRIMARY KEY,
    sheet_id INTEGER NOT NULL REFERENCES risk_sheets (id) ON DELETE CASCADE,
    by_user  INTEGER NOT NULL REFERENCES users (id),
    comment  TEXT    NOT NULL CHECK (length(comment) BETWEEN 1 AND 1000),
    at       INTEGER NOT NULL,
    UNIQUE (sheet_id, by_user)
);

-- A risk point a colleague suggests; the holder accepts it (it becomes a risk point) or declines
-- it with a reason. Decided suggestions are kept, never deleted.
CREATE TABLE suggestions (
    id             INTEGER PRIMARY KEY,
    sheet_id       INTEGER NOT NULL REFERENCES risk_sheets (id) ON DELETE CASCADE,
    by_user        INTEGER NOT NULL REFERENCES users (id),
    input_json     TEXT    NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined')),
    decline_reason TEXT,
    risk_point_id  TEXT,
    at             INTEGER NOT NULL,
    decided_at     INTEGER
);
CREATE INDEX suggestions_sheet ON suggestions (sheet_id, status);

-- The leadership meeting (集体审定) that approved a set of a unit's sheets.
CREATE TABLE review_meetings (
    id          INTEGER PRIMARY KEY,
    unit_id     INTEGER NOT NULL REFERENCES org_units (id),
    held_on     TEXT    NOT NULL,
    attendees   TEXT    NOT NULL,
    decision    TEXT    NOT NULL,
    minutes_ref TEXT    NOT NULL,
    by_user     INTEGER NOT NULL REFERENCES users (id),
    at          INTEGER NOT NULL
);
CREATE TABLE meeting_sheets (
    meeting_id INTEGER NOT NULL REFERENCES review_meetings (id) ON DELETE CASCADE,
    sheet_id   INTEGER NOT NULL REFERENCES risk_sheets (id) ON DELETE CASCADE,
    PRIMARY KEY (meeting_id, sheet_id)
);

-- An objection anyone filed during the public notice. The filer's address is kept only as a
-- salted hash, for rate limiting.
CREATE TABLE objections (
    id          INTEGER PRIMARY KEY,
    sheet_id    INTEGER NOT NULL REFERENCES risk_sheets (id) ON DELETE CASCADE,
    text        TEXT    NOT NULL CHECK (length(text) BETWEEN 1 AND 1000),
    contact     TEXT,
    address     TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    response    TEXT,
    resolved_by INTEGER REFERENCES users (id),
    resolved_at INTEGER
);
CREATE INDEX objections_sheet ON objections (sheet_id, status);
CREATE INDEX objections_address ON objections (address, at);

-- The commission's supervision grade of a key post (一级/二级/三级), which sets its review cadence.
ALTER TABLE posts ADD COLUMN supervision_grade TEXT CHECK (supervision_grade IN ('first', 'second', 'third'));

-- The next free position on a sheet. Positions are never reused, so a new risk point lands in the
-- same place whether its push came alone or in a batch after a deletion.
ALTER TABLE risk_sheets ADD COLUMN next_position INTEGER NOT NULL DEFAULT 0;
UPDATE risk_sheets SET next_position = (SELECT COALESCE(MAX(position) + 1, 0) FROM risk_points WHERE sheet_id = risk_sheets.id);
