"""Schema versions of the SQLite files in a data folder, and moving an older file forward.

Each store declares its `Schema`: an ordered list of steps, step N taking a file from version
N-1 to N. The version lives in the file itself (`PRAGMA user_version`): 0 in a new, empty
file and in every file made before versions existed. Step 1 of each store is therefore the
DDL of that first release verbatim (`CREATE TABLE IF NOT EXISTS …`): it creates the tables in
a new file and changes nothing in an old one, which then simply gets its version.

`migrate` is what a store calls when it opens its file:

- the file has the code's version: nothing happens (one pragma read);
- it is newer: `SchemaTooNew`, and nothing is written (a downgraded manyi must not guess
  what a newer one meant);
- it is older: a copy of it is made beside it with SQLite's backup API, then every missing
  step and the new version run in one transaction, then the copy is removed. A failing step
  rolls the whole migration back, so the file is as it was, and the copy stays where the
  message says. The transaction is `BEGIN IMMEDIATE`: a second process opening the same old
  file waits, then finds it migrated and does nothing.

A step is SQL (one or more statements; `executescript` is not used because it commits) or a
function of the connection for what SQL cannot say. A store's SQL steps are files in its
package, read with importlib.resources (a wheel carries them as package data): step N of
`manyi.store.results` is `manyi/store/results/schema/NNN.sql` (step 2 is `002.sql`), and
`Schema.of` reads them in number order, a function step taking its own number
(`functions={3: …}`) with no file for it.

Never edit a released step: add one. `tests/unit/test_schema_steps.py` holds every step file to
the SHA-256 recorded in `tests/golden/schema_steps.sha256`, the record of what was released: a
changed or removed file fails it ("add a new step instead"), and a new file fails it until its
line is added there. A function step cannot be pinned by a hash (what it does depends on the
code it calls), so it stays as short as it can and is reviewed as released code.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any, ClassVar, Self, TypeVar

from manyi import __version__
from manyi.store.errors import DataFolderError, StoreUnavailable

FunctionStep = Callable[[sqlite3.Connection], None]
Step = str | FunctionStep
T = TypeVar("T")
# Copies kept by a failed migration end so, and are never taken for a store's file.
COPY_SUFFIX = ".copy"
# A store package's SQL steps: schema/001.sql is step 1, and so on.
STEPS_FOLDER = "schema"
STEP_FILE = re.compile(r"(\d{3})\.sql")


class SchemaTooNew(DataFolderError):
    """The file was written by a newer manyi."""


class MigrationFailed(DataFolderError):
    """A step failed; the file is unchanged and a copy of it is kept."""


@dataclass(frozen=True)
class Schema:
    name: str  # says which store in messages: "submissions", "results", …
    steps: tuple[Step, ...]

    @property
    def version(self) -> int:
        return len(self.steps)

    @classmethod
    def of(
        cls, name: str, package: str, functions: Mapping[int, FunctionStep] | None = None
    ) -> Schema:
        """The schema whose SQL steps are the files of `package`'s schema/ folder (NNN.sql is
        step NNN) and whose other steps are `functions`, by number; together they must number
        1, 2, 3… with none missing or given twice."""
        found: dict[int, Step] = dict(functions or {})
        for entry in (files(package) / STEPS_FOLDER).iterdir():
            match = STEP_FILE.fullmatch(entry.name)
            if match is None:
                raise ValueError(
                    f"{package}: {entry.name} in {STEPS_FOLDER}/ is not a step NNN.sql"
                )
            number = int(match[1])
            if number in found:
                raise ValueError(f"{package}: step {number} is both a file and a function")
            found[number] = entry.read_text(encoding="utf-8")
        if sorted(found) != list(range(1, len(found) + 1)):
            raise ValueError(f"{package}: schema steps {sorted(found)} do not run 1, 2, 3…")
        return cls(name, tuple(found[number] for number in sorted(found)))


@contextmanager
def immediate_transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction on a connection in autocommit mode: taken with the write lock
    at once (BEGIN IMMEDIATE), committed at the end, rolled back on any exception."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def schema_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection, path: Path, schema: Schema) -> int:
    """Bring the open file at `path` to `schema.version`; the version it had before."""
    found = schema_version(db)
    if found == schema.version:
        return found
    check_not_newer(found, path, schema)
    copy = None if _is_empty(db) else _copy_beside(db, path, found)
    try:
        found = _run_steps(db, path, schema, found, copy)
    except SchemaTooNew:
        if copy is not None:
            copy.unlink()
        raise
    if copy is not None:
        copy.unlink()
    return found


def _run_steps(
    db: sqlite3.Connection, path: Path, schema: Schema, found: int, copy: Path | None
) -> int:
    """The missing steps and the new version in one transaction; the version found under lock."""
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            # Read again under the write lock: another process may have migrated meanwhile.
            found = schema_version(db)
            check_not_newer(found, path, schema)
            for number in range(found + 1, schema.version + 1):
                try:
                    _apply(db, schema.steps[number - 1])
                except Exception as error:
                    reason = f"step {number}: {type(error).__name__}: {error}"
                    raise _failure(path, schema, found, copy, reason) from error
            # Formatted, not a parameter: pragmas take none (the value is an int from len()).
            db.execute(f"PRAGMA user_version = {schema.version:d}")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
    except sqlite3.Error as error:  # BEGIN or COMMIT: busy, disk full, read-only…
        raise _failure(path, schema, found, copy, f"{type(error).__name__}: {error}") from error
    return found


def check_not_newer(found: int, path: Path, schema: Schema) -> None:
    if found > schema.version:
        raise SchemaTooNew(
            f"{path}: the {schema.name} schema is version {found}, but manyi {__version__} "
            f"knows versions up to {schema.version}: the file was written by a newer manyi. "
            "Run that release again, or restore a backup this release made; the file was "
            "not changed."
        )


def statements(script: str) -> Iterator[str]:
    """The complete statements of an SQL script, one at a time (triggers and quoted `;` kept)."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \t\r\n;"):
                yield pending.strip()
            pending = ""
    if pending.strip(" \t\r\n;"):
        raise ValueError(f"an incomplete SQL statement: {pending.strip()[:80]}")


