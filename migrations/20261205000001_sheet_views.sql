-- The sheets each user opened lately (the last 20 are kept), so that their offline replica keeps
-- them to read again without a network (docs/sync-protocol.md). One row per user and post.
CREATE TABLE sheet_views (
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    post_id   INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    viewed_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, post_id)
) WITHOUT ROWID;
CREATE INDEX sheet_views_recent ON sheet_views (user_id, viewed_at DESC);
