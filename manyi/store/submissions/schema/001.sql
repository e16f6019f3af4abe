-- Version 1: the tables of the first release, as it made them (see manyi.store.sqlite_schema).
CREATE TABLE IF NOT EXISTS responses (
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    submission_id TEXT NOT NULL,
    department TEXT NOT NULL,
    month TEXT NOT NULL,
    received_at TEXT NOT NULL,
    version TEXT NOT NULL,
    channel TEXT NOT NULL,
    answers TEXT NOT NULL,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS submission_ids (
    submission_id TEXT PRIMARY KEY,
    pk TEXT NOT NULL,
    sk TEXT NOT NULL
) WITHOUT ROWID;
