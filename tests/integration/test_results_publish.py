"""Publishing writes only what changed: the same figures twice leave the folder and the bucket
untouched, a changed figure rewrites exactly the files it shows in, and the workbook's bytes
depend on the figures alone."""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from manyi.model import Questionnaire
from manyi.reports.view import month_view
from manyi.reports.workbook import to_xlsx
from manyi.results.outputs import OutputFolder, S3Outputs, publish_month
from manyi.store.results.sqlite import SqliteResultsStore
from tests.results_aws import BUCKET, FakeAws
from tests.results_data import counted_store, made_up_submissions

MONTH = "2026-11"
FILES = ["options.csv", "report.html", "results.json", "results.xlsx", "summary.csv"]
# A served count shows in the coverage of the JSON, the summary CSV, the workbook and the
# report; the options CSV has the answers' counts only.
SERVED_SHOWN_IN = ["report.html", "results.json", "results.xlsx", "summary.csv"]
LONG_AGO = 1_000_000_000  # 2001: an mtime no write in this test can leave behind


def _store(questionnaire: Questionnaire) -> SqliteResultsStore:
    served = {(MONTH, d.id): 10 for d in questionnaire.departments[:3]}
    return counted_store(questionnaire, made_up_submissions(questionnaire), served=served)


def _keys(names: list[str]) -> list[str]:
    return [f"reports/{MONTH}/{name}" for name in names]


def _mtimes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_a_folder_is_written_only_where_the_figures_changed(
    questionnaire: Questionnaire, tmp_path: Path
) -> None:
    store, folder = _store(questionnaire), OutputFolder(tmp_path)
    assert sorted(publish_month(questionnaire, store, MONTH, folder)) == _keys(FILES)
    for path in tmp_path.rglob("*"):
        os.utime(path, ns=(LONG_AGO * 10**9, LONG_AGO * 10**9))
    before = _mtimes(tmp_path)

    assert publish_month(questionnaire, store, MONTH, folder) == []
    assert _mtimes(tmp_path) == before

    department = questionnaire.departments[0].id
    store.set_served({(MONTH, department): 25})
    assert sorted(publish_month(questionnaire, store, MONTH, folder)) == _keys(SERVED_SHOWN_IN)
    after = _mtimes(tmp_path)
    changed = sorted(key for key in after if after[key] != before[key])
    assert changed == _keys(SERVED_SHOWN_IN)
    assert not list(tmp_path.rglob("*.partial"))


def _count_puts(s3: Any) -> list[str]:
    puts: list[str] = []
    s3.meta.events.register(
        "provide-client-params.s3.PutObject", lambda params, **_: puts.append(params["Key"])
    )
    return puts


@pytest.mark.slow
def test_a_bucket_is_put_to_only_where_the_figures_changed(
    questionnaire: Questionnaire, fake_aws: FakeAws
) -> None:
    store, bucket = _store(questionnaire), S3Outputs(BUCKET, fake_aws.s3)
    puts = _count_puts(fake_aws.s3)
    publish_month(questionnaire, store, MONTH, bucket)
    assert sorted(puts) == _keys(FILES)
    head = fake_aws.s3.head_object(Bucket=BUCKET, Key=_keys(["results.xlsx"])[0])
    assert len(head["Metadata"]["sha256"]) == 64

    puts.clear()
    assert publish_month(questionnaire, store, MONTH, bucket) == []
    assert puts == []

    json_key = _keys(["results.json"])[0]
    first_json = fake_aws.object(json_key)
    store.set_served({(MONTH, questionnaire.departments[0].id): 25})
    assert sorted(publish_month(questionnaire, store, MONTH, bucket)) == _keys(SERVED_SHOWN_IN)
    assert sorted(puts) == _keys(SERVED_SHOWN_IN)
    assert fake_aws.object(json_key) != first_json


@pytest.mark.slow
def test_an_object_put_before_hashes_were_kept_is_put_once_more(
    questionnaire: Questionnaire, fake_aws: FakeAws
) -> None:
    store, bucket = _store(questionnaire), S3Outputs(BUCKET, fake_aws.s3)
    key = _keys(["results.json"])[0]
    publish_month(questionnaire, store, MONTH, bucket)
    body = fake_aws.object(key)
    fake_aws.s3.put_object(Bucket=BUCKET, Key=key, Body=body, ContentType="application/json")
    puts = _count_puts(fake_aws.s3)
    assert publish_month(questionnaire, store, MONTH, bucket) == [key]
    assert puts == [key]


@pytest.mark.slow
def test_the_same_figures_make_the_same_workbook_at_any_time(
    questionnaire: Questionnaire, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = month_view(questionnaire, _store(questionnaire), MONTH)
    first = to_xlsx(questionnaire, view)
    later = time.time() + 86_400 + 61  # another day, minute and second
    monkeypatch.setattr(time, "time", lambda: later)
    assert to_xlsx(questionnaire, view) == first

    with zipfile.ZipFile(io.BytesIO(first)) as book:
        assert {entry.date_time for entry in book.infolist()} == {(2026, 11, 1, 0, 0, 0)}
        core = book.read("docProps/core.xml").decode("utf-8")
    assert core.count("2026-11-01T00:00:00Z") == 2, core  # created and modified
