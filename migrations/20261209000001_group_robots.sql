-- 群机器人推送: a unit's 企业微信 / 钉钉 group robot, set by the commission, so that what
-- arrives for the unit's people in the app reaches the group chat they already read too. A
-- person's messages go to the robot of their unit or, failing that, of the nearest unit above.
-- The address holds the robot's key: it is read only to send.
CREATE TABLE unit_robots (
    unit_id INTEGER PRIMARY KEY REFERENCES org_units (id) ON DELETE CASCADE,
    kind    TEXT    NOT NULL CHECK (kind IN ('wecom', 'dingtalk')),
    url     TEXT    NOT NULL CHECK (length(url) BETWEEN 10 AND 500 AND (url LIKE 'https://%' OR url LIKE 'http://%')),
    set_by  INTEGER NOT NULL REFERENCES users (id),
    set_at  INTEGER NOT NULL
);

-- 推送记录: each message handed to a robot, tried until it is taken or given up. The robot's
-- address is looked up at each try (never copied here), so a corrected address is used at the
-- next try and a removed robot fails what was waiting for it.
CREATE TABLE robot_deliveries (
    id              INTEGER PRIMARY KEY,
    unit_id         INTEGER NOT NULL REFERENCES org_units (id) ON DELETE CASCADE,
    -- The notification it carries; none for a test message.
    notification_id INTEGER REFERENCES notifications (id) ON DELETE SET NULL,
    text            TEXT    NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
    link            TEXT    NOT NULL CHECK (link LIKE '/%'),
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_at         INTEGER NOT NULL,
    last_error      TEXT    CHECK (last_error IS NULL OR length(last_error) <= 300),
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX robot_deliveries_due ON robot_deliveries (next_at) WHERE status = 'pending';
CREATE INDEX robot_deliveries_unit ON robot_deliveries (unit_id, id DESC);
