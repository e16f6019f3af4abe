"""`manyi backup` and `manyi restore`: under write load, keys kept out, damaged archives refused."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest

from manyi.model import Questionnaire
from manyi.store.backup import BackupRefused, back_up, restore
from tests.apigw import submission_body
from tests.cli import run_manyi
from tests.serving import make_site, serving

# Tens of seconds or more: out of the quick loop (`-m "not browser and not slow"`).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "data-v0"
DEPARTMENTS = ("sifaju", "xinfangju", "gonganju", "jiaoyuju")


def stored_ids(data: Path) -> set[str]:
    with closing(sqlite3.connect(data / "submissions.sqlite3")) as db:
        return {row[0] for row in db.execute("SELECT submission_id FROM responses")}


def archive_bytes(archive: Path) -> bytes:
    """Everything in the archive, uncompressed, as one byte string."""
    return gzip.decompress(archive.read_bytes())


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(FIXTURE, folder)
    return folder


def test_a_backup_under_write_load_restores_everything_acknowledged_before_it(
    tmp_path: Path, questionnaire: Questionnaire
) -> None:
    site = make_site(tmp_path / "dist", questionnaire.to_dict())
    data = tmp_path / "data"
    acknowledged: list[tuple[str, float]] = []  # (submission ID, when its 201 arrived)
    failures: list[str] = []
    stop = threading.Event()

    with serving(data, site, "--rate-limit", "off") as served:

        def submit() -> None:
            number = 0
            while not stop.is_set():
                submission_id = f"load-{number:08d}"
                body = submission_body(
                    questionnaire,
                    submission_id=submission_id,
                    department=DEPARTMENTS[number % len(DEPARTMENTS)],
                )
                status, _, answer = served.post_json(body)
                if status == 201:
                    acknowledged.append((submission_id, time.monotonic()))
                else:
                    failures.append(f"{status} {answer}")
                number += 1

        writer = threading.Thread(target=submit)
        writer.start()
        try:
            while len(acknowledged) < 100:
                time.sleep(0.05)
            # The aggregator counts while responses keep arriving (it waits out its lag).
            counted = run_manyi("aggregate", "--data", str(data))
            assert counted.returncode == 0, counted.stderr
            started = time.monotonic()
            backed_up = run_manyi("backup", "--data", str(data), "--out", str(tmp_path / "b.tgz"))
            finished = time.monotonic()
            assert backed_up.returncode == 0, backed_up.stderr
            while not any(t > finished for _, t in acknowledged):
                time.sleep(0.05)  # the server went on writing after the backup
        finally:
            stop.set()
            writer.join()
    assert failures == []

    restored_data = tmp_path / "restored"
    restored = run_manyi("restore", "--from", str(tmp_path / "b.tgz"), "--data", str(restored_data))
    assert restored.returncode == 0, restored.stderr
    before = {sid for sid, t in acknowledged if t < started}
    restored_ids = stored_ids(restored_data)
    assert len(before) >= 100
    assert before <= restored_ids
    # Nothing that was never acknowledged; the server went on after the backup.
    assert restored_ids <= {sid for sid, _ in acknowledged}
    assert len(restored_ids) < len(acknowledged)
    print(
        f"acknowledged {len(before)} before the backup, {len(restored_ids)} in it, "
        f"{len(acknowledged)} in all; the backup took {finished - started:.2f} s"
    )
    with closing(sqlite3.connect(restored_data / "submissions.sqlite3")) as db:
        months = [m for (m,) in db.execute("SELECT DISTINCT month FROM responses")]
    for month in months:
        verified = run_manyi(
            "aggregate", "--verify", "--month", month, "--data", str(restored_data)
        )
        assert verified.returncode == 0, verified.stderr
        assert "agree exactly" in verified.stdout
    assert sorted(p.name for p in (restored_data / "questionnaires").iterdir()) == sorted(
        p.name for p in (data / "questionnaires").iterdir()
    )


def test_keys_are_recorded_never_copied_and_side_files_are_left_out(
    data: Path, tmp_path: Path
) -> None:
    token = "office-secret-token-0123456789abcdef"
    (data / "office-token").write_text(token + "\n", encoding="ascii")
    (data / "workspace.key").write_bytes(b"KEY-BYTES-" * 4)
    (data / "results.sqlite3.v0.20261202T000000000000Z.copy").write_bytes(b"old copy")
    (data / "reports" / "2026-12").mkdir(parents=True)
    (data / "reports" / "2026-12" / "summary.csv.partial").write_text("half", encoding="utf-8")
    (data / "reports" / "2026-12" / "summary.csv").write_text("部门\n", encoding="utf-8")
    archive = tmp_path / "backup.tar.gz"

    sealing_key = tmp_path / "keys" / "sealing.key"
    sealing_key.parent.mkdir()
    sealing_key.write_bytes(b"SEALING-KEY-" * 3)

    summary = back_up(data, archive, [sealing_key, tmp_path / "keys" / "absent.key"])

    everything = archive_bytes(archive)
    assert token.encode() not in everything
    assert b"KEY-BYTES-" not in everything
    assert b"SEALING-KEY-" not in everything
    fingerprints = {
        "office-token": hashlib.sha256(token.encode() + b"\n").hexdigest()[:16],
        "workspace.key": hashlib.sha256(b"KEY-BYTES-" * 4).hexdigest()[:16],
        str(sealing_key): hashlib.sha256(b"SEALING-KEY-" * 3).hexdigest()[:16],
        str(tmp_path / "keys" / "absent.key"): None,
    }
    assert summary.key_files == fingerprints
    assert archive.stat().st_mode & 0o777 == 0o600
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert names[0] == "manifest.json"
    # The copy order: results, reports, submissions, questionnaire versions.
    assert names[1:] == [
        "data/results.sqlite3",
        "data/reports/2026-12/summary.csv",
        "data/submissions.sqlite3",
        "data/questionnaires/2716c1b543cd.json",
        "data/questionnaires/versions.json",
    ]
    assert manifest["key_files"] == fingerprints
    assert manifest["files"]["submissions.sqlite3"]["schema_version"] == 0

    target = tmp_path / "restored"
    target.mkdir()  # an existing, empty folder (e.g. the service's StateDirectory)
    restore(archive, target)
    assert sorted(p.name for p in target.iterdir()) == [
        "questionnaires",
        "reports",
        "results.sqlite3",
        "submissions.sqlite3",
    ]
    assert stored_ids(target) == stored_ids(data)
    assert list(tmp_path.glob(".restored.restore-*")) == []
    told = run_manyi("restore", "--from", str(archive), "--data", str(tmp_path / "again"))
    assert told.returncode == 0, told.stderr
    assert f"{fingerprints['office-token']} back at {tmp_path / 'again' / 'office-token'}" in (
        told.stdout
    )
    assert f"{fingerprints[str(sealing_key)]} back at {sealing_key}" in told.stdout


def test_the_backup_of_a_folder_without_keys_records_them_absent(
    data: Path, tmp_path: Path
) -> None:
    summary = back_up(data, tmp_path / "b.tgz")
    assert summary.key_files == {"office-token": None}
    done = run_manyi("restore", "--from", str(tmp_path / "b.tgz"), "--data", str(tmp_path / "r"))
    assert done.returncode == 0, done.stderr
    assert "office-token" not in done.stdout


def test_restore_refuses_a_folder_that_is_not_empty(data: Path, tmp_path: Path) -> None:
    back_up(data, tmp_path / "b.tgz")
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("keep me", encoding="utf-8")
    done = run_manyi("restore", "--from", str(tmp_path / "b.tgz"), "--data", str(target))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "is not an empty folder" in done.stderr
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def test_backup_refuses_an_existing_file_and_a_file_inside_the_data_folder(
    data: Path, tmp_path: Path
) -> None:
    (tmp_path / "b.tgz").write_bytes(b"an earlier backup")
    done = run_manyi("backup", "--data", str(data), "--out", str(tmp_path / "b.tgz"))
    assert done.returncode == 2
    assert "exists" in done.stderr
    assert (tmp_path / "b.tgz").read_bytes() == b"an earlier backup"
    with pytest.raises(BackupRefused, match="inside the data folder"):
        back_up(data, data / "reports" / "b.tgz")


def rewrite(archive: Path, change: dict[str, bytes | None], extra: dict[str, bytes]) -> None:
    """The same archive with members replaced (None: removed) or added."""
    members: list[tuple[str, bytes]] = []
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            content = tar.extractfile(member).read()  # type: ignore[union-attr]
            if member.name in change:
                replaced = change[member.name]
                if replaced is None:
                    continue
                content = replaced
            members.append((member.name, content))
    members += extra.items()
    with tarfile.open(archive, "w:gz") as tar:
        for name, content in members:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))


def flip_last_byte(content: bytes) -> bytes:
    return content[:-1] + bytes([content[-1] ^ 1])


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ("checksum", "is damaged"),
        ("missing", "files missing"),
        ("escape", "unexpected entry '../evil'"),
        ("not_a_backup", "not a manyi backup"),
        ("newer_schema", "knows versions up to"),
        ("truncated", "cannot be read"),
        ("incomplete", "is incomplete"),
    ],
)
def test_restore_refuses_a_damaged_or_foreign_archive_and_leaves_nothing(
    data: Path, tmp_path: Path, damage: str, reason: str
) -> None:
    archive = tmp_path / "b.tgz"
    back_up(data, archive)
    with tarfile.open(archive) as tar:
        questionnaire = tar.extractfile("data/questionnaires/versions.json").read()  # type: ignore[union-attr]
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    if damage == "checksum":
        rewrite(archive, {"data/questionnaires/versions.json": flip_last_byte(questionnaire)}, {})
    elif damage == "missing":
        rewrite(archive, {"data/questionnaires/versions.json": None}, {})
    elif damage == "escape":
        rewrite(archive, {}, {"../evil": b"x"})
    elif damage == "not_a_backup":
        manifest["format"] = "something-else"
        rewrite(archive, {"manifest.json": json.dumps(manifest).encode()}, {})
    elif damage == "newer_schema":
        newer = tmp_path / "newer.sqlite3"
        shutil.copy(data / "results.sqlite3", newer)
        with closing(sqlite3.connect(newer)) as db:
            db.execute("PRAGMA user_version = 99")
        content = newer.read_bytes()
        manifest["files"]["results.sqlite3"].update(
            bytes=len(content), sha256=hashlib.sha256(content).hexdigest()
        )
        rewrite(
            archive,
            {"manifest.json": json.dumps(manifest).encode(), "data/results.sqlite3": content},
            {},
        )
    elif damage == "incomplete":
        del manifest["key_files"]
        rewrite(archive, {"manifest.json": json.dumps(manifest).encode()}, {})
    else:
        archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    target = tmp_path / "restored"
    done = run_manyi("restore", "--from", str(archive), "--data", str(target))
    assert done.returncode == 2, done.stdout
    assert "Traceback" not in done.stderr
    assert reason in done.stderr
    assert not target.exists()
    assert not (tmp_path / "evil").exists()
    assert list(tmp_path.glob(".restored.restore-*")) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_a_restore_run_as_root_gives_the_files_to_the_folders_owner(
    data: Path, tmp_path: Path
) -> None:
    back_up(data, tmp_path / "b.tgz")
    target = tmp_path / "service-data"
    target.mkdir()
    os.chown(target, 65534, 65534)  # as systemd's StateDirectory= makes it for the service user
    restore(tmp_path / "b.tgz", target)
    owners = {(p.stat().st_uid, p.stat().st_gid) for p in [target, *target.rglob("*")]}
    assert owners == {(65534, 65534)}


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_a_backup_run_as_root_leaves_the_databases_side_files_to_their_owner(
    data: Path, tmp_path: Path
) -> None:
    database = data / "submissions.sqlite3"
    os.chown(database, 65534, 65534)
    # The server has the database open: its -wal and -shm exist while the backup runs.
    with closing(sqlite3.connect(database)) as server:
        server.execute("SELECT count(*) FROM responses").fetchall()
        back_up(data, tmp_path / "b.tgz")
        sides = [database.with_name(database.name + s) for s in ("-wal", "-shm")]
        assert {(p.stat().st_uid, p.stat().st_gid) for p in sides if p.exists()} == {(65534, 65534)}
