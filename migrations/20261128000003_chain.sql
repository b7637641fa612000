-- The approval chain (issue 4, first part): approvals with the content hash they approved, the
-- timeline of every transition, and the facts the chain's gates need.

-- The approvals that currently stand, one per stage; a return deletes those it undoes.
CREATE TABLE approvals (
    sheet_id     INTEGER NOT NULL REFERENCES risk_sheets (id) ON DELETE CASCADE,
    stage        TEXT    NOT NULL,
    by_user      INTEGER NOT NULL REFERENCES users (id),
    content_hash TEXT    NOT NULL,
    at           INTEGER NOT NULL,
    PRIMARY KEY (sheet_id, stage)
);

-- Every stage change, never updated or deleted: who, when, from, to, why, and what content.
CREATE TABLE sheet_transitions (
    id           INTEGER PRIMARY KEY,
    sheet_id     INTEGER NOT NULL REFERENCES risk_sheets (id) ON DELETE CASCADE,
    from_stage   TEXT    NOT NULL,
    to_stage     TEXT    NOT NULL,
    action       TEXT    NOT NULL CHECK (action IN ('submit', 'close_peer_review', 'approve', 'return')),
    by_user      INTEGER NOT NULL REFERENCES users (id),
    reason       TEXT,
    content_hash TEXT    NOT NULL,
    at           INTEGER NOT NULL
);
CREATE INDEX sheet_transitions_sheet ON sheet_transitions (sheet_id, id);

-- How many peer reviews a unit requires before peer review can close.
ALTER TABLE org_units ADD COLUMN required_peer_reviews INTEGER NOT NULL DEFAULT 0 CHECK (required_peer_reviews BETWEEN 0 AND 20);
-- When the public notice period ends (Unix ms), set when a sheet enters 公示.
ALTER TABLE risk_sheets ADD COLUMN notice_until INTEGER;
