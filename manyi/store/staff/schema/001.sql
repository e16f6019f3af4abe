-- Version 1: the tables of the first release, as it made them (see manyi.store.sqlite_schema).
CREATE TABLE IF NOT EXISTS accounts (
    username TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    account TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sessions (
    key_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    generation INTEGER NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at REAL NOT NULL,
    last_seen REAL NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions (expires_at);
CREATE TABLE IF NOT EXISTS login_failures (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    last_at REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit (
    month TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    target TEXT NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (month, sort_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS audit_target ON audit (target, sort_key);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
