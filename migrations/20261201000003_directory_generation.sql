-- A counter that moves whenever the organisation or who holds what changes: the server keeps the
-- org tree and each user's roles and held posts in memory and reads only this number to know
-- whether they are still current (the CLI, another process, changes them too).
CREATE TABLE directory_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n INTEGER NOT NULL
);
INSERT INTO directory_generation (id, n) VALUES (1, 0);

CREATE TRIGGER org_units_moved_insert AFTER INSERT ON org_units
BEGIN UPDATE directory_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER org_units_moved_update AFTER UPDATE ON org_units
BEGIN UPDATE directory_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER org_units_moved_delete AFTER DELETE ON org_units
BEGIN UPDATE directory_generation SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER role_assignments_moved_insert AFTER INSERT ON role_assignments
BEGIN UPDATE directory_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER role_assignments_moved_update AFTER UPDATE ON role_assignments
BEGIN UPDATE directory_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER role_assignments_moved_delete AFTER DELETE ON role_assignments
BEGIN UPDATE directory_generation SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER post_holders_moved_insert AFTER INSERT ON post_holders
BEGIN UPDATE directory_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER post_holders_moved_update AFTER UPDATE ON post_holders
BEGIN UPDATE directory_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER post_holders_moved_delete AFTER DELETE ON post_holders
BEGIN UPDATE directory_generation SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER posts_moved_insert AFTER INSERT ON posts
BEGIN UPDATE directory_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER posts_moved_update AFTER UPDATE OF unit_id, level ON posts
BEGIN UPDATE directory_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER posts_moved_delete AFTER DELETE ON posts
BEGIN UPDATE directory_generation SET n = n + 1 WHERE id = 1; END;
