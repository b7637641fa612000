-- What a session was opened from, so a user can tell their devices apart when ending them.
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
