"""Schema versions of the local SQLite files: new, older, newer, failing and concurrent opens."""

from __future__ import annotations

import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from manyi.store.results.sqlite import SCHEMA as RESULTS_SCHEMA
from manyi.store.results.sqlite import SqliteResultsStore
from manyi.store.sqlite_schema import (
    MigrationFailed,
    Schema,
    SchemaTooNew,
    migrate,
    schema_version,
    statements,
)
from manyi.store.submissions.sqlite import SCHEMA as SUBMISSIONS_SCHEMA
from manyi.store.submissions.sqlite import SQLiteSubmissionStore
from tests.cli import run_manyi

# A store's history in miniature: release 1 made `note`, release 2 added a column.
V1 = "CREATE TABLE IF NOT EXISTS note (id INTEGER PRIMARY KEY, text TEXT NOT NULL);"
V2 = "ALTER TABLE note ADD COLUMN author TEXT NOT NULL DEFAULT 'office';"
NOTES = Schema("notes", (V1, V2))


def connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, timeout=10)
    db.execute("PRAGMA journal_mode = WAL")
    return db


def release_one_file(path: Path, rows: int = 3) -> None:
    """A file as release 1 left it: its tables and rows, version 0 (before versions existed)."""
    with closing(connect(path)) as db:
        db.executescript(V1)
        db.executemany("INSERT INTO note (text) VALUES (?)", [(f"n{i}",) for i in range(rows)])


