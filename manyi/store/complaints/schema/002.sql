-- The retention purge's index (a final complaint still holding personal fields) and the
-- office's settings (the standing handlers of conduct complaints).
ALTER TABLE complaints ADD COLUMN personal TEXT NOT NULL DEFAULT '';
ALTER TABLE complaints ADD COLUMN closed_on TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS complaints_personal ON complaints (personal, closed_on);
CREATE TABLE IF NOT EXISTS settings (
    name TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    value TEXT NOT NULL
) WITHOUT ROWID;
