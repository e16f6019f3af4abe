CREATE TABLE IF NOT EXISTS complaints (
    number TEXT PRIMARY KEY,
    year INTEGER NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    complaint TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS complaints_year ON complaints (year, number);
CREATE TABLE IF NOT EXISTS sequences (
    year INTEGER NOT NULL,
    department TEXT NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (year, department)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS wrong_codes (
    number TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    last_at REAL NOT NULL
) WITHOUT ROWID;