def copies(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.copy"))


def test_a_new_file_gets_every_step_and_the_version_without_a_copy(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    with closing(connect(path)) as db:
        assert migrate(db, path, NOTES) == 0
        assert schema_version(db) == 2
        db.execute("INSERT INTO note (text, author) VALUES ('x', 'sifaju')")
        # Opening again does nothing.
        assert migrate(db, path, NOTES) == 2
    assert copies(tmp_path) == []


def test_an_older_file_moves_forward_keeping_its_rows_and_leaves_no_copy(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    release_one_file(path)
    with closing(connect(path)) as db:
        assert migrate(db, path, NOTES) == 0
        assert schema_version(db) == 2
        assert db.execute("SELECT id, text, author FROM note ORDER BY id").fetchall() == [
            (1, "n0", "office"),
            (2, "n1", "office"),
            (3, "n2", "office"),
        ]
    assert copies(tmp_path) == []


def test_a_failing_step_changes_nothing_and_keeps_the_copy(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    release_one_file(path)

    def broken(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO note (text) VALUES ('written by step 3 before it failed')")
        raise RuntimeError("disk on fire")

    three = Schema("notes", (V1, V2, broken))
    with closing(connect(path)) as db, pytest.raises(MigrationFailed) as failure:
        migrate(db, path, three)
    (copy,) = copies(tmp_path)
    message = str(failure.value)
    assert str(path) in message
    assert "from version 0 to 3" in message
    assert "step 3: RuntimeError: disk on fire" in message
    assert str(copy) in message
    # Step 2 ran inside the same transaction, so it is undone too.
    with closing(connect(path)) as db:
        assert schema_version(db) == 0
        columns = [row[1] for row in db.execute("PRAGMA table_info(note)")]
        assert columns == ["id", "text"]
        assert db.execute("SELECT count(*) FROM note").fetchone() == (3,)
    with closing(sqlite3.connect(copy)) as kept:
        assert kept.execute("SELECT text FROM note ORDER BY id").fetchall() == [
            ("n0",),
            ("n1",),
            ("n2",),
        ]
    # Fixed, the migration runs from the unchanged file.
    with closing(connect(path)) as db:
        migrate(db, path, NOTES)
        assert schema_version(db) == 2


def test_a_bad_sql_step_is_reported_with_sqlites_reason(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    release_one_file(path)
    bad = Schema("notes", (V1, "ALTER TABLE missing ADD COLUMN x TEXT;"))
    with closing(connect(path)) as db, pytest.raises(MigrationFailed, match="no such table"):
        migrate(db, path, bad)
    with closing(connect(path)) as db:
        assert schema_version(db) == 0


def test_a_newer_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    with closing(connect(path)) as db:
        migrate(db, path, NOTES)
    before = path.read_bytes()
    with closing(connect(path)) as db, pytest.raises(SchemaTooNew) as refused:
        migrate(db, path, Schema("notes", (V1,)))
    message = str(refused.value)
    assert "version 2" in message
    assert "up to 1" in message
    assert "newer manyi" in message
    assert path.read_bytes() == before
    assert copies(tmp_path) == []


def test_two_processes_opening_one_old_file_migrate_it_once(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    release_one_file(path)
    runs: list[int] = []

    def slow_step(db: sqlite3.Connection) -> None:
        runs.append(1)
        time.sleep(0.3)  # long enough for the other opener to reach its BEGIN IMMEDIATE
        db.execute("INSERT INTO note (text) VALUES ('once')")

    once = Schema("notes", (V1, slow_step))
    errors: list[BaseException] = []

    def open_file() -> None:
        try:
            with closing(connect(path)) as db:
                migrate(db, path, once)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_file) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert runs == [1]
    with closing(connect(path)) as db:
        assert db.execute("SELECT count(*) FROM note WHERE text = 'once'").fetchone() == (1,)
    assert copies(tmp_path) == []


def test_statements_keep_triggers_and_quoted_semicolons_whole() -> None:
    script = """
        CREATE TABLE a (x TEXT);
        INSERT INTO a VALUES ('one; two');
        CREATE TRIGGER t AFTER INSERT ON a BEGIN
            INSERT INTO a VALUES ('three');
        END;
    """
    parts = list(statements(script))
    assert len(parts) == 3
    assert parts[1] == "INSERT INTO a VALUES ('one; two');"
    assert parts[2].startswith("CREATE TRIGGER")
    assert parts[2].endswith("END;")
    with pytest.raises(ValueError, match="incomplete"):
        list(statements("CREATE TRIGGER u AFTER INSERT ON a BEGIN DELETE FROM a;"))


def backfill(db: sqlite3.Connection) -> None:
    db.execute("UPDATE note SET author = 'office' WHERE author = ''")


@pytest.fixture
def step_package(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], str]]:
    """Makes a package, on the path for this test only, whose schema/ folder holds files."""
    made: list[str] = []

    def make(files: dict[str, str]) -> str:
        name = f"steps_{uuid.uuid4().hex}"
        (tmp_path / name / "schema").mkdir(parents=True)
        (tmp_path / name / "__init__.py").write_text("", encoding="utf-8")
        for file_name, text in files.items():
            (tmp_path / name / "schema" / file_name).write_text(text, encoding="utf-8")
        made.append(name)
        return name

    sys.path.insert(0, str(tmp_path))
    try:
        yield make
    finally:
        sys.path.remove(str(tmp_path))
        for name in made:
            sys.modules.pop(name, None)


def test_a_schema_of_a_package_is_its_step_files_in_number_order_and_its_functions(
    tmp_path: Path, step_package: Callable[[dict[str, str]], str]
) -> None:
    package = step_package({"002.sql": V2, "001.sql": "-- Version 1: notes.\n" + V1})
    schema = Schema.of("notes", package, functions={3: backfill})
    assert schema == Schema("notes", ("-- Version 1: notes.\n" + V1, V2, backfill))
    path = tmp_path / "notes.sqlite3"
    with closing(connect(path)) as db:
        assert migrate(db, path, schema) == 0
        assert schema_version(db) == 3


@pytest.mark.parametrize(
    ("files", "functions", "problem"),
    [
        ({"001.sql": V1, "003.sql": V2}, {}, "do not run 1, 2, 3"),
        ({"001.sql": V1}, {3: backfill}, "do not run 1, 2, 3"),
        ({"001.sql": V1, "002.sql": V2}, {2: backfill}, "both a file and a function"),
        ({"001.sql": V1, "2.sql": V2}, {}, "2.sql in schema/ is not a step NNN.sql"),
    ],
)
def test_a_schema_of_a_package_refuses_a_gap_a_double_or_a_stray_file(
    step_package: Callable[[dict[str, str]], str],
    files: dict[str, str],
    functions: dict[int, Callable[[sqlite3.Connection], None]],
    problem: str,
) -> None:
    with pytest.raises(ValueError, match=problem):
        Schema.of("notes", step_package(files), functions=functions)


def test_both_local_stores_stamp_their_version(tmp_path: Path) -> None:
    submissions = SQLiteSubmissionStore(tmp_path / "submissions.sqlite3")
    submissions.close()
    SqliteResultsStore.in_folder(tmp_path).close()
    for name, schema in (
        ("submissions.sqlite3", SUBMISSIONS_SCHEMA),
        ("results.sqlite3", RESULTS_SCHEMA),
    ):
        with closing(sqlite3.connect(tmp_path / name)) as db:
            assert schema_version(db) == schema.version >= 1


def stamp_newer(path: Path, version: int) -> None:
    with closing(sqlite3.connect(path)) as db:
        db.execute(f"PRAGMA user_version = {version}")


@pytest.mark.parametrize(
    ("file_name", "command"),
    [
        ("results.sqlite3", ["aggregate", "--verify", "--lag", "0"]),
        ("submissions.sqlite3", ["serve", "--port", "0", "--site", "no-site"]),
        ("results.sqlite3", ["serve", "--port", "0", "--site", "no-site"]),
    ],
)
def test_the_cli_refuses_a_newer_data_folder_with_exit_2_and_no_traceback(
    tmp_path: Path, file_name: str, command: list[str]
) -> None:
    data = tmp_path / "data"
    SQLiteSubmissionStore(data / "submissions.sqlite3").close()
    SqliteResultsStore.in_folder(data).close()
    stamp_newer(data / file_name, 99)
    done = run_manyi(*command, "--data", str(data), timeout=60)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"manyi {command[0]}: {data / file_name}" in done.stderr
    assert "version 99" in done.stderr
    assert "newer manyi" in done.stderr
