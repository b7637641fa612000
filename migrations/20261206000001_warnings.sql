-- 预警: early warnings to a person or a unit, with their handling ladder (domain::warning). The
-- row holds the warning as it stands; warning_events keeps what happened to it, in order, for its
-- page and its notice; each event is also in the audit log.
CREATE TABLE warnings (
    id              INTEGER PRIMARY KEY,
    -- The printed number 廉预〔year〕seq号: numbered from 1 in each year, never reused.
    year            INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    unit_id         INTEGER NOT NULL REFERENCES org_units (id),
    -- The person warned; NULL for a warning to the unit, which its liaison answers.
    subject_id      INTEGER REFERENCES users (id),
    -- Who raised it; NULL for a warning a rule raised.
    issuer_id       INTEGER REFERENCES users (id),
    level           TEXT    NOT NULL CHECK (level IN ('blue', 'yellow', 'red')),
    raised_level    TEXT    NOT NULL CHECK (raised_level IN ('blue', 'yellow', 'red')),
    handling        TEXT    NOT NULL CHECK (handling IN ('reminder', 'inquiry', 'admonishment_talk', 'correction', 'supervision')),
    source          TEXT    NOT NULL CHECK (source IN ('complaint', 'inspection', 'audit')),
    source_ref      TEXT,
    reason          TEXT    NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
    status          TEXT    NOT NULL DEFAULT 'awaiting_answer' CHECK (status IN ('awaiting_answer', 'answered', 'closed')),
    -- The day the (next) answer is due, YYYY-MM-DD.
    due             TEXT    NOT NULL,
    -- Send-backs since the warning last went up a level.
    send_backs      INTEGER NOT NULL DEFAULT 0 CHECK (send_backs >= 0),
    -- The latest answer; every answer is kept in warning_events.
    answer_analysis TEXT,
    answer_measures TEXT,
    answered_by     INTEGER REFERENCES users (id),
    answered_at     INTEGER,
    raised_at       INTEGER NOT NULL,
    closed_at       INTEGER,
    UNIQUE (year, seq)
);
CREATE INDEX warnings_unit ON warnings (unit_id);
CREATE INDEX warnings_subject ON warnings (subject_id);
CREATE INDEX warnings_open ON warnings (status, due) WHERE status <> 'closed';

CREATE TABLE warning_events (
    id         INTEGER PRIMARY KEY,
    warning_id INTEGER NOT NULL REFERENCES warnings (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('raised', 'answered', 'accepted', 'sent_back', 'escalated')),
    -- NULL: the schedule (an escalation on a late answer).
    actor_id   INTEGER REFERENCES users (id),
    at         INTEGER NOT NULL,
    -- The level after the event.
    level      TEXT    NOT NULL CHECK (level IN ('blue', 'yellow', 'red')),
    -- An answer's analysis, a send-back's reason, an escalation's cause.
    note       TEXT,
    -- An answer's rectification measures.
    measures   TEXT
);
CREATE INDEX warning_events_warning ON warning_events (warning_id, id);
