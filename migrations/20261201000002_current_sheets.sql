-- One definition of "the current round" and of "the current sheet of a post", which queries used
-- to spell out each on their own (issue 9).

-- The current round: the latest by year, then by id.
CREATE VIEW current_round AS
SELECT id, name, year, deadline, pilot, matrix_json
FROM rounds ORDER BY year DESC, id DESC LIMIT 1;

-- A post's current sheet: its sheet in the latest round (by year, then id) that has one. A post
-- that a newer round leaves out keeps its last sheet as the current one.
CREATE VIEW current_sheets AS
SELECT rs.id, rs.round_id, rs.post_id, rs.stage, rs.matrix_json, rs.version, rs.updated_at,
       rs.notice_until, rs.next_position, r.name AS round_name, r.year AS round_year
FROM risk_sheets rs JOIN rounds r ON r.id = rs.round_id
WHERE NOT EXISTS (
    SELECT 1 FROM risk_sheets later JOIN rounds lr ON lr.id = later.round_id
    WHERE later.post_id = rs.post_id
      AND (lr.year > r.year OR (lr.year = r.year AND lr.id > r.id))
);
