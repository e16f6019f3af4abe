-- Version 2: who closed or reopened a month, when and why; departments ever counted (so one
-- that questionnaire.yaml no longer lists is still shown).
CREATE TABLE IF NOT EXISTS close_event (
    month TEXT NOT NULL,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    by TEXT NOT NULL,
    reason TEXT NOT NULL,
    early INTEGER NOT NULL,
    PRIMARY KEY (month, at, action)
);
CREATE TABLE IF NOT EXISTS known_department (
    department TEXT PRIMARY KEY
);
INSERT OR IGNORE INTO known_department SELECT DISTINCT department FROM department_month;
