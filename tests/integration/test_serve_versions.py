"""`manyi serve` and questionnaire versions: a build while it runs, a packaged site, restarts,
and a broken history, each through the real commands."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from manyi.deploy.catalogue import ship_versions
from manyi.model import Questionnaire, normalized_with_version
from manyi.versions import publish
from tests.cli import run_manyi as manyi
from tests.responses import OFFICE
from tests.serving import Served, make_site, serving
from tests.site_fixture import MINI_YAML, mini_questionnaire

MINI_ANSWERS = {"respondent": "person", "q1": ["none"], "q2": "no"}


def built_mini_site(folder: Path) -> tuple[Path, Path, Path]:
    """questionnaire.yaml (the small one), the site `manyi build` made of it, a data folder."""
    source = folder / "questionnaire.yaml"
    source.write_text(MINI_YAML, encoding="utf-8")
    dist, data = folder / "dist", folder / "data"
    assert manyi("build", "--out", str(dist), "--questionnaire", str(source)).returncode == 0
    return source, dist, data


def submit(served: Served, version: str, submission_id: str, department: str = "sifaju") -> int:
    body = {
        "submission_id": submission_id,
        "department": department,
        "version": version,
        "channel": "leaflet",
        "website": "",
        "answers": MINI_ANSWERS,
    }
    return served.post_json(body)[0]


def health_version(served: Served) -> str:
    status, _, body = served.request("GET", "/api/health")
    assert status == 200
    return str(json.loads(body)["version"])


def history(data: Path) -> Any:
    return json.loads((data / "questionnaires" / "versions.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_a_build_while_serving_is_accepted_without_a_restart(tmp_path: Path) -> None:
    source, dist, data = built_mini_site(tmp_path)
    first = mini_questionnaire().version
    with serving(data, dist, "--questionnaire", str(source)) as served:
        assert submit(served, first, "before-the-build") == 201
        edited = MINI_YAML.replace("是否干预企业依法自主经营", "是否干预企业自主经营")
        edited = edited.replace(
            "  - {id: xinhuaqu, name: 新华区, kind: county, complaint_phone: 0375-1234567}\n",
            "  - {id: xinhuaqu, name: 新华区, kind: county, complaint_phone: 0375-1234567}\n"
            "  - {id: weihuqu, name: 卫东区, kind: county}\n",
        )
        source.write_text(edited, encoding="utf-8")
        assert manyi("build", "--out", str(dist), "--questionnaire", str(source)).returncode == 0
        second = mini_questionnaire(edited).version
        assert second != first
        # The page built just now submits its new version, to a department added by the build.
        assert submit(served, second, "after-the-build") == 201
        assert submit(served, second, "new-department", department="weihuqu") == 201
        assert health_version(served) == second
        # A page still open with the old wording is inside its grace period.
        assert submit(served, first, "old-page-still-open") == 201
    assert [e["version"] for e in history(data)["versions"]] == [first, second]


def test_a_version_a_build_adds_is_current_at_once_for_the_health_check(tmp_path: Path) -> None:
    older = mini_questionnaire()
    site = make_site(tmp_path / "dist", older.to_dict())
    with serving(tmp_path / "data", site) as served:
        assert health_version(served) == older.version
        newer = Questionnaire.from_dict(earlier_or_later(older, "（新）"))
        json_path = site / "api" / "questionnaire" / f"{newer.version}.json"
        json_path.write_text(json.dumps(newer.to_dict(), ensure_ascii=False), encoding="utf-8")
        assert health_version(served) == newer.version


@pytest.mark.slow
def test_build_package_serve_starts_with_the_packaged_history(tmp_path: Path) -> None:
    source, dist, data = built_mini_site(tmp_path)
    version = mini_questionnaire().version
    # What `manyi package` leaves in dist/ (besides the zip): the history beside the versions.
    ship_versions(dist, version, OFFICE.today(datetime.now(UTC)) - timedelta(days=2))
    packaged = json.loads((dist / "api/questionnaire/versions.json").read_text(encoding="utf-8"))
    with serving(data, dist, "--questionnaire", str(source)) as served:
        assert health_version(served) == version
        assert submit(served, version, "after-package") == 201
    # The collector adopted the site's record, dates and all.
    assert history(data) == packaged
    # And a later build keeps the history, which a restart still reads as such.
    assert manyi("build", "--out", str(dist), "--questionnaire", str(source)).returncode == 0
    with serving(data, dist, "--questionnaire", str(source)) as served:
        assert submit(served, version, "after-rebuild") == 201


@pytest.mark.slow
def test_a_restart_never_reorders_or_redates_the_history(tmp_path: Path) -> None:
    current = mini_questionnaire()
    old = Questionnaire.from_dict(earlier_or_later(current, "（旧）"))
    site = make_site(tmp_path / "dist", current.to_dict())
    folder = site / "api" / "questionnaire"
    (folder / f"{old.version}.json").write_text(
        json.dumps(old.to_dict(), ensure_ascii=False), encoding="utf-8"
    )
    data = tmp_path / "data"
    today = OFFICE.today(datetime.now(UTC))
    # The old wording was superseded 60 days ago: long past its grace period.
    publish(data / "questionnaires", old, today - timedelta(days=100))
    publish(data / "questionnaires", current, today - timedelta(days=60))
    before = history(data)
    # The old JSON looks newest on disk (copied, touched, restored from a backup...).
    later = datetime.now().timestamp() + 60
    os.utime(folder / f"{old.version}.json", (later, later))
    for restart in range(2):
        with serving(data, site) as served:
            assert health_version(served) == current.version
            assert submit(served, old.version, f"expired-{restart}") == 409
            assert submit(served, current.version, f"current-{restart}") == 201
        assert history(data) == before


@pytest.mark.slow
def test_a_broken_history_stops_serve_with_the_file_and_what_is_wrong(tmp_path: Path) -> None:
    questionnaire = mini_questionnaire()
    site = make_site(tmp_path / "dist", questionnaire.to_dict())
    data = tmp_path / "data"
    versions = data / "questionnaires" / "versions.json"
    versions.parent.mkdir(parents=True)
    cases = {
        '{"versions": [\n  {"version": "abc"\n': ":3:1: not valid JSON",
        '{"versions": {}}': "expected",
        '{"versions": [{"version": "0123456789ab", "published": "yesterday"}]}': "entry 1",
        "[" * 5000: "not valid JSON",
    }
    for text, problem in cases.items():
        versions.write_text(text, encoding="utf-8")
        answer = manyi("serve", "--port", "0", "--data", str(data), "--site", str(site))
        assert answer.returncode == 2, answer.stderr
        assert str(versions) in answer.stderr
        assert problem in answer.stderr
        assert "Traceback" not in answer.stderr
    # The site's own history (from `manyi package`) is checked the same way.
    versions.unlink()
    site_history = site / "api" / "questionnaire" / "versions.json"
    site_history.write_text("{", encoding="utf-8")
    answer = manyi("serve", "--port", "0", "--data", str(data), "--site", str(site))
    assert answer.returncode == 2
    assert str(site_history) in answer.stderr
    assert "Traceback" not in answer.stderr


def earlier_or_later(questionnaire: Questionnaire, mark: str) -> dict[str, Any]:
    """Another version of the same questionnaire: the title reworded."""
    data = questionnaire.to_dict()
    del data["version"]
    data["title"] = questionnaire.title + mark
    return normalized_with_version(data)
