-- Version 3: when each served count last changed (a count changed late in the month is flagged).
ALTER TABLE served ADD COLUMN changed_at TEXT NOT NULL DEFAULT '';
