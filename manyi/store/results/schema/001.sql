-- Version 1: the tables of the first release, as it made them (see manyi.store.sqlite_schema).
CREATE TABLE IF NOT EXISTS department_month (
    month TEXT NOT NULL,
    department TEXT NOT NULL,
    version INTEGER NOT NULL,
    watermark TEXT NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (month, department)
);
CREATE TABLE IF NOT EXISTS month_close (
    month TEXT PRIMARY KEY,
    horizon TEXT NOT NULL,
    closed_at TEXT NOT NULL,
    served TEXT NOT NULL,
    published INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS served (
    month TEXT NOT NULL,
    department TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (month, department)
);
