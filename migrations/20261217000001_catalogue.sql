-- 风险库 (issue 13, item 1): the district catalogue. An entry is a risk the commission merged from
-- similar points of similar posts across units, with one canonical wording and a unified set of
-- measures (the measures cell's own form, `制度防范：…；监督预警：…`), within one kind of power.
CREATE TABLE catalogue_entries (
    id          INTEGER PRIMARY KEY,
    power_kind  TEXT    NOT NULL,
    wording     TEXT    NOT NULL CHECK (length(wording) BETWEEN 4 AND 500),
    measures    TEXT    NOT NULL DEFAULT '',
    created_by  INTEGER NOT NULL REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    updated_by  INTEGER NOT NULL REFERENCES users (id),
    updated_at  INTEGER NOT NULL
);

-- A unit's risk point in its entry. The point is the key, so a point is in at most one entry:
-- a second link is refused by the database, whatever the caller checked. A point deleted from its
-- sheet leaves its entry with it; an edit of the point keeps the link (points are updated in place).
CREATE TABLE catalogue_links (
    point_id   TEXT    PRIMARY KEY NOT NULL REFERENCES risk_points (id) ON DELETE CASCADE,
    entry_id   INTEGER NOT NULL REFERENCES catalogue_entries (id) ON DELETE CASCADE,
    linked_by  INTEGER NOT NULL REFERENCES users (id),
    linked_at  INTEGER NOT NULL
);
CREATE INDEX catalogue_links_entry ON catalogue_links (entry_id);
