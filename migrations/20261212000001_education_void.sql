-- 作废误录 (issue 12): a talk or a session recorded by mistake is voided with a reason, never
-- deleted: it stays in the table and in the audit log, and no list or count reads it.
ALTER TABLE talks ADD COLUMN voided_at INTEGER;
ALTER TABLE talks ADD COLUMN voided_by INTEGER REFERENCES users (id);
ALTER TABLE talks ADD COLUMN void_reason TEXT
    CHECK (void_reason IS NULL OR length(void_reason) BETWEEN 2 AND 200);
ALTER TABLE education_sessions ADD COLUMN voided_at INTEGER;
ALTER TABLE education_sessions ADD COLUMN voided_by INTEGER REFERENCES users (id);
ALTER TABLE education_sessions ADD COLUMN void_reason TEXT
    CHECK (void_reason IS NULL OR length(void_reason) BETWEEN 2 AND 200);
