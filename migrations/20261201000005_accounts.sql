-- Accounts an administrator can run: a password reset that must be changed at the next sign-in.
-- (Deactivation uses users.active, which sign-in and every session already check.)
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0
    CHECK (must_change_password IN (0, 1));
