-- The day a finished measure was finished (已完成 with its date), kept with its status so that
-- progress survives every edit, export and import.
ALTER TABLE measures ADD COLUMN done_on TEXT CHECK (done_on IS NULL OR status = 'done');
