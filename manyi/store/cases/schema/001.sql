CREATE TABLE IF NOT EXISTS cases (
    department TEXT NOT NULL,
    month TEXT NOT NULL,
    case_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    visitor TEXT NOT NULL DEFAULT '',
    personal TEXT NOT NULL DEFAULT '',
    done_at TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    PRIMARY KEY (department, month, case_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS cases_visitor ON cases (visitor);
CREATE INDEX IF NOT EXISTS cases_personal ON cases (personal, done_at);
CREATE TABLE IF NOT EXISTS draws (
    department TEXT NOT NULL,
    month TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (department, month, sort_key)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS draws_no_update BEFORE UPDATE ON draws
BEGIN SELECT RAISE(ABORT, 'a draw is never changed'); END;
CREATE TRIGGER IF NOT EXISTS draws_no_delete BEFORE DELETE ON draws
BEGIN SELECT RAISE(ABORT, 'a draw is never deleted'); END;
CREATE TABLE IF NOT EXISTS visitors (
    username TEXT PRIMARY KEY,
    body TEXT NOT NULL
) WITHOUT ROWID;
