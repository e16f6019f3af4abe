"""`manyi backup` and `manyi restore`: a data folder into one archive while the server runs, and
back into an empty folder.

The archive is a gzipped tar: `manifest.json` first, then the folder under `data/`.

- **Databases** (any file that starts with SQLite's header) are copied through SQLite's online
  backup API, each in one step: in WAL mode that is one read transaction, a consistent
  snapshot that does not stop the server writing. Each copy is checked (`quick_check`).
- **Order.** The copies are taken one after another, each at least as new as what it refers
  to: first the results (and any other store), then the report files (a month marked published
  has its files), then the submissions (everything the results counted was committed before
  the results were copied), then the questionnaire versions and other files (every version a
  copied response carries was published before it arrived). A restored folder therefore
  passes `manyi aggregate --verify`.
- **Keys are never in it.** Key files in the folder (`office-token`, `*.key`) and the key
  files named with `--key-file` (the sealing key, kept outside the folder) are only recorded:
  present or absent, and a fingerprint (the first 16 hex digits of the file's SHA-256) to
  recognise the right one at a restore. An archive that leaves the machine must open neither
  the office's pages nor the sealed personal fields. Keys are kept apart (see
  docs/operations.md) and put back by hand.
- Left out as well: SQLite's `-wal`/`-shm`/`-journal` (their pages are in the copy), the
  `.copy` of a failed migration, the `.partial`/`.tmp` files of writes in flight, and the
  collector's daily network keys (`network_keys.sqlite3`), which must not outlive their
  deletion after a month's close.

Restore refuses a folder that is not empty, extracts into a hidden folder beside it, checks
every file against the manifest (size, SHA-256), every database (`quick_check`, a schema
version this manyi knows), and only then moves the files in: a damaged archive leaves the
target as it was.
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from manyi import __version__
from manyi.store.errors import DataFolderError
from manyi.store.sqlite_schema import COPY_SUFFIX, Schema, schema_version

FORMAT = "manyi-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA = "data"
SQLITE_HEADER = b"SQLite format 3\x00"
KEY_FILES = ("office-token",)  # the keys manyi makes in the folder; recorded even if absent
KEY_PATTERNS = ("office-token", "*.key")  # never copied, wherever they are in the folder
LEFT_OUT = (
    "*-wal",
    "*-shm",
    "*-journal",
    f"*{COPY_SUFFIX}",
    "*.partial",
    "*.tmp",
    # The collector's daily network keys: a copy would outlive their deletion after the month's
    # close (docs/integrity.md). A restored folder starts with none: the day gets a new one.
    "network_keys.sqlite3",
)
# The copy order (see above): the results first, the submissions after the reports that
# the results say were published, the questionnaire versions and the rest last.
FIRST, REPORTS, SUBMISSIONS, LAST = range(4)


class BackupRefused(DataFolderError):
    """An archive or folder that cannot be backed up or restored as asked."""


@dataclass
class Summary:
    """What was backed up or restored, for the command to print."""

    archive: Path
    data: Path
    databases: dict[str, int] = field(default_factory=dict)  # name → schema version
    files: int = 0
    size: int = 0  # bytes of the data, uncompressed
    # A key file (relative to the folder, or absolute outside it) → its fingerprint, None if
    # it was absent.
    key_files: dict[str, str | None] = field(default_factory=dict)


def known_schemas() -> dict[str, Schema]:
    """The schema of each store file this manyi writes, by file name."""
    from manyi.store.entry.sqlite import FILE_NAME as ENTRY_FILE
    from manyi.store.entry.sqlite import SCHEMA as ENTRY_SCHEMA
    from manyi.store.results.sqlite import FILE_NAME as RESULTS_FILE
    from manyi.store.results.sqlite import SCHEMA as RESULTS_SCHEMA
    from manyi.store.submissions.sqlite import FILE_NAME as SUBMISSIONS_FILE
    from manyi.store.submissions.sqlite import SCHEMA as SUBMISSIONS_SCHEMA

    return {
        SUBMISSIONS_FILE: SUBMISSIONS_SCHEMA,
        RESULTS_FILE: RESULTS_SCHEMA,
        ENTRY_FILE: ENTRY_SCHEMA,
    }


# -- backup ---------------------------------------------------------------------------------


def back_up(data: Path, archive: Path, key_files: Sequence[Path] = ()) -> Summary:
    """Write `archive` (a new file) with a consistent copy of the data folder `data`, noting
    (never copying) the key files in it and the ones named in `key_files`."""
    data, archive = data.resolve(), archive.resolve()
    if not data.is_dir():
        raise BackupRefused(f"{data}: no such data folder")
    if archive.exists():
        raise BackupRefused(f"{archive} exists: name a new file (e.g. with the date in it)")
    if data in archive.parents:
        raise BackupRefused(f"{archive} is inside the data folder {data}: put it elsewhere")
    archive.parent.mkdir(parents=True, exist_ok=True)
    summary = Summary(archive, data, key_files=dict.fromkeys(KEY_FILES))
    for key_file in key_files:
        path = key_file.resolve()
        summary.key_files[str(path)] = _key_fingerprint(path) if path.is_file() else None
    started = _now()
    # Staged beside the archive (same file system, private), then packed and renamed.
    with tempfile.TemporaryDirectory(prefix=".manyi-backup-", dir=archive.parent) as scratch:
        staged = Path(scratch) / DATA
        staged.mkdir()
        entries: dict[str, dict[str, Any]] = {}
        for relative in _copy_order(data):
            entry = _stage(data / relative, staged / relative, relative, summary)
            if entry is not None:
                entries[relative] = entry
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "manyi_version": __version__,
            "started_at": started,
            "finished_at": _now(),
            "data": str(data),
            "files": entries,
            "key_files": summary.key_files,
        }
        partial = Path(scratch) / "archive.partial"  # removed with the scratch on failure
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode())
            for relative in entries:
                tar.add(staged / relative, arcname=f"{DATA}/{relative}", recursive=False)
            raw.flush()
            os.fsync(raw.fileno())
        partial.replace(archive)
    return summary


def _copy_order(data: Path) -> list[str]:
    """Every file to consider, as a POSIX path relative to `data`, in the order to copy it."""
    found: list[tuple[int, str]] = []
    for path in sorted(data.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        relative = path.relative_to(data).as_posix()
        found.append((_rank(path, relative), relative))
    return [relative for _, relative in sorted(found)]


def _rank(path: Path, relative: str) -> int:
    from manyi.store.submissions.sqlite import FILE_NAME as SUBMISSIONS_FILE

    if relative == SUBMISSIONS_FILE:
        return SUBMISSIONS
    if relative.startswith("reports/"):
        return REPORTS
    if "/" not in relative and _is_database(path):
        return FIRST
    return LAST


def _stage(source: Path, target: Path, relative: str, summary: Summary) -> dict[str, Any] | None:
    """Copy one file into the staging folder; its manifest entry, or None if left out."""
    name = PurePosixPath(relative).name
    if _matches(name, KEY_PATTERNS):
        summary.key_files[relative] = _key_fingerprint(source)
        return None
    if _matches(name, LEFT_OUT):
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    entry: dict[str, Any] = {}
    try:
        if _is_database(source):
            entry["schema_version"] = _copy_database(source, target)
            summary.databases[relative] = entry["schema_version"]
        else:
            shutil.copyfile(source, target)
    except FileNotFoundError:
        return None  # a temporary file renamed or removed while we looked
    entry.update(_fingerprint(target))
    summary.files += 1
    summary.size += entry["bytes"]
    return entry


def _copy_database(source: Path, target: Path) -> int:
    with (
        closing(sqlite3.connect(source, timeout=30)) as db,
        closing(sqlite3.connect(target)) as copy,
    ):
        db.backup(copy)  # all pages in one step: one read transaction, one snapshot
        _check_database(copy, target)
        version = schema_version(copy)
    _give_side_files_to_owner(source)
    return version


def _give_side_files_to_owner(database: Path) -> None:
    """Opening a WAL database may create its -wal and -shm files; made by root (a backup run
    from root's crontab) and left while the server has it open, they would lock the service's
    user out of its own database."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return
    owner = database.stat()
    for suffix in ("-wal", "-shm"):
        side = database.with_name(database.name + suffix)
        try:
            if side.stat().st_uid != owner.st_uid:
                os.chown(side, owner.st_uid, owner.st_gid)
        except FileNotFoundError:
            pass


def _check_database(db: sqlite3.Connection, path: Path) -> None:
    result = db.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise BackupRefused(f"{path}: the database is damaged ({result})")


# -- restore --------------------------------------------------------------------------------


def restore(archive: Path, data: Path) -> Summary:
    """Put the folder of `archive` into `data`, which must be empty or not exist yet."""
    archive, data = archive.resolve(), data.resolve()
    if data.exists() and (not data.is_dir() or any(data.iterdir())):
        raise BackupRefused(
            f"{data} is not an empty folder: restore only into an empty one "
            "(a restore never mixes two data folders)"
        )
    if not archive.is_file():
        raise BackupRefused(f"{archive}: no such backup file")
    data.parent.mkdir(parents=True, exist_ok=True)
    summary = Summary(archive, data)
    with tempfile.TemporaryDirectory(prefix=f".{data.name}.restore-", dir=data.parent) as scratch:
        staged = Path(scratch) / DATA
        manifest = _extract(archive, staged)
        _check_staged(manifest, staged, summary)
        _move_in(staged, data)
    summary.key_files = dict(manifest["key_files"])
    return summary


def _extract(archive: Path, staged: Path) -> dict[str, Any]:
    """The manifest, with the archive's data files written under `staged`."""
    staged.mkdir(mode=0o700)  # becomes the data folder if it does not exist yet
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST or not first.isfile():
                raise BackupRefused(f"{archive}: not a manyi backup (no {MANIFEST} first)")
            manifest = _read_manifest(archive, tar, first)
            for member in _data_members(archive, tar):
                target = staged / member.name.removeprefix(f"{DATA}/")
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None  # a regular file, checked above
                with source, target.open("wb") as out:
                    shutil.copyfileobj(source, out)
                target.chmod(member.mode & 0o777)
    except (tarfile.TarError, EOFError, OSError) as error:
        raise BackupRefused(f"{archive}: cannot be read ({error})") from error
    return manifest


def _read_manifest(archive: Path, tar: tarfile.TarFile, member: tarfile.TarInfo) -> dict[str, Any]:
    raw = tar.extractfile(member)
    assert raw is not None
    try:
        manifest = json.loads(raw.read())
    except ValueError as error:
        raise BackupRefused(f"{archive}: its {MANIFEST} is not JSON ({error})") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRefused(f"{archive}: not a manyi backup")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupRefused(
            f"{archive}: backup format {manifest.get('format_version')} of manyi "
            f"{manifest.get('manyi_version')}; this manyi {__version__} reads format "
            f"{FORMAT_VERSION}: restore it with that release"
        )
    files, keys = manifest.get("files"), manifest.get("key_files")
    entries_ok = isinstance(files, dict) and all(
        isinstance(e, dict) and isinstance(e.get("bytes"), int) and isinstance(e.get("sha256"), str)
        for e in files.values()
    )
    if not entries_ok or not isinstance(keys, dict):
        raise BackupRefused(f"{archive}: its {MANIFEST} is incomplete; nothing restored")
    return manifest


def _data_members(archive: Path, tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    """The archive's files after the manifest, each a regular file with a plain relative name
    under data/."""
    while (member := tar.next()) is not None:
        parts = PurePosixPath(member.name).parts
        plain = len(parts) > 1 and parts[0] == DATA and not {"..", "", "."} & set(parts)
        if not member.isfile() or not plain or member.name.startswith("/"):
            raise BackupRefused(f"{archive}: unexpected entry {member.name!r}; nothing restored")
        yield member


def _check_staged(manifest: dict[str, Any], staged: Path, summary: Summary) -> None:
    archive = summary.archive
    expected: dict[str, dict[str, Any]] = manifest["files"]
    found = {p.relative_to(staged).as_posix() for p in staged.rglob("*") if p.is_file()}
    if found != set(expected):
        missing, extra = sorted(set(expected) - found), sorted(found - set(expected))
        raise BackupRefused(f"{archive}: files missing {missing} or unlisted {extra}")
    schemas = known_schemas()
    for relative, entry in expected.items():
        path = staged / relative
        if _fingerprint(path) != {"bytes": entry["bytes"], "sha256": entry["sha256"]}:
            raise BackupRefused(f"{archive}: {relative} is damaged (its checksum differs)")
        if "schema_version" in entry:
            with closing(sqlite3.connect(path)) as db:
                _check_database(db, path)
                version = schema_version(db)
            schema = schemas.get(relative)
            if schema is not None and version > schema.version:
                raise BackupRefused(
                    f"{archive}: {relative} has {schema.name} schema version {version}, made "
                    f"by manyi {manifest.get('manyi_version')}; this manyi {__version__} knows "
                    f"versions up to {schema.version}: restore it with that release"
                )
            summary.databases[relative] = version
            # Opening it may have left WAL side files; they are empty and not needed.
            for side in ("-wal", "-shm"):
                path.with_name(path.name + side).unlink(missing_ok=True)
        summary.files += 1
        summary.size += entry["bytes"]


def _move_in(staged: Path, data: Path) -> None:
    """Move the checked files into `data`, taking its owner when run as root."""
    if not data.exists():
        staged.rename(data)
        return
    owner = data.stat()
    for entry in staged.iterdir():
        entry.rename(data / entry.name)
    if hasattr(os, "geteuid") and os.geteuid() == 0 and owner.st_uid != 0:
        for path in [data, *data.rglob("*")]:
            os.chown(path, owner.st_uid, owner.st_gid)


# -- shared ---------------------------------------------------------------------------------


def _is_database(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            return file.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def _fingerprint(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def _key_fingerprint(path: Path) -> str:
    """Enough of the key file's SHA-256 to tell two keys apart; nothing to rebuild one from."""
    return str(_fingerprint(path)["sha256"])[:16]


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
