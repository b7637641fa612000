-- 答复到期提醒 (issue 12, item 5): the answerers of a warning are reminded in the last days before
-- its answer is due, once per due day (an escalation sets a new one): `reminded_for` is the due day
-- last reminded of. The reminder is a notification of a new kind, so the notifications table is
-- rebuilt as in 20261213000001, each robot delivery keeping its notification.
ALTER TABLE warnings ADD COLUMN reminded_for TEXT;

CREATE TABLE notifications_next (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('warning_raised', 'warning_answered', 'warning_sent_back', 'warning_accepted', 'warning_escalated', 'commitment_reminder', 'sheet_returned', 'measure_sent_back', 'measure_accepted', 'warning_answer_due')),
    text       TEXT    NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
    -- The page it is about, a path of this site.
    link       TEXT    NOT NULL CHECK (link LIKE '/%'),
    created_at INTEGER NOT NULL,
    read_at    INTEGER
);
INSERT INTO notifications_next (id, user_id, kind, text, link, created_at, read_at)
    SELECT id, user_id, kind, text, link, created_at, read_at FROM notifications;

CREATE TABLE deliveries_aside (id INTEGER PRIMARY KEY, notification_id INTEGER NOT NULL);
INSERT INTO deliveries_aside (id, notification_id)
    SELECT id, notification_id FROM robot_deliveries WHERE notification_id IS NOT NULL;

DROP TABLE notifications;
ALTER TABLE notifications_next RENAME TO notifications;
CREATE INDEX notifications_user ON notifications (user_id, id DESC);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

UPDATE robot_deliveries
SET notification_id = (SELECT a.notification_id FROM deliveries_aside a WHERE a.id = robot_deliveries.id)
WHERE id IN (SELECT id FROM deliveries_aside);
DROP TABLE deliveries_aside;
