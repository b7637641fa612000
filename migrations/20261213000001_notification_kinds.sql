-- 通知 (issue 12, item 5): a returned sheet (排查表被退回) and a measure's check (措施检验退回,
-- 措施检验通过) now reach the holder too. SQLite cannot alter a CHECK, so the table is rebuilt
-- inside this migration's transaction. Foreign keys stay on (a PRAGMA cannot change inside a
-- transaction), so dropping the old table would set robot_deliveries.notification_id to NULL
-- (ON DELETE SET NULL): each delivery's notification is held aside and put back, ids and all.
CREATE TABLE notifications_next (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('warning_raised', 'warning_answered', 'warning_sent_back', 'warning_accepted', 'warning_escalated', 'commitment_reminder', 'sheet_returned', 'measure_sent_back', 'measure_accepted')),
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
