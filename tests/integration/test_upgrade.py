"""A data folder made by an earlier release opens with today's code: migrated, nothing lost.

`tests/fixtures/data-v<N>/` were made by `tests/fixtures/make_data_folder.py` at the release
before each migration (see tests/fixtures/README.md).
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from manyi.store.results.sqlite import SCHEMA as RESULTS_SCHEMA
from manyi.store.results.sqlite import SqliteResultsStore
from manyi.store.sqlite_schema import schema_version
from manyi.store.submissions.sqlite import SCHEMA as SUBMISSIONS_SCHEMA
from manyi.store.submissions.sqlite import SQLiteSubmissionStore
from tests.cli import run_manyi

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
RELEASES = sorted(p.name for p in FIXTURES.glob("data-v*"))


def rows(path: Path, query: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(query).fetchall()


@pytest.fixture(params=RELEASES)
def old_folder(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / str(request.param), data)
    return data


def test_there_is_a_folder_of_the_release_before_versions() -> None:
    assert "data-v0" in RELEASES
    for name in ("submissions.sqlite3", "results.sqlite3"):
        assert rows(FIXTURES / "data-v0" / name, "PRAGMA user_version") == [(0,)]


def test_an_old_folder_is_migrated_and_keeps_every_response_and_result(old_folder: Path) -> None:
    submissions_file = old_folder / "submissions.sqlite3"
    results_file = old_folder / "results.sqlite3"
    responses = rows(submissions_file, "SELECT * FROM responses ORDER BY pk, sk")
    states = rows(results_file, "SELECT * FROM department_month ORDER BY month, department")
    closes = rows(results_file, "SELECT * FROM month_close")
    served = rows(results_file, "SELECT month, department, count FROM served")
    assert len(responses) == 24
    assert len(states) == 3
    assert len(closes) == 1
    assert served

    store = SQLiteSubmissionStore(submissions_file)
    results = SqliteResultsStore.in_folder(old_folder)
    try:
        first = store.get("fixture-0000-Zk3m9QpL")
        assert first is not None
        assert first.department == "sifaju"
        month = str(responses[0][4])
        assert results.served(month) == {"sifaju": 40}
        assert sum(s.result.counts.responses for s in results.month_states(month)) == 24
    finally:
        store.close()
        results.close()

    for path, schema in ((submissions_file, SUBMISSIONS_SCHEMA), (results_file, RESULTS_SCHEMA)):
        with closing(sqlite3.connect(path)) as db:
            assert schema_version(db) == schema.version
    migrated = rows(submissions_file, "SELECT * FROM responses ORDER BY pk, sk")
    # Version 2 added the integrity facts: unknown for every response stored before it.
    assert [row[:9] for row in migrated] == responses
    assert {row[9:] for row in migrated} == {("", None)}
    assert rows(results_file, "SELECT * FROM department_month ORDER BY 1, 2") == states
    assert rows(results_file, "SELECT * FROM month_close") == closes
    assert rows(results_file, "SELECT month, department, count FROM served") == served
    assert list(old_folder.glob("*.copy")) == []


@pytest.mark.slow
def test_the_commands_work_on_an_old_folder_and_verify_agrees(old_folder: Path) -> None:
    months = [str(m) for (m,) in rows(old_folder / "results.sqlite3", "SELECT month FROM served")]
    closed = rows(old_folder / "results.sqlite3", "SELECT month FROM month_close")
    for month in [*months, *(str(m) for (m,) in closed)]:
        done = run_manyi("aggregate", "--verify", "--month", month, "--data", str(old_folder))
        assert done.returncode == 0, done.stderr
        assert "agree exactly" in done.stdout
    # The first run counts an open month of the old release again, once, to keep its counts by
    # segment too (manyi.aggregate); after that nothing is read twice, and verify agrees.
    command = ("aggregate", "--lag", "0", "--month", months[0], "--data", str(old_folder))
    assert run_manyi(*command).returncode == 0
    done = run_manyi(*command)
    assert done.returncode == 0, done.stderr
    assert "read 0 new response(s)" in done.stdout
    verified = run_manyi("aggregate", "--verify", "--month", months[0], "--data", str(old_folder))
    assert "agree exactly" in verified.stdout
