-- Rounds the commission starts (issue 11): when and by whom, and the published sheet of a post,
-- which a newer round's draft must not take off the public notice.

ALTER TABLE rounds ADD COLUMN started_at INTEGER;
ALTER TABLE rounds ADD COLUMN started_by INTEGER REFERENCES users (id);
-- 回头看: a round that re-reviews chosen key posts, reopening their approved sheets.
ALTER TABLE rounds ADD COLUMN re_review INTEGER NOT NULL DEFAULT 0 CHECK (re_review IN (0, 1));

-- A post's published sheet: its latest sheet (by round year, then id) at 公示 or later. While a
-- newer round's sheet is being drafted, the notice keeps showing what was approved before.
CREATE VIEW published_sheets AS
SELECT rs.id, rs.round_id, rs.post_id, rs.stage, rs.notice_until, r.name AS round_name
FROM risk_sheets rs JOIN rounds r ON r.id = rs.round_id
WHERE rs.stage IN ('public_notice', 'commission_audit', 'approved')
  AND NOT EXISTS (
    SELECT 1 FROM risk_sheets later JOIN rounds lr ON lr.id = later.round_id
    WHERE later.post_id = rs.post_id
      AND later.stage IN ('public_notice', 'commission_audit', 'approved')
      AND (lr.year > r.year OR (lr.year = r.year AND lr.id > r.id))
);
