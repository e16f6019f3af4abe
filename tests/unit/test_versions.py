"""The version catalogue: an append-only history, following a built site's folder."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from manyi.model import Questionnaire, normalized_with_version
from manyi.versions import (
    HISTORY_FILE,
    Catalogue,
    VersionsError,
    publish,
    read_history,
    read_questionnaire,
)
from tests.site_fixture import mini_questionnaire

TODAY = date(2026, 11, 27)


def reworded(questionnaire: Questionnaire, mark: str) -> Questionnaire:
    data = questionnaire.to_dict()
    del data["version"]
    data["title"] = questionnaire.title + mark
    return Questionnaire.from_dict(normalized_with_version(data))


def write_version(folder: Path, questionnaire: Questionnaire, mtime: float | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{questionnaire.version}.json"
    path.write_text(json.dumps(questionnaire.to_dict(), ensure_ascii=False), encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def entries(folder: Path) -> list[tuple[str, str]]:
    data: dict[str, Any] = json.loads((folder / HISTORY_FILE).read_text(encoding="utf-8"))
    return [(e["version"], e["published"]) for e in data["versions"]]


@pytest.fixture
def versions() -> tuple[Questionnaire, Questionnaire, Questionnaire]:
    first = mini_questionnaire()
    return first, reworded(first, "一"), reworded(first, "二")


def test_the_site_gains_what_the_history_lacks_in_build_order_dated_today(
    tmp_path: Path, versions: tuple[Questionnaire, ...]
) -> None:
    a, b, c = versions
    site, folder = tmp_path / "site", tmp_path / "data"
    write_version(site, a, mtime=1_000)
    write_version(site, b, mtime=2_000)
    catalogue = Catalogue.open(folder, site=site)
    assert catalogue.follow_site(TODAY) == [a.version, b.version]
    assert entries(folder) == [(a.version, "2026-11-27"), (b.version, "2026-11-27")]
    assert catalogue.current.version == b.version
    # Nothing changed: nothing to do, nothing written.
    assert catalogue.follow_site(TODAY + timedelta(days=1)) == []
    # A build adds c: the first page that submits it makes it current.
    write_version(site, c, mtime=3_000)
    later = TODAY + timedelta(days=2)
    assert catalogue.accepted(c.version, later) == c
    assert entries(folder)[-1] == (c.version, "2026-11-29")
    assert catalogue.current.version == c.version


def test_an_old_file_touched_never_moves_in_the_history(
    tmp_path: Path, versions: tuple[Questionnaire, ...]
) -> None:
    a, b, _ = versions
    site, folder = tmp_path / "site", tmp_path / "data"
    publish(folder, a, TODAY - timedelta(days=100))
    publish(folder, b, TODAY - timedelta(days=60))
    before = entries(folder)
    write_version(site, b, mtime=1_000)
    write_version(site, a, mtime=9_000)  # looks newest
    catalogue = Catalogue.open(folder, site=site, grace_days=31)
    catalogue.follow_site(TODAY)
    assert entries(folder) == before
    assert catalogue.current.version == b.version
    assert catalogue.accepted(a.version, TODAY) is None  # expired, and stays so


def test_an_empty_catalogue_adopts_the_sites_history_with_its_dates(
    tmp_path: Path, versions: tuple[Questionnaire, ...]
) -> None:
    a, b, c = versions
    site, folder = tmp_path / "site", tmp_path / "data"
    publish(site, a, date(2026, 1, 5))
    publish(site, b, date(2026, 3, 1))
    write_version(site, a, mtime=5_000)  # mtimes disagree with the record: the record wins
    write_version(site, b, mtime=1_000)
    write_version(site, c, mtime=3_000)  # built after the last package
    catalogue = Catalogue.open(folder, site=site, grace_days=31)
    catalogue.follow_site(TODAY)
    assert entries(folder) == [
        (a.version, "2026-01-05"),
        (b.version, "2026-03-01"),
        (c.version, "2026-11-27"),
    ]
    assert catalogue.accepted(a.version, TODAY) is None


def test_a_version_older_than_what_the_history_knows_is_not_gained(
    tmp_path: Path, versions: tuple[Questionnaire, ...]
) -> None:
    a, b, _ = versions
    site, folder = tmp_path / "site", tmp_path / "data"
    publish(site, a, date(2026, 1, 5))
    publish(site, b, date(2026, 3, 1))
    publish(folder, b, date(2026, 6, 1))  # this collector started with b
    catalogue = Catalogue.open(folder, site=site)
    catalogue.follow_site(TODAY)
    assert entries(folder) == [(b.version, "2026-06-01")]
    assert catalogue.accepted(a.version, TODAY) is None
    assert entries(folder) == [(b.version, "2026-06-01")]


def test_a_build_that_adds_a_department_refreshes_the_known_version(tmp_path: Path) -> None:
    questionnaire = mini_questionnaire()
    site, folder = tmp_path / "site", tmp_path / "data"
    publish(folder, questionnaire, TODAY)
    write_version(site, questionnaire, mtime=1_000)
    catalogue = Catalogue.open(folder, site=site)
    catalogue.follow_site(TODAY)
    data = questionnaire.to_dict()
    data["departments"].append({**data["departments"][0], "id": "weidongqu", "name": "卫东区"})
    grown = Questionnaire.from_dict(data)
    assert grown.version == questionnaire.version  # departments are not part of the version
    write_version(site, grown, mtime=2_000)
    assert catalogue.follow_site(TODAY) == [questionnaire.version]
    accepted = catalogue.accepted(questionnaire.version, TODAY)
    assert accepted is not None
    assert accepted.department("weidongqu") is not None
    assert len(read_history(folder)) == 1


def test_publishing_a_superseded_version_again_appends_it(
    tmp_path: Path, versions: tuple[Questionnaire, ...]
) -> None:
    a, b, _ = versions
    publish(tmp_path, a, date(2026, 1, 5))
    publish(tmp_path, b, date(2026, 3, 1))
    assert publish(tmp_path, b, date(2026, 4, 1)) is False
    assert publish(tmp_path, a, date(2026, 11, 1)) is True  # the old wording restored
    assert entries(tmp_path) == [
        (a.version, "2026-01-05"),
        (b.version, "2026-03-01"),
        (a.version, "2026-11-01"),
    ]
    catalogue = Catalogue.open(tmp_path, grace_days=31)
    assert catalogue.current.version == a.version
    assert catalogue.accepted(a.version, TODAY) == a
    assert catalogue.accepted(b.version, TODAY) == b  # superseded 26 days ago
    assert catalogue.versions(TODAY) == [a.version, b.version]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", ":1:1: not valid JSON"),
        ('{"versions": [}', ":1:15: not valid JSON"),
        ("[]", 'expected {"versions": [...]}'),
        ('{"versions": [7]}', "entry 1: no version"),
        ('{"versions": [{"version": "0123456789ab", "published": "2026-02-30"}]}', "entry 1"),
        ('{"versions": [{"version": "../../etc", "published": "2026-02-01"}]}', "entry 1"),
        ("[" * 100_000, "not valid JSON"),
        ('{"versions": [' + "9" * 5000 + "]}", "not valid JSON"),
    ],
)
def test_a_broken_history_names_its_file_and_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    (tmp_path / HISTORY_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(VersionsError) as raised:
        read_history(tmp_path)
    assert str(tmp_path / HISTORY_FILE) in str(raised.value)
    assert problem in str(raised.value)


def test_a_broken_version_file_names_its_file(tmp_path: Path) -> None:
    questionnaire = mini_questionnaire()
    path = tmp_path / f"{questionnaire.version}.json"
    path.write_text('{"version": "x"}', encoding="utf-8")
    with pytest.raises(VersionsError, match="not a questionnaire"):
        read_questionnaire(path)
    wrong_name = tmp_path / "0123456789ab.json"
    write_version(tmp_path, questionnaire).rename(wrong_name)
    with pytest.raises(VersionsError, match="holds version"):
        read_questionnaire(wrong_name)
