-- 通知: what arrives for a person in the app (a warning raised about them, an answer to review,
-- a send-back, an escalation, a reminder to sign), with when they read it. Kept per recipient.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('warning_raised', 'warning_answered', 'warning_sent_back', 'warning_accepted', 'warning_escalated', 'commitment_reminder')),
    text       TEXT    NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
    -- The page it is about, a path of this site.
    link       TEXT    NOT NULL CHECK (link LIKE '/%'),
    created_at INTEGER NOT NULL,
    read_at    INTEGER
);
CREATE INDEX notifications_user ON notifications (user_id, id DESC);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
