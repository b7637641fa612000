-- Measures carried out (措施落实): the holder's progress reports and the section head's checks
-- (检验), one row per act. A measure's status and finishing day stay on `measures`; where its check
-- stands is read off its latest event (the `measure_checks` view).
--
-- Events hang off the risk point, not the measure row: an edit after a return rewrites a point's
-- measures, and a foreign key on them would take the history with it. The measure's text is kept
-- with each event so that history still says which measure it was.
CREATE TABLE measure_events (
    id            INTEGER PRIMARY KEY,
    risk_point_id TEXT    NOT NULL REFERENCES risk_points (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    measure_text  TEXT    NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('report', 'accept', 'send_back')),
    -- The status the measure stands at after the act.
    status        TEXT    NOT NULL CHECK (status IN ('planned', 'in_progress', 'done')),
    done_on       TEXT    CHECK (done_on IS NULL OR status = 'done'),
    -- The progress note of a report, the reason of a send-back; none for an acceptance.
    note          TEXT    CHECK ((note IS NULL) = (kind = 'accept')),
    actor_id      INTEGER NOT NULL REFERENCES users (id),
    at            INTEGER NOT NULL
);
CREATE INDEX measure_events_measure ON measure_events (risk_point_id, position, id);

-- The latest event of each measure that has one: where its check stands.
CREATE VIEW measure_checks AS
SELECT e.risk_point_id, e.position, e.kind, e.status, e.note, e.at
FROM measure_events e
WHERE e.id = (SELECT MAX(x.id) FROM measure_events x
              WHERE x.risk_point_id = e.risk_point_id AND x.position = e.position);
