-- Holders with dates (轮岗交流, issue 11): a holding starts and may end, and the history stays.
-- `post_holders` becomes the view of current holdings, so every reader keeps one definition of
-- "who holds this post now".

CREATE TABLE post_holdings (
    id         INTEGER PRIMARY KEY,
    post_id    INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- NULL: held since before the system recorded dates.
    started_on TEXT,
    ended_on   TEXT,
    CHECK (ended_on IS NULL OR started_on IS NULL OR ended_on >= started_on)
);
-- One current holding per person and post.
CREATE UNIQUE INDEX post_holdings_current ON post_holdings (post_id, user_id) WHERE ended_on IS NULL;
CREATE INDEX post_holdings_user ON post_holdings (user_id);

INSERT INTO post_holdings (post_id, user_id) SELECT post_id, user_id FROM post_holders;

DROP TRIGGER post_holders_moved_insert;
DROP TRIGGER post_holders_moved_update;
DROP TRIGGER post_holders_moved_delete;
DROP TABLE post_holders;

CREATE VIEW post_holders AS
SELECT post_id, user_id FROM post_holdings WHERE ended_on IS NULL;

CREATE TRIGGER post_holdings_moved_insert AFTER INSERT ON post_holdings
BEGIN UPDATE directory_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER post_holdings_moved_update AFTER UPDATE ON post_holdings
BEGIN UPDATE directory_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER post_holdings_moved_delete AFTER DELETE ON post_holdings
BEGIN UPDATE directory_generation SET n = n + 1 WHERE id = 1; END;