def _apply(db: sqlite3.Connection, step: Step) -> None:
    if isinstance(step, str):
        for statement in statements(step):
            db.execute(statement)
    else:
        step(db)


def _failure(
    path: Path, schema: Schema, found: int, copy: Path | None, reason: str
) -> MigrationFailed:
    kept = f"; a copy of the file as it was is {copy}" if copy is not None else ""
    return MigrationFailed(
        f"{path}: moving the {schema.name} schema from version {found} to {schema.version} "
        f"failed ({reason}). The file was not changed{kept}."
    )


def _is_empty(db: sqlite3.Connection) -> bool:
    return bool(db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0)


def _copy_beside(db: sqlite3.Connection, path: Path, version: int) -> Path:
    """A consistent copy through the online backup API (a WAL file's pages included)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    copy = path.with_name(f"{path.name}.v{version}.{stamp}{COPY_SUFFIX}")
    target = sqlite3.connect(copy)
    try:
        db.backup(target)
    finally:
        target.close()
    return copy


# How long a write waits for another connection's lock before the store answers 503.
BUSY_TIMEOUT_MS = 5000


def connect(path: Path, *pragmas: str) -> sqlite3.Connection:
    """The one way every store of the data folder opens its file: autocommit (transactions are
    explicit), shared across threads behind the store's own lock, WAL."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=0)
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA journal_mode = WAL")
        # FULL: the WAL is fsynced at every commit, so a 2xx survives `kill -9` and power loss.
        db.execute("PRAGMA synchronous = FULL")
        for pragma in pragmas:  # a store's own, e.g. secure_delete
            db.execute(f"PRAGMA {pragma}")
    except BaseException:
        db.close()
        raise
    return db


def open_migrated(
    path: Path, schema: Schema, opener: Callable[[Path], sqlite3.Connection] = connect
) -> sqlite3.Connection:
    """A store's file opened (by `connect`, unless the store needs its own pragmas) and brought
    to its schema's version; closed again if that fails. Makes the file's folder if missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = opener(path)
    try:
        migrate(db, path, schema)
    except BaseException:
        db.close()
        raise
    return db


@contextmanager
def unavailable_on_error() -> Iterator[None]:
    """A locked, full or failing database becomes StoreUnavailable (the app answers 503)."""
    try:
        yield
    except sqlite3.OperationalError as error:
        raise StoreUnavailable(f"SQLite: {error}") from error


class StoreFile:
    """One store's SQLite file, opened the one way (`connect`) and migrated to its schema: a
    connection shared by the store's threads behind a re-entrant lock (a writing store method
    may call a reading one)."""

    def __init__(
        self,
        path: Path | str,
        schema: Schema,
        opener: Callable[[Path], sqlite3.Connection] = connect,
    ) -> None:
        self.path = Path(path)
        self.db = open_migrated(self.path, schema, opener)
        self.lock = threading.RLock()

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """One `BEGIN IMMEDIATE` transaction: committed when the block ends, else rolled back."""
        with self.lock, unavailable_on_error(), immediate_transaction(self.db) as db:
            yield db

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        with self.lock, unavailable_on_error():
            yield self.db

    def documents(self, parse: Callable[[Any], T], sql: str, *values: object) -> list[T]:
        """The JSON documents a query selects (its one column), in its order, each parsed."""
        with self.reading() as db:
            rows = db.execute(sql, values).fetchall()
        return [parse(json.loads(row[0])) for row in rows]

    def close(self) -> None:
        with self.lock:
            self.db.close()


class SQLiteStore:
    """What every store kept in a file of its own in the data folder does alike: open its file
    the one way (`StoreFile`), find it in a data folder, read, write and close. A store names
    its file, its schema and, for pragmas of its own, its opener where it subclasses this:
    `class SQLitePressureStore(SQLiteStore, PressureStore, file_name=…, schema=…)`."""

    FILE_NAME: ClassVar[str]
    SCHEMA: ClassVar[Schema]
    OPENER: ClassVar[Callable[[Path], sqlite3.Connection]]

    def __init_subclass__(
        cls,
        *,
        file_name: str = "",
        schema: Schema | None = None,
        opener: Callable[[Path], sqlite3.Connection] = connect,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if schema is not None:  # else a store's own subclass, on its parent's file
            cls.FILE_NAME, cls.SCHEMA, cls.OPENER = file_name, schema, opener

    def __init__(self, path: Path | str) -> None:
        # Through the class: a function kept on a class would be bound as a method.
        self._file = StoreFile(path, type(self).SCHEMA, type(self).OPENER)
        self.path = self._file.path

    @classmethod
    def in_folder(cls, data: Path | str) -> Self:
        return cls(Path(data) / cls.FILE_NAME)

    def _writing(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._file.writing()

    def _reading(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._file.reading()

    def close(self) -> None:
        self._file.close()
